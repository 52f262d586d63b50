"""Targets the output activation can never produce (a sigmoid output trained toward 2).

## What it does
Compares the range of the targets (the one-hot rows gradcheck builds from
integer labels, or the model's own float targets) with the range of the
output activation, identified by running the user's forward against the
reference network on the same weights: sigmoid and softmax give (0, 1), tanh
(-1, 1), ReLU [0, ∞). A loss that works on probabilities (cross-entropy with
the softmax inside, NLL, binary cross-entropy) also needs targets in [0, 1].
Targets exactly at a bound (one-hot 0 and 1 for a sigmoid) are accepted.

## Why is this bad?
The loss can never reach its minimum: the network pushes the output toward a
value it cannot produce, so the pre-activations grow without limit, the output
units saturate, and their gradient vanishes. With several target values out of
reach, every one of them ends up predicted as the bound.

## Example
```python
out = sigmoid(h @ W2)          # (0, 1)
loss = np.mean((out - y) ** 2) # y holds prices, or class indices 0..9
```

Use instead:
```python
y = (y - y.min()) / (y.max() - y.min())   # or: a linear output for unbounded targets
out = h @ W2
```

## Thresholds
- a target is out of range when it lies beyond the bound by more than 0.1 %
  of the output's range (0.001 for a sigmoid): round-off in user encodings
  such as 0.99/0.01 or 1.0000001 stays silent.

## Confidence
0.9 when the output activation was identified by an exact match with the
reference and at least 1 % of the target entries are out of range; 0.7 when
fewer are (a few outliers), or when only the loss family says the outputs are
probabilities.
"""
import numpy as np

from gradcheck.causes import cause
from gradcheck.causes._where import data_site, fmt, pct
from gradcheck.report import Finding

RANGES = {"sigmoid": (0.0, 1.0), "softmax": (0.0, 1.0), "tanh": (-1.0, 1.0), "relu": (0.0, np.inf)}
PROBABILITY_LOSSES = {"cross_entropy": "cross-entropy (softmax inside the loss)", "nll": "negative log-likelihood",
                      "binary_cross_entropy": "binary cross-entropy"}
TOL = 1e-3


@cause("target-range", requires=("inputs", "architecture"))
def judge(ev):
    arch = ev["architecture"]
    y = ev.session.data.Y
    if not y.size or not np.all(np.isfinite(y)):
        return []
    kind = arch.output if arch.output in RANGES else None
    loss = ev.session.loss or (ev.session.model.loss if isinstance(ev.session.model.loss, str) else None)
    if kind is not None:
        lo, hi = RANGES[kind]
        by = f"the {kind} output"
        exact = True
    elif loss in PROBABILITY_LOSSES:
        lo, hi = 0.0, 1.0
        by = f"the {PROBABILITY_LOSSES[loss]} loss"
        exact = False
    else:
        return []
    span = (hi - lo) if np.isfinite(hi) else 1.0
    tol = TOL * span
    out = (y < lo - tol) | (y > hi + tol)
    frac = float(out.mean())
    if frac == 0:
        return []
    conf = 0.9 if exact and frac >= 0.01 else 0.7
    hi_text = "∞" if not np.isfinite(hi) else fmt(hi)
    ymin, ymax = float(y.min()), float(y.max())
    return [Finding(
        cause="target-range", severity="error", confidence=conf,
        title=f"targets range {fmt(ymin)}..{fmt(ymax)} but {by} only produces values in {fmt(lo)}..{hi_text}: "
              f"{pct(frac)} of target entries are unreachable",
        evidence={"target_min": ymin, "target_max": ymax, "output_activation": kind, "loss": loss,
                  "output_range": [lo, hi if np.isfinite(hi) else None], "unreachable_fraction": frac},
        where=data_site(ev.session),
        fix=(f"rescale the targets into {fmt(lo)}..{hi_text} (one-hot 0/1 for classes, "
             f"(y - y.min()) / (y.max() - y.min()) for values), or use a linear (identity) output "
             f"with a mean-squared-error loss for unbounded targets"),
        detail=(f"{int(out.sum())} of {out.size} target entries outside {fmt(lo)}..{hi_text}",
                f"targets from {ev['inputs'].source}: mean {fmt(float(y.mean()))}, std {fmt(float(y.std()))}"),
    )]
