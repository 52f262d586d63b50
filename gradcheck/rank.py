"""One ranked verdict from every cause's findings.

How findings are ordered, and why:

1. Errors before warnings before info.
2. By *stage*: a training program is a pipeline, and the earliest broken stage
   is the root (its breakage hides or causes the later ones):
   the program's own plumbing (a forward that returns None, an accuracy that
   broadcasts, a crash) > the gradient > the update rule > the data > the
   initialisation and capacity > settings and symptoms (learning rate,
   saturation, dead units). Code bugs therefore rank above settings.
   A finding with confidence below ``TIER_MIN_CONFIDENCE`` does not get its
   stage's precedence: it is ranked with the symptoms.
3. Within a stage: a fix gradcheck tried and confirmed first, then confidence.
4. A symptom that a present root cause explains (``EXPLAINS``) is placed
   right after that root, not among the independent causes.
5. One finding per cause: findings of one cause on several parameters or
   lines are folded into the first (the others listed in its detail).
   A specific gradient cause on a parameter replaces ``gradient-mismatch`` there.

``corroborate`` first folds the static (lint) findings of the model's file into
the run-time ones: a cause both report is one finding, the run-time one, with
the lint line added and its confidence raised.
"""
from __future__ import annotations

import dataclasses
import os

from gradcheck.report import Finding

_SEVERITY = {"error": 0, "warning": 1, "info": 2}

STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("program", ("forward-returns-none", "eval-broadcast", "code-raises", "output-shape", "bad-return",
                 "broadcast-shape", "matrix-type", "softmax-axis", "nan-inf", "forward-mismatch")),
    ("gradient", ("logits-not-probabilities", "wrong-activation-derivative", "bias-gradient-axis",
                  "gradient-transposed", "gradient-sign", "gradient-scale", "gradient-missing", "gradient-shape",
                  "gradient-mismatch", "approximate-gradient")),
    ("update", ("rescaled-weights", "update-direction", "dead-updates", "update-aliasing", "param-shape-changed")),
    ("data", ("integer-overflow", "unnormalized-inputs", "label-encoding", "target-range")),
    ("init", ("symmetric-init", "positive-init", "init-scale", "bottleneck-layer")),
)
"""Stages in pipeline order; causes not listed are settings and symptoms (last)."""
_STAGE = {c: i for i, (_, causes) in enumerate(STAGES) for c in causes}
TIER_MIN_CONFIDENCE = 0.7
"""Below this a finding is too uncertain to outrank the symptoms by its stage alone."""

# cause -> causes it explains (they rank below it when both are present)
EXPLAINS: dict[str, tuple[str, ...]] = {
    "forward-returns-none": ("code-raises", "eval-broadcast"),
    "unnormalized-inputs": ("saturated-activations", "dead-relu", "learning-rate-too-large", "init-scale", "nan-inf",
                            "cannot-overfit"),
    "integer-overflow": ("unnormalized-inputs", "nan-inf", "cannot-overfit"),
    "label-encoding": ("cannot-overfit",),
    "target-range": ("saturated-activations", "cannot-overfit"),
    "positive-init": ("saturated-activations", "dead-relu", "cannot-overfit"),
    "symmetric-init": ("saturated-activations", "dead-relu", "positive-init", "init-scale", "cannot-overfit"),
    "init-scale": ("saturated-activations", "dead-relu", "cannot-overfit"),
    "saturated-activations": ("learning-rate-too-small", "cannot-overfit"),
    "dead-relu": ("dead-updates", "cannot-overfit"),
    "bottleneck-layer": ("cannot-overfit",),
    "softmax-axis": ("gradient-mismatch", "cannot-overfit"),
    "logits-not-probabilities": ("gradient-mismatch", "cannot-overfit"),
    "broadcast-shape": ("code-raises", "gradient-shape", "output-shape", "param-shape-changed", "gradient-mismatch",
                        "cannot-overfit"),
    "matrix-type": ("code-raises", "gradient-shape", "output-shape", "cannot-overfit"),
    "rescaled-weights": ("learning-rate-too-small", "learning-rate-too-large", "update-direction", "cannot-overfit",
                         "gradient-mismatch"),
    "dead-updates": ("learning-rate-too-small", "cannot-overfit"),
    "update-direction": ("learning-rate-too-large", "learning-rate-too-small", "cannot-overfit", "nan-inf"),
    "update-aliasing": ("learning-rate-too-large", "cannot-overfit", "nan-inf"),
    "param-shape-changed": ("code-raises", "cannot-overfit"),
    "learning-rate-too-large": ("cannot-overfit", "dead-relu", "saturated-activations"),
    "learning-rate-too-small": ("cannot-overfit",),
    "gradient-mismatch": ("update-direction", "cannot-overfit"),
    "gradient-sign": ("update-direction", "cannot-overfit"),
    "gradient-scale": ("cannot-overfit",),
    "gradient-transposed": ("cannot-overfit", "code-raises"),
    "gradient-missing": ("dead-updates", "cannot-overfit"),
    "gradient-shape": ("param-shape-changed", "code-raises"),
    "wrong-activation-derivative": ("cannot-overfit",),
    "bias-gradient-axis": ("cannot-overfit", "param-shape-changed", "code-raises"),
    "nan-inf": ("cannot-overfit",),
    "code-raises": ("cannot-overfit",),
}

FALLBACK = {"cannot-overfit"}
"""Causes reported only when nothing more specific explains them: dropped when a cause that EXPLAINS them is present."""

GENERIC = {"gradient-mismatch"}


def _param(f: Finding) -> str | None:
    return f.where.param or f.evidence.get("param")


SPECIFIC_GRADIENT = ("gradient-scale", "gradient-sign", "gradient-transposed", "gradient-missing",
                     "bias-gradient-axis", "logits-not-probabilities", "wrong-activation-derivative",
                     "approximate-gradient")
"""Gradient causes that name what is wrong; on a parameter they cover, gradient-mismatch is dropped."""


def _covered(f: Finding) -> set:
    """The parameters a finding explains: its own, and every one it lists (an error that propagates)."""
    return {_param(f), *(f.evidence.get("params") or ())}


def dedupe(findings: list[Finding]) -> list[Finding]:
    specific_params = set().union(*(_covered(f) for f in findings if f.cause in SPECIFIC_GRADIENT))
    kept: dict[tuple, Finding] = {}
    for f in findings:
        if f.cause in GENERIC and _param(f) in specific_params:
            continue
        key = (f.cause, _param(f), f.where.file, f.where.line if f.cause in ("code-raises",) else None)
        if key not in kept or f.confidence > kept[key].confidence:
            kept[key] = f
    return list(kept.values())


SUMMARIES = {"training-fails"}
"""Causes that sum up the others (the oracle's side-by-side verdict, with the fix it confirmed): they rank
after every other finding of their severity, and become information when another cause reports an error
(they back it; they are not one more error)."""


def stage(f: Finding) -> int:
    """0 (the program's plumbing) .. len(STAGES) (settings and symptoms); summaries after those."""
    if f.cause in SUMMARIES:
        return len(STAGES) + 1
    if f.confidence < TIER_MIN_CONFIDENCE:
        return len(STAGES)
    return _STAGE.get(f.cause, len(STAGES))


def fold(findings: list[Finding]) -> list[Finding]:
    """One finding per cause: the first keeps its place; the others are listed in its detail."""
    out: list[Finding] = []
    first: dict[str, int] = {}
    for f in findings:
        if f.cause not in first:
            first[f.cause] = len(out)
            out.append(f)
            continue
        i = first[f.cause]
        head = out[i]
        where = f.where.param or (f"{os.path.basename(f.where.file)}:{f.where.line}" if f.where.file else "")
        also = head.evidence.get("also", []) + [{"param": f.where.param, "line": f.where.line, "title": f.title}]
        out[i] = dataclasses.replace(head, evidence={**head.evidence, "also": also},
                                     detail=head.detail + (f"also{' at ' + where if where else ''}: {f.title}",))
    return out


def rank(findings: list[Finding]) -> list[Finding]:
    findings = dedupe(findings)
    if any(f.severity == "error" and f.cause not in SUMMARIES for f in findings):
        # a summary backs the errors that explain it; it is not one more error
        findings = [dataclasses.replace(f, severity="info") if f.cause in SUMMARIES else f for f in findings]
    present = {f.cause for f in findings}
    explainer = {}
    for root, symptoms in EXPLAINS.items():
        if root in present:
            for c in symptoms:
                explainer.setdefault(c, root)
    findings = [f for f in findings if not (f.cause in FALLBACK and f.cause in explainer)]
    key = lambda f: (_SEVERITY[f.severity], stage(f), not f.confirmed, -f.confidence)  # noqa: E731
    roots = sorted((f for f in findings if f.cause not in explainer), key=key)
    symptoms = sorted((f for f in findings if f.cause in explainer), key=key)
    ordered = list(roots)
    for s in symptoms:
        root = explainer[s.cause]
        # after the root's last finding, or after the last symptom already placed behind it
        idx = max((i for i, f in enumerate(ordered) if f.cause == root or explainer.get(f.cause) == root),
                  default=len(ordered) - 1)
        ordered.insert(idx + 1, s)
    return fold(ordered)


_HEADLINE = {
    "program": "Your program itself is broken",
    "gradient": "Your backward pass is wrong",
    "update": "Your update rule is wrong",
    "data": "Your input data is the problem",
    "init": "Your initialisation (or architecture) is the problem",
}


def _summary_stage(f: Finding) -> int:
    """The stage a summary's verdict points at: where the code first differs, or what the fix changes."""
    names = [n for n, _ in STAGES]
    first = (f.evidence.get("first_difference") or {}).get("kind")
    if f.evidence.get("verdict") in ("code", "code+settings"):
        return names.index({"forward": "program", "update": "update"}.get(first, "gradient"))
    fix = f.evidence.get("fix_change") or ""
    if "scaled-inputs" in fix:
        return names.index("data")
    if "fan-in-init" in fix or "wider-hidden" in fix:
        return names.index("init")
    return len(STAGES)


def headline(findings: list[Finding]) -> str:
    if not findings:
        return "No problems found: the gradients match finite differences."
    top = findings[0]
    if top.severity != "error":
        return f"No errors; {len(findings)} warning(s): {top.title}"
    i = _summary_stage(top) if top.cause in SUMMARIES else stage(top)
    lead = _HEADLINE.get(STAGES[i][0], "Your training settings are the problem") if i < len(STAGES) else \
        "Your training settings are the problem"
    at = f" at {top.where.param}" if top.where.param and i == 1 else ""
    return f"{lead}{at}: {top.title} ({top.cause})"


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
