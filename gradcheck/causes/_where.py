"""Helpers for causes: where a finding points, and numpy-style remark lines."""
from __future__ import annotations

import inspect
from typing import Any

import numpy as np

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


def jsonable_index(idx) -> list[int]:
    return [int(i) for i in np.atleast_1d(idx)]
