"""Terminal text: a headline, the ranked causes, then each finding as what / where / numbers / fix.

Readable without colour; ``color=True`` adds ANSI colours for a terminal
(``use_color`` decides: only on a terminal, never when ``NO_COLOR`` is set).
Layout of one report::

    gradcheck 0.1.0: model.py::model  (seed 0)
    Most likely cause: gradient-scale: the gradient of W1 is 16 times ...

    Likely causes, most likely first            (only when there are two or more)
      1. gradient-scale      error    0.90  W1, layer 1
      2. ...

    1. gradient-scale  [error, confidence 0.90]
       --> param W1, layer 1 (model.py:27 in MLP.backward)
       the gradient of W1 is 16 times the true gradient ...
         analytic/numeric ratio 16 on every sampled entry of W1
       fix: dW1 is 16x too large: divide it by 16 ...
       docs: gradcheck explain gradient-scale

    note: ...
    checks: data passed 0.01s, forward passed 0.00s, gradients failed 0.02s
    verdict: bugs-found (1 error, 0 warnings)
"""
from __future__ import annotations

import os
from typing import TextIO

from gradcheck.report import VERSION, Finding, Report

_C = {"error": "\033[1;31m", "warning": "\033[1;33m", "info": "\033[1;36m", "bold": "\033[1m",
      "dim": "\033[2m", "green": "\033[1;32m", "reset": "\033[0m"}
_VERDICT_STYLE = {"bugs-found": "error", "warnings": "warning", "clean": "green"}


def use_color(stream: TextIO, choice: str = "auto") -> bool:
    """Colour on ``stream``? ``choice`` is "auto", "always" or "never".

    "auto" colours only a terminal, and never when the ``NO_COLOR`` environment
    variable is set to a non-empty value (https://no-color.org).
    """
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _paint(s: str, style: str, color: bool) -> str:
    return f"{_C[style]}{s}{_C['reset']}" if color else s


def _rel(path: str | None) -> str | None:
    if not path:
        return path
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def location(f: Finding) -> str:
    """``model.py:27 in MLP.backward`` (or "")."""
    w = f.where
    if not w.file:
        return ""
    return _rel(w.file) + (f":{w.line}" if w.line else "") + (f" in {w.function}" if w.function else "")


def where_line(f: Finding) -> str:
    """``param W1, layer 1 (model.py:27 in MLP.backward)``."""
    w = f.where
    head = ", ".join(p for p in (f"param {w.param}" if w.param else "",
                                 f"layer {w.layer}" if w.layer is not None else "") if p)
    loc = location(f)
    return f"{head} ({loc})" if head and loc else head or loc


def short_where(f: Finding) -> str:
    """The place in a few characters, for the ranked table: ``W1, layer 1`` or ``model.py:30``."""
    w = f.where
    if w.param:
        return w.param + (f", layer {w.layer}" if w.layer is not None else "")
    if w.layer is not None:
        return f"layer {w.layer}"
    if w.file:
        return os.path.basename(w.file) + (f":{w.line}" if w.line else "")
    return ""


def finding(f: Finding, i: int, color: bool) -> list[str]:
    """One finding: what (cause, severity, confidence), where, the numbers, the fix."""
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


def ranked(findings: list[Finding], color: bool) -> list[str]:
    """The ranked table: one line per finding, most likely cause first."""
    width = max(len(f.cause) for f in findings)
    lines = [_paint("Likely causes, most likely first", "bold", color)]
    for i, f in enumerate(findings, 1):
        sev = _paint(f"{f.severity:8s}", f.severity, color)
        lines.append(f"  {i:>2}. {f.cause:{width}s}  {sev} {f.confidence:.2f}  {short_where(f)}".rstrip())
    return lines


def _checks(r: Report) -> str:
    parts = []
    for c in r.checks:
        s = f"{c.name} {c.status}"
        if c.status == "skipped" and c.note:
            s += f" ({c.note})"
        elif c.status != "skipped":
            s += f" {c.seconds:.2f}s"
        parts.append(s)
    return "checks: " + ", ".join(parts)


def counts(r: Report) -> str:
    n_warn = sum(f.severity == "warning" for f in r.findings)
    return f"{_plural(len(r.errors), 'error')}, {_plural(n_warn, 'warning')}"


def report(r: Report, color: bool = False) -> str:
    style = _VERDICT_STYLE[r.verdict]
    lines = [_paint(f"gradcheck {VERSION}: {r.target}", "bold", color) + f"  (seed {r.seed})"]
    lines.append(_paint(r.headline or r.verdict, style, color))
    lines.append("")
    if len(r.findings) >= 2:
        lines += ranked(r.findings, color)
        lines.append("")
    for i, f in enumerate(r.findings, 1):
        lines += finding(f, i, color)
        lines.append("")
    for n in r.notes:
        lines.append(_paint(f"note: {n}", "dim", color))
    if r.checks:
        lines.append(_paint(_checks(r), "dim", color))
    lines.append(_paint(f"verdict: {r.verdict} ({counts(r)})", style, color))
    return "\n".join(lines)


def overall(reports: list[Report]) -> str:
    """One line over several models: ``3 models checked: 1 with errors, 0 with warnings, 2 clean``."""
    by = {v: sum(r.verdict == v for r in reports) for v in _VERDICT_STYLE}
    return (f"{len(reports)} models checked: {by['bugs-found']} with errors, {by['warnings']} with warnings, "
            f"{by['clean']} clean")


def render(reports: list[Report], color: bool = False, **_) -> str:
    out = "\n\n".join(report(r, color) for r in reports)
    if len(reports) > 1:
        worst = "bugs-found" if any(r.errors for r in reports) else (
            "warnings" if any(r.verdict == "warnings" for r in reports) else "clean")
        out += "\n\n" + _paint(overall(reports), _VERDICT_STYLE[worst], color)
    return out + "\n"


def one_line(f: Finding) -> str:
    """pylint-style one line for CI logs."""
    loc = f"{_rel(f.where.file)}:{f.where.line}: " if f.where.file else ""
    return f"{loc}{f.cause}: {f.title} [{f.severity}, {f.confidence:.2f}]"
