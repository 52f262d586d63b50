"""What the rewritten user code calls: do the operation, and, while a recorder
is active, note the shapes of its operands and result.

With no active recorder a hook only performs the operation. The rewritten
code is only installed while the audit runs (see ``gradcheck.audit.recording``),
so outside the audit the user's functions run their original bytecode and
these hooks are not called at all.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gradcheck.audit._rewrite import Site
from gradcheck.usercode import UserCodeTimeout

SITES: list[Site] = []
"""Every instrumented operation of every user file, indexed by site id."""

_ACTIVE: "Recorder | None" = None

ELEMENTWISE = frozenset({"multiply", "add", "subtract", "divide", "true_divide", "power", "maximum", "minimum",
                         "equal", "not_equal", "greater", "less", "greater_equal", "less_equal"})
CONTRACTIONS = frozenset({"dot", "matmul", "outer"})
REDUCTIONS = frozenset({"sum", "mean"})
_NUMPY_FUNCS = {id(getattr(np, n)): n for n in ELEMENTWISE | CONTRACTIONS | REDUCTIONS if hasattr(np, n)}

_MAX_EVENTS = 400
"""Recent events kept per role call for linking a crash to its cause (memory bound)."""
_MAX_RESULTS = 20000
"""Result arrays remembered (weakly) per role call, to find the line that made a parameter."""


def _shape(x: Any) -> tuple | None:
    return tuple(x.shape) if isinstance(x, np.ndarray) else None


def _size(shape: tuple) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


@dataclass
class Event:
    """One observed execution of a site (operands and result shapes)."""

    site: int
    role: str | None
    kind: str
    """``elementwise``, ``matrix*`` (``*`` on np.matrix), ``contraction``, ``reduction``."""
    shapes: tuple
    result: tuple | None
    matrix: bool
    extra: tuple = ()
    """For reductions: (("axis", a), ("keepdims", k))."""
    error: str | None = None
    seq: int = 0
    sources: tuple = ()
    """For broadcasts: the site that computed each operand in the same call (None: not seen)."""
    ref: Any = field(default=None, repr=False, compare=False)
    """Weak reference to the result array (recent events only)."""

    @property
    def broadcast(self) -> bool:
        """Elementwise, and the result is larger than every operand."""
        if self.kind != "elementwise" or self.result is None:
            return False
        arrays = [s for s in self.shapes if s is not None]
        if len(arrays) < 2:
            return False
        size = _size(self.result)
        return size > 1 and all(size > _size(s) for s in arrays)

    def key(self) -> tuple:
        return (self.site, self.role, self.kind, self.shapes, self.result, self.matrix, self.extra, self.error,
                self.sources)


@dataclass
class Failure:
    """The wrapped operation that raised, with what it was given."""

    event: Event
    linked: list[Event]
    """Recent broadcast events whose result array is one of the failing operands (identity)."""


class Recorder:
    """Collects events while active; one ``begin(role)`` per call of the user's code."""

    def __init__(self) -> None:
        self.role: str | None = None
        self.counts: dict[tuple, list] = {}
        """event key -> [Event, count]"""
        self.seq = 0
        self.recent: list[Event] = []
        self.failure: Failure | None = None
        self.results: dict[int, tuple[Any, int]] = {}

    def begin(self, role: str) -> None:
        self.role = role
        self.recent = []
        self.failure = None
        self.results = {}

    def end(self) -> None:
        self.role = None

    # -- queries -----------------------------------------------------------
    def events(self) -> list[tuple[Event, int]]:
        return [(e, n) for e, n in self.counts.values()]

    def made(self, array: Any) -> int | None:
        """Site whose result is ``array`` (this very object), in the current role call."""
        hit = self.results.get(id(array))
        if hit is not None and hit[0]() is array:
            return hit[1]
        return None

    # -- recording ---------------------------------------------------------
    def note(self, site: int, kind: str, operands: tuple, result: Any, error: BaseException | None = None,
             extra: tuple = ()) -> None:
        shapes = tuple(_shape(o) for o in operands)
        rshape = _shape(result)
        if rshape is None and error is None and all(s is None for s in shapes):
            return
        matrix = any(isinstance(o, np.matrix) for o in operands) or isinstance(result, np.matrix)
        self.seq += 1
        ev = Event(site, self.role, kind, shapes, rshape, matrix, extra,
                   None if error is None else f"{type(error).__name__}: {error}", self.seq)
        if ev.broadcast:
            ev.sources = tuple(self.made(o) if isinstance(o, np.ndarray) else None for o in operands)
            if any(_is_arange(o) for o in operands):
                ev.extra = (("arange", True),)
        k = ev.key()
        slot = self.counts.get(k)
        if slot is None:
            self.counts[k] = [ev, 1]
        else:
            slot[1] += 1
        if rshape is not None and len(self.results) < _MAX_RESULTS:
            try:
                self.results[id(result)] = (weakref.ref(result), site)
            except TypeError:
                pass
        if ev.broadcast or kind == "matrix*":
            try:
                ev.ref = weakref.ref(result) if rshape is not None else None
            except TypeError:
                ev.ref = None
            self.recent.append(ev)
            if len(self.recent) > _MAX_EVENTS:
                del self.recent[: len(self.recent) - _MAX_EVENTS]
        if error is not None:
            linked = [e for e in self.recent if e.ref is not None and any(e.ref() is o for o in operands
                                                                          if isinstance(o, np.ndarray))]
            self.failure = Failure(ev, linked)


def _is_arange(x: Any) -> bool:
    """A 1-D ``0, 1, ..., m-1``: the class axis of a one-hot encoding (``y[:, None] == np.arange(m)``)."""
    return (isinstance(x, np.ndarray) and x.ndim == 1 and 1 < x.size <= 100000
            and np.issubdtype(x.dtype, np.number) and bool(np.all(x == np.arange(x.size))))


def _elementwise_kind(site: Site, a: Any, b: Any) -> str:
    if site.op in ("*", "*=") and (isinstance(a, np.matrix) or isinstance(b, np.matrix)) \
            and np.ndim(a) >= 1 and np.ndim(b) >= 1:
        return "matrix*"
    if site.op in ("@", "@="):
        return "contraction"
    return "elementwise"


def _callee(func: Any, args: tuple, kw: dict) -> tuple[str, str, tuple, tuple] | None:
    """(name, kind, operands, extra) when ``func`` is one of numpy's functions or array methods."""
    name = _NUMPY_FUNCS.get(id(func))
    if name is None:
        owner = getattr(func, "__self__", None)
        if isinstance(owner, np.ndarray):
            name = getattr(func, "__name__", None)
            if name not in ELEMENTWISE | CONTRACTIONS | REDUCTIONS:
                return None
            args = (owner, *args)
        else:
            return None
    if name in REDUCTIONS:
        axis = kw.get("axis", args[1] if len(args) > 1 else None)
        extra = (("axis", axis if isinstance(axis, (int, tuple, type(None))) else str(axis)),
                 ("keepdims", bool(kw.get("keepdims", False))))
        return name, "reduction", args[:1], extra
    kind = "contraction" if name in CONTRACTIONS else "elementwise"
    return name, kind, tuple(args[:2]), ()


class Hooks:
    """The object the rewritten code calls as ``__gradcheck_audit__``."""

    __slots__ = ()

    @staticmethod
    def b(site: int, a: Any, b: Any) -> Any:
        s = SITES[site]
        rec = _ACTIVE
        if rec is None:
            return s.fn(a, b)
        try:
            r = s.fn(a, b)
        except Exception as e:
            _safe(rec, site, _elementwise_kind(s, a, b), (a, b), None, e)
            raise
        _safe(rec, site, _elementwise_kind(s, a, b), (a, b), r)
        return r

    c = b
    i = b

    @staticmethod
    def f(site: int, func: Any, *args: Any, **kw: Any) -> Any:
        rec = _ACTIVE
        if rec is None:
            return func(*args, **kw)
        info = _callee(func, args, kw)
        if info is None:
            return func(*args, **kw)
        _, kind, operands, extra = info
        try:
            r = func(*args, **kw)
        except Exception as e:
            _safe(rec, site, kind, operands, None, e, extra)
            raise
        _safe(rec, site, kind, operands, r, None, extra)
        return r


def _safe(rec: Recorder, site: int, kind: str, operands: tuple, result: Any, error: BaseException | None = None,
          extra: tuple = ()) -> None:
    """Recording must never change what the user's code does."""
    try:
        rec.note(site, kind, operands, result, error, extra)
    except UserCodeTimeout:
        raise  # the time budget ran out while recording: stop the user's code as usual
    except Exception:  # noqa: BLE001 - a recording bug must not break the user's code
        pass


HOOKS = Hooks()


def activate(rec: Recorder | None) -> None:
    global _ACTIVE
    _ACTIVE = rec
