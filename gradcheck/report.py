"""Finding and Report: what gradcheck concludes, in the shape every renderer reads.

A ``Finding`` is one judged problem (a cause, its severity and confidence, where
it is, the numbers and the fix). A ``Report`` is the ranked list of findings for
one model plus the checks that ran. Renderers (``gradcheck.render``) turn a
Report into text, JSON or HTML; nothing here formats for a terminal.
"""
from __future__ import annotations

from dataclasses import dataclass, field, asdict
from typing import Any

SEVERITIES = ("error", "warning", "info")
VERSION = "0.1.0"

EXTRAS: dict[str, str] = {
    "loss_curve": '{"user": [loss per step], "reference": [loss per step]} (either may be absent)',
    "accuracy_curve": '{"user": [accuracy per step], "reference": [...]}',
    "curve_steps": '{"user": [the step of each point of the curves], "reference": [...]} (when the curves '
                   'are measured every k steps; absent: one point per step)',
    "overfit_curve": '{"user": [loss on one tiny batch], "at": [the step of each value]}',
    "activation_hist": '{"layer 1 (sigmoid)": {"edges": [k+1 floats], "counts": [k numbers]}, ...}',
    "grad_error": "{param: relative mismatch of its gradient (float; 0 is exact)}",
    "grad_tolerance": "{param: the tolerance the mismatch was judged against}",
}
"""The keys of ``Report.extras`` that renderers draw (probes fill them through
``probes.Evidence.extras``). Plain lists and floats only; a picture is drawn
when its key is present and is reported as absent otherwise."""


@dataclass(frozen=True)
class Where:
    """The place a finding points at. Every field is optional."""

    param: str | None = None
    """Parameter name as the model exposes it, e.g. ``"W1"``."""

    layer: int | None = None
    """1-based layer index (layer 1 is the first hidden layer)."""

    file: str | None = None
    """The user's source file."""

    line: int | None = None
    """1-based line in ``file``."""

    function: str | None = None
    """The user's function at that line, e.g. ``"backward"``."""

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def __str__(self) -> str:
        parts = []
        if self.param:
            parts.append(f"param {self.param}")
        if self.layer is not None:
            parts.append(f"layer {self.layer}")
        loc = ""
        if self.file:
            loc = self.file + (f":{self.line}" if self.line else "")
            if self.function:
                loc += f" in {self.function}"
        return ", ".join(parts) + (f" ({loc})" if loc and parts else loc)


@dataclass(frozen=True)
class Finding:
    """One judged problem."""

    cause: str
    """Stable kebab-case cause name from the design (``gradient-scale``)."""

    severity: str
    """``error`` (training cannot work), ``warning`` or ``info``."""

    confidence: float
    """0..1: how sure the cause is, computed as its docstring explains."""

    title: str
    """One line: what is wrong, with the key number."""

    fix: str
    """What to change, as an action."""

    evidence: dict[str, Any] = field(default_factory=dict)
    """The numbers behind the finding (JSON-serialisable)."""

    where: Where = field(default_factory=Where)
    """Parameter, layer and file:line."""

    detail: tuple[str, ...] = ()
    """Extra lines for the text report (numpy.testing style remarks)."""

    confirmed: bool | None = None
    """True when gradcheck tried the fix and the symptom went away."""

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, not {self.severity!r}")
        object.__setattr__(self, "confidence", float(min(1.0, max(0.0, self.confidence))))

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "cause": self.cause,
            "severity": self.severity,
            "confidence": round(self.confidence, 3),
            "title": self.title,
            "evidence": _jsonable(self.evidence),
            "where": self.where.to_dict(),
            "fix": self.fix,
        }
        if self.confirmed is not None:
            d["confirmed"] = self.confirmed
        return d


@dataclass(frozen=True)
class Check:
    """One probe or check that ran, for the report's ``checks`` list."""

    name: str
    status: str  # "passed" | "failed" | "skipped" | "error"
    seconds: float = 0.0
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = {"name": self.name, "status": self.status, "seconds": round(self.seconds, 3)}
        if self.note:
            d["note"] = self.note
        return d


@dataclass
class Report:
    """Ranked findings for one model."""

    target: str
    findings: list[Finding] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """Information that is not a finding (inferred loss, global gradient scale, seed)."""
    seed: int = 0
    headline: str = ""
    extras: dict[str, Any] = field(default_factory=dict)
    """Data for pictures (keys in ``EXTRAS``); drawn by the HTML renderer, not part of the JSON contract."""

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def verdict(self) -> str:
        if self.errors:
            return "bugs-found"
        if any(f.severity == "warning" for f in self.findings):
            return "warnings"
        return "clean"

    @property
    def exit_code(self) -> int:
        return 1 if self.errors else 0

    def causes(self) -> list[str]:
        return [f.cause for f in self.findings]

    def to_dict(self) -> dict[str, Any]:
        return {
            "gradcheck": VERSION,
            "target": self.target,
            "verdict": self.verdict,
            "headline": self.headline,
            "seed": self.seed,
            "findings": [f.to_dict() for f in self.findings],
            "checks": [c.to_dict() for c in self.checks],
            "notes": list(self.notes),
        }

    def __repr__(self) -> str:
        top = f"; most likely {self.findings[0].cause}" if self.findings else ""
        return (f"<Report {self.target}: {self.verdict}, {len(self.findings)} finding"
                f"{'s' * (len(self.findings) != 1)}{top}>")

    def _repr_html_(self) -> str:
        from gradcheck.render import html

        return html.render([self], standalone=False)

    def __str__(self) -> str:
        from gradcheck.render import text

        return text.render([self], color=False)


def _jsonable(x: Any) -> Any:
    """Numbers and arrays in evidence become plain JSON values."""
    import numpy as np

    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return _jsonable(x.tolist())
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float):
        if x != x or x in (float("inf"), float("-inf")):
            return str(x)
        return float(f"{x:.6g}")
    return x
