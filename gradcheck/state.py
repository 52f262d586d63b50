"""Leave the user's model exactly as it was found.

``preserved(model)`` snapshots every object the model's callables can reach
(the ``self`` of bound methods, closure cells, module globals holding arrays),
shallowly for objects, lists and dicts and by value for arrays, and restores
them on exit, even after an exception. A step that rebinds ``self.weights`` to
new arrays, or updates them in place, is undone bit for bit.
"""
from __future__ import annotations

import contextlib
import functools
import types
from typing import Any, Iterator

import numpy as np

_MAX_OBJECTS = 20000
_SKIP = (types.ModuleType, type, types.FunctionType, types.BuiltinFunctionType, types.MethodType,
         str, bytes, int, float, complex, bool, type(None), functools.partial)


def _callable_roots(fn: Any) -> Iterator[Any]:
    if fn is None:
        return
    if isinstance(fn, functools.partial):
        yield from _callable_roots(fn.func)
        yield from fn.args
        yield from fn.keywords.values()
        return
    if isinstance(fn, types.MethodType):
        yield fn.__self__
        fn = fn.__func__
    if isinstance(fn, types.FunctionType):
        for cell in fn.__closure__ or ():
            try:
                v = cell.cell_contents
            except ValueError:
                continue
            if isinstance(v, (types.FunctionType, types.MethodType, functools.partial)):
                yield from _callable_roots(v)
            else:
                yield v
        yield _Globals(fn.__globals__)
    elif not isinstance(fn, _SKIP) and hasattr(fn, "__dict__"):
        yield fn  # a callable object


class _Globals:
    """A module's globals: only array-like and container entries are tracked."""

    def __init__(self, d: dict):
        self.d = d


class Snapshot:
    def __init__(self) -> None:
        self.saved: list[tuple[str, Any, Any]] = []
        self.seen: set[int] = set()

    def visit(self, x: Any, depth: int = 0) -> None:
        if id(x) in self.seen or len(self.seen) > _MAX_OBJECTS or depth > 4:
            return
        if isinstance(x, _Globals):
            keep = {k: v for k, v in x.d.items()
                    if not k.startswith("__") and isinstance(v, (np.ndarray, list, dict))}
            self.seen.add(id(x.d))
            self.saved.append(("globals", x.d, keep))
            for v in keep.values():
                self.visit(v, depth + 1)
            return
        if isinstance(x, _SKIP):
            return
        self.seen.add(id(x))
        if isinstance(x, np.ndarray):
            if x.dtype != object:
                self.saved.append(("array", x, x.copy()))
            return
        if isinstance(x, list):
            self.saved.append(("list", x, list(x)))
            children = list(x)
        elif isinstance(x, dict):
            self.saved.append(("dict", x, dict(x)))
            children = list(x.values())
        elif isinstance(x, tuple):
            children = list(x)
        elif hasattr(x, "__dict__") and not isinstance(x, types.ModuleType):
            cls_module = getattr(type(x), "__module__", "") or ""
            if cls_module.split(".")[0] in ("numpy", "gradcheck", "builtins", "scipy"):
                return
            self.saved.append(("object", x, dict(vars(x))))
            children = list(vars(x).values())
        else:
            return
        for c in children:
            self.visit(c, depth + 1)

    def restore(self) -> None:
        # containers first, then array contents (arrays may be reached through them)
        for kind, obj, saved in self.saved:
            if kind == "object":
                d = vars(obj)
                d.clear()
                d.update(saved)
            elif kind == "list":
                obj[:] = saved
            elif kind == "dict":
                obj.clear()
                obj.update(saved)
            elif kind == "globals":
                obj.update(saved)
        for kind, obj, saved in self.saved:
            if kind == "array" and obj.shape == saved.shape and obj.flags.writeable:
                np.copyto(obj, saved, casting="unsafe")


def take(model: Any) -> Snapshot:
    snap = Snapshot()
    roots: list[Any] = []
    if callable(model.params) and not isinstance(model.params, dict):
        roots += list(_callable_roots(model.params))
    else:
        roots.append(model.params)
    for fn in (model.forward, model.backward, model.step, model.evaluate):
        roots += list(_callable_roots(fn))
    for r in roots:
        snap.visit(r)
    return snap


def fingerprint(params: dict[str, Any]) -> dict[str, tuple]:
    """Bit-level identity of every parameter: type, dtype, shape and bytes."""
    return {k: (type(v).__name__, np.asarray(v).dtype.str, np.shape(v), np.asarray(v).tobytes())
            for k, v in params.items()}


@contextlib.contextmanager
def preserved(model: Any):
    """Restore everything the model can reach when the block ends."""
    snap = take(model)
    try:
        yield snap
    finally:
        snap.restore()
