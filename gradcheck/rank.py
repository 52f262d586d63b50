"""One ranked list from every cause's findings.

Order: errors before warnings before info; within a severity, root causes
before the symptoms they explain, then by confidence. A specific gradient
cause on a parameter replaces the generic ``gradient-mismatch`` on it, and a
cause reported twice for the same place is kept once (the more confident).

``corroborate`` first folds the static (lint) findings of the model's file into
the run-time ones: a cause both report is one finding, the run-time one, with
the lint line added and its confidence raised.
"""
from __future__ import annotations

import dataclasses
import os

from gradcheck.report import Finding

_SEVERITY = {"error": 0, "warning": 1, "info": 2}

# cause -> causes it explains (they rank below it when both are present)
EXPLAINS: dict[str, tuple[str, ...]] = {
    "forward-returns-none": ("code-raises", "eval-broadcast"),
    "unnormalized-inputs": ("saturated-activations", "learning-rate-too-large", "init-scale", "nan-inf"),
    "positive-init": ("saturated-activations",),
    "init-scale": ("saturated-activations", "dead-relu"),
    "logits-not-probabilities": ("gradient-mismatch",),
    "broadcast-shape": ("code-raises", "gradient-shape", "output-shape", "param-shape-changed", "gradient-mismatch"),
    "matrix-type": ("code-raises", "gradient-shape", "output-shape"),
    "integer-overflow": ("unnormalized-inputs",),
    "softmax-axis": ("forward-mismatch",),
    "forward-mismatch": ("gradient-mismatch", "training-fails"),
}

SUMMARIES = {"training-fails"}
"""Causes that sum up the others (the oracle's side-by-side verdict): any other finding of the same
severity explains them, so they rank below it and carry the confirmation as evidence."""

GENERIC = {"gradient-mismatch"}


def _param(f: Finding) -> str | None:
    return f.where.param or f.evidence.get("param")


def dedupe(findings: list[Finding]) -> list[Finding]:
    specific_params = {_param(f) for f in findings if f.cause.startswith("gradient-") and f.cause not in GENERIC
                       or f.cause in ("logits-not-probabilities", "wrong-activation-derivative",
                                      "bias-gradient-axis", "approximate-gradient")}
    kept: dict[tuple, Finding] = {}
    for f in findings:
        if f.cause in GENERIC and _param(f) in specific_params:
            continue
        key = (f.cause, _param(f), f.where.file, f.where.line if f.cause in ("code-raises",) else None)
        if key not in kept or f.confidence > kept[key].confidence:
            kept[key] = f
    return list(kept.values())


def rank(findings: list[Finding]) -> list[Finding]:
    findings = dedupe(findings)
    present = {f.cause for f in findings}
    explained = {c for root, cs in EXPLAINS.items() if root in present for c in cs}
    if present - SUMMARIES:
        explained |= SUMMARIES
    return sorted(findings, key=lambda f: (_SEVERITY[f.severity], f.cause in explained, -f.confidence))


def headline(findings: list[Finding]) -> str:
    if not findings:
        return "No problems found: the gradients match finite differences."
    top = findings[0]
    if top.severity == "error":
        return f"Most likely cause: {top.cause}: {top.title}"
    return f"No errors; {len(findings)} warning(s): {top.title}"


LINT_WEIGHT = 0.5
"""How much a lint finding of the same cause adds: confidence becomes
1 - (1 - c_run) * (1 - LINT_WEIGHT * c_lint). Half weight, because a source
pattern is weaker evidence than an observation, and the two are not independent
(both read the same code)."""


def _loc(f: Finding) -> str:
    path = f.where.file or "?"
    rel = os.path.relpath(path) if f.where.file else path
    col = f.evidence.get("col")
    return f"{path if rel.startswith('..') else rel}:{f.where.line}" + (f":{col}" if col else "")


def corroborate(runtime: list[Finding], static: list[Finding]) -> list[Finding]:
    """Run-time findings plus lint findings, one finding per cause reported by both.

    When a cause is reported at run time and by lint, the run-time finding is
    kept, with the lint lines added as detail (``evidence["lint"]``) and a
    higher confidence. A lint-only cause is kept with its own severity, one
    finding per cause (its other lines as detail).
    """
    by_cause: dict[str, list[Finding]] = {}
    for f in sorted(static, key=lambda f: (f.where.line or 0)):
        by_cause.setdefault(f.cause, []).append(f)
    out = list(runtime)
    for cause, fs in by_cause.items():
        lint_info = [{"file": f.where.file, "line": f.where.line, "col": f.evidence.get("col"), "title": f.title}
                     for f in fs]
        matched = [i for i, f in enumerate(out) if f.cause == cause]
        if matched:
            best = max(f.confidence for f in fs)
            for i in matched:
                f = out[i]
                conf = min(0.995, 1 - (1 - f.confidence) * (1 - LINT_WEIGHT * best))
                lines = tuple(f"lint agrees: {_loc(s)}: {s.title}" for s in fs[:3])
                out[i] = dataclasses.replace(f, confidence=max(conf, f.confidence), detail=f.detail + lines,
                                             evidence={**f.evidence, "lint": lint_info})
            continue
        first = fs[0]
        more = tuple(f"also at {_loc(s)}: {s.title}" for s in fs[1:4])
        out.append(dataclasses.replace(first, detail=first.detail + more,
                                       evidence={**first.evidence, "source": "lint"}))
    return out
