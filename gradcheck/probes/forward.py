"""Forward probe: what the user's forward returns on a small batch.

Measures the output's shape and range, NaN/inf counts, and the loss at
initialisation under each loss family. A forward that returns None or an
unusable shape fails here (the failure is the evidence).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradcheck import losses

NAME = "forward"
REQUIRES: tuple[str, ...] = ()


@dataclass(frozen=True)
class ForwardEvidence:
    n: int
    outputs: int
    output_min: float
    output_max: float
    nonfinite: int
    """Count of NaN/inf entries in the output."""
    input_nonfinite: int
    initial_loss: dict
    """Loss per family at the initial weights, averaged over the batch."""


def run(session, evidence) -> ForwardEvidence:
    b = session.batch(16)
    out = session.output(b)
    finite = np.isfinite(out)
    loss0 = {}
    if finite.all() and out.shape[1] == b.Y.shape[1]:
        for fam in losses.applicable(out, b.Y):
            loss0[fam] = losses.FUNCS[fam](out, b.Y) / b.n
    x = np.asarray(b.X, dtype=np.float64)
    return ForwardEvidence(
        n=b.n, outputs=out.shape[1],
        output_min=float(np.nanmin(out)) if out.size and finite.any() else float("nan"),
        output_max=float(np.nanmax(out)) if out.size and finite.any() else float("nan"),
        nonfinite=int((~finite).sum()), input_nonfinite=int((~np.isfinite(x)).sum()),
        initial_loss=loss0,
    )
