"""Terminal text: a headline, then each finding as what / where / numbers / fix.

Readable without colour; ``color=True`` adds ANSI colours for a terminal.
"""
from __future__ import annotations

import os

from gradcheck.report import VERSION, Finding, Report

_C = {"error": "\033[1;31m", "warning": "\033[1;33m", "info": "\033[1;36m", "bold": "\033[1m",
      "dim": "\033[2m", "green": "\033[1;32m", "reset": "\033[0m"}


def _paint(s: str, style: str, color: bool) -> str:
    return f"{_C[style]}{s}{_C['reset']}" if color else s


def _rel(path: str | None) -> str | None:
    if not path:
        return path
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def where_line(f: Finding) -> str:
    """``param W1, layer 1 (model.py:27 in MLP.backward)``."""
    w = f.where
    head = ", ".join(p for p in (f"param {w.param}" if w.param else "",
                                 f"layer {w.layer}" if w.layer is not None else "") if p)
    loc = ""
    if w.file:
        loc = _rel(w.file) + (f":{w.line}" if w.line else "") + (f" in {w.function}" if w.function else "")
    return f"{head} ({loc})" if head and loc else head or loc


def finding(f: Finding, i: int, color: bool) -> list[str]:
    head = f"{i}. {f.cause}  [{f.severity}, confidence {f.confidence:.2f}]"
    if f.confirmed:
        head += "  (fix confirmed)"
    out = [_paint(head, f.severity, color)]
    wl = where_line(f)
    if wl:
        out.append(f"   --> {wl}")
    out.append(f"   {f.title}")
    for d in f.detail:
        out.append(f"     {d}")
    out.append(f"   {_paint('fix:', 'bold', color)} {f.fix}")
    out.append(_paint(f"   docs: gradcheck explain {f.cause}", "dim", color))
    return out


def report(r: Report, color: bool = False) -> str:
    lines = [_paint(f"gradcheck {VERSION}: {r.target}", "bold", color) + f"  (seed {r.seed})"]
    verdict_style = {"bugs-found": "error", "warnings": "warning", "clean": "green"}[r.verdict]
    lines.append(_paint(r.headline, verdict_style, color))
    lines.append("")
    for i, f in enumerate(r.findings, 1):
        lines += finding(f, i, color)
        lines.append("")
    for n in r.notes:
        lines.append(_paint(f"note: {n}", "dim", color))
    checks = ", ".join(f"{c.name} {c.status} ({c.seconds:.2f}s)" for c in r.checks)
    if checks:
        lines.append(_paint(f"checks: {checks}", "dim", color))
    n_err = len(r.errors)
    n_warn = sum(f.severity == "warning" for f in r.findings)
    lines.append(_paint(f"verdict: {r.verdict} ({n_err} error{'s' * (n_err != 1)}, "
                        f"{n_warn} warning{'s' * (n_warn != 1)})", verdict_style, color))
    return "\n".join(lines)


def render(reports, color: bool = False, **_) -> str:
    return "\n\n".join(report(r, color) for r in reports) + "\n"


def one_line(f: Finding) -> str:
    """pylint-style one line for CI logs."""
    loc = f"{_rel(f.where.file)}:{f.where.line}: " if f.where.file else ""
    return f"{loc}{f.cause}: {f.title} [{f.severity}, {f.confidence:.2f}]"
