"""What each fixture expects, read from the fixture itself.

A runnable fixture states its expectation in its module docstring, on a line
starting with ``Expected:``. Cause names on that line are expected findings,
the first one ranked first; "no error finding" marks a clean control. A
folder may instead hold ``labels.json``: ``{"file.py": {"causes": [...],
"param": "W1"}}`` (generated corpora such as the bug zoo use this).
"""
from __future__ import annotations

import ast
import json
import os
import re
from dataclasses import dataclass, field

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "fixtures")
NOT_RUNNABLE = {"lint"}  # static-rule fixtures are checked by `gradcheck lint`, not `run`
# the design's cause names: a fixture may expect a cause before its detector exists
DESIGN_CAUSES = set("""gradient-mismatch gradient-scale gradient-sign gradient-transposed gradient-missing
wrong-activation-derivative logits-not-probabilities bias-gradient-axis approximate-gradient forward-returns-none
eval-broadcast softmax-axis nan-inf unnormalized-inputs label-encoding target-range integer-overflow positive-init
symmetric-init init-scale saturated-activations dead-relu dead-updates rescaled-weights update-direction
learning-rate-too-small learning-rate-too-large update-aliasing broadcast-shape matrix-type param-shape-changed
bottleneck-layer""".split())
_CAUSE = re.compile(r"\b[a-z]+(?:-[a-z]+)+\b")


@dataclass
class Expectation:
    path: str
    causes: list[str] = field(default_factory=list)
    """Expected causes, the first one expected to rank first."""
    param: str | None = None
    clean: bool = False
    """A correct control: no error finding allowed."""

    @property
    def name(self) -> str:
        return os.path.relpath(self.path, FIXTURES)


def _from_docstring(path: str, known: set[str]) -> Expectation | None:
    with open(path, encoding="utf-8") as f:
        doc = ast.get_docstring(ast.parse(f.read())) or ""
    text = " ".join(doc.split())
    m = re.search(r"Expected:(.*?)(?:\.\s|$)", text)
    if not m:
        return None
    line = m.group(1)
    causes = [c for c in _CAUSE.findall(line) if c in known | DESIGN_CAUSES]
    clean = "no error" in line.lower()
    param = None
    pm = re.search(r"\bon (?:parameter |param )?`?([A-Za-z_][A-Za-z_0-9]*)`?", line)
    if pm and pm.group(1).lower() in ("every", "all", "each", "the", "a", "its", "both"):
        pm = None
    if pm and causes:
        param = pm.group(1)
    return Expectation(path, [] if clean and not causes else causes, param, clean)


def collect(known: set[str]) -> list[Expectation]:
    out = []
    for folder, dirs, files in os.walk(FIXTURES):
        dirs[:] = sorted(d for d in dirs if d not in NOT_RUNNABLE and not d.startswith((".", "_")))
        labels = {}
        if "labels.json" in files:
            with open(os.path.join(folder, "labels.json"), encoding="utf-8") as f:
                labels = json.load(f)
        for name in sorted(files):
            if not name.endswith(".py") or name.startswith("_"):
                continue
            path = os.path.join(folder, name)
            if name in labels:
                lab = labels[name]
                causes = lab.get("causes") or ([lab["cause"]] if lab.get("cause") else [])
                out.append(Expectation(path, causes, lab.get("param"), not causes))
                continue
            e = _from_docstring(path, known)
            if e is not None:
                out.append(e)
    return out
