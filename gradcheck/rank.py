"""One ranked list from every cause's findings.

Order: errors before warnings before info; within a severity, root causes
before the symptoms they explain, then by confidence. A specific gradient
cause on a parameter replaces the generic ``gradient-mismatch`` on it, and a
cause reported twice for the same place is kept once (the more confident).
"""
from __future__ import annotations

from gradcheck.report import Finding

_SEVERITY = {"error": 0, "warning": 1, "info": 2}

# cause -> causes it explains (they rank below it when both are present)
EXPLAINS: dict[str, tuple[str, ...]] = {
    "forward-returns-none": ("code-raises", "eval-broadcast"),
    "unnormalized-inputs": ("saturated-activations", "learning-rate-too-large", "init-scale", "nan-inf"),
    "positive-init": ("saturated-activations",),
    "init-scale": ("saturated-activations", "dead-relu"),
    "logits-not-probabilities": ("gradient-mismatch",),
    "broadcast-shape": ("code-raises", "gradient-shape"),
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
