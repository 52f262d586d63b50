"""Shared by the shape causes: naming a broadcast's pattern and pointing at its line."""
from __future__ import annotations

from gradcheck.report import Where


def pattern(shapes: tuple) -> tuple[str, bool]:
    """(kind, same_length) of a broadcast's operand shapes.

    ``row-column``: a 1-D ``(m,)`` against a ``(k, 1)`` column: numpy pairs every
    entry with every entry, giving ``(k, m)``; almost always an accident, and
    certainly one when ``k == m`` (the same vector in two shapes).
    ``outer``: 2-D ``(k, 1)`` against ``(1, m)``: an outer product, often written on
    purpose (``delta * a.T``). ``other``: anything else (3-D and more).
    """
    arrays = [s for s in shapes if s is not None]
    rows = [s for s in arrays if len(s) == 1]
    cols = [s for s in arrays if len(s) >= 2 and s[-1] == 1]
    if rows and cols:
        return "row-column", cols[0][-2] == rows[0][0]
    if len(arrays) == 2 and all(len(s) == 2 for s in arrays):
        a, b = arrays
        if (a[1] == 1 and b[0] == 1) or (a[0] == 1 and b[1] == 1):
            return "outer", max(a) == max(b)
    return "other", False


def site_where(site, param: str | None = None) -> Where:
    return Where(param=param, file=site.file, line=site.line, function=site.function)


def site_line(site) -> str:
    """``model.py:52 in Net.backward: `delta - delta.mean(axis=1)```."""
    fn = f" in {site.function}" if site.function else ""
    return f"{rel(site.file)}:{site.line}{fn}: `{site.text}`"


def rel(path: str | None) -> str:
    import os

    if not path:
        return "?"
    r = os.path.relpath(path)
    return path if r.startswith("..") else r


def fmt(shape) -> str:
    """``(61, 1)``, ``(61,)``."""
    if shape is None:
        return "scalar"
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def reduction_source(op):
    """(site, shape) of a broadcast's 1-D operand when a sum/mean without keepdims made it."""
    for s, shape in zip(op.sources, op.shapes):
        if s is not None and shape is not None and len(shape) == 1 and s.kind == "call" and s.op in ("sum", "mean"):
            return s, shape
    return None
