"""Helpers for causes: where a finding points, and numpy-style remark lines."""
from __future__ import annotations

import inspect
import os
from typing import Any


from gradcheck.report import Where


def user_function(session, role: str, param: str | None = None, layer: int | None = None,
                  last_line: bool = False) -> Where:
    """Where pointing at the user's ``role`` function (its def line, or its last line)."""
    fn = session.model.user_function(role)
    file = line = name = None
    if fn is not None:
        f = inspect.unwrap(getattr(fn, "__func__", fn))
        try:
            file = inspect.getsourcefile(f)
            lines, start = inspect.getsourcelines(f)
            line = start + (len(lines) - 1 if last_line else 0)
            name = getattr(f, "__qualname__", None)
        except (TypeError, OSError):
            pass
    return Where(param=param, layer=layer, file=file, line=line, function=name)


def from_error(err: Any, param: str | None = None) -> Where:
    """Where of a UserCodeError."""
    return Where(param=param, file=getattr(err, "file", None), line=getattr(err, "line", None),
                 function=getattr(err, "function", None))


def fmt(x: float) -> str:
    if x != x:
        return "nan"
    return f"{x:.4g}"


def entry_lines(entries, limit: int = 3) -> tuple[str, ...]:
    """numpy.testing style remarks about the worst entries."""
    lines = []
    for e in entries[:limit]:
        idx = ", ".join(str(i) for i in e.index)
        kink = "  (kink: excluded)" if e.kink else ""
        lines.append(f"[{idx}]: analytic {fmt(e.analytic)}, numeric {fmt(e.numeric)}, "
                     f"relative error {fmt(e.rel_error)}{kink}")
    return tuple(lines)

def _user_def(fn) -> tuple[str | None, int | None, str | None]:
    """(file, line, qualname) of a function defined in the user's code, else Nones."""
    from gradcheck.usercode import _is_library

    try:
        f = inspect.unwrap(getattr(fn, "__func__", fn))
        file = inspect.getsourcefile(f)
        line = inspect.getsourcelines(f)[1]
    except (TypeError, OSError):
        return None, None, None
    if not file or _is_library(os.path.abspath(file)):
        return None, None, None
    return file, line, getattr(f, "__qualname__", None)


def _instances(fn, depth: int = 0):
    """User objects a forward reaches: its ``self``, and instances held in its closure."""
    if fn is None or depth > 2:
        return
    owner = getattr(fn, "__self__", None)
    if owner is not None and not isinstance(owner, type):
        yield owner
    for cell in getattr(getattr(fn, "__func__", fn), "__closure__", None) or ():
        try:
            v = cell.cell_contents
        except ValueError:
            continue
        if callable(v) and not isinstance(v, type):
            yield from _instances(v, depth + 1)
        elif hasattr(v, "__dict__") and not isinstance(v, type):
            yield v


def construction(session, param: str | None = None, layer: int | None = None) -> Where:
    """Where the model's weights are created: the constructor of the network object the forward
    uses, else the registered factory, else the forward."""
    model = session.model
    candidates = []
    for obj in _instances(model.user_function("forward")):
        init = vars(type(obj)).get("__init__")
        if init is not None:
            candidates.append(init)
    if model.factory is not None:
        candidates.append(model.factory)
    for fn in candidates:
        file, line, name = _user_def(fn)
        if file:
            return Where(param=param, layer=layer, file=file, line=line, function=name)
    return user_function(session, "forward", param=param, layer=layer)


def data_site(session, layer: int | None = None) -> Where:
    """The user's data() when the inputs came from it, else the forward."""
    if getattr(session, "data_source", None) == "data()":
        return user_function(session, "data", layer=layer)
    return user_function(session, "forward", layer=layer)


def pct(x: float) -> str:
    """0.973 -> '97 %'; tiny non-zero fractions stay visible ('<1 %')."""
    if 0 < x < 0.005:
        return "<1 %"
    if 0.995 <= x < 1:
        return ">99 %"
    return f"{100 * x:.0f} %"
