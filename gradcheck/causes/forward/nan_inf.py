"""NaN or infinite values in the output, the loss or the gradient.

## What it does
Counts non-finite entries in the forward output on a small batch at the
initial weights, and in the analytic gradient.

## Why is this bad?
One NaN spreads to every weight at the next update; after that nothing
trains. The usual sources are ``np.exp`` of a large score (softmax without
subtracting the max), ``log(0)`` in cross-entropy, or a division by a sum that
is zero.

## Example
```python
def softmax(z):
    e = np.exp(z)               # overflows for z > 709
    return e / e.sum(axis=1, keepdims=True)
```

Use instead:
```python
def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
```

## Confidence
0.95 when the inputs are finite (the network made the NaN); 0.6 when the
inputs themselves contain NaN (the data, not the network, may be the cause).
"""
import numpy as np

from gradcheck.causes import cause
from gradcheck.causes._where import user_function
from gradcheck.report import Finding


@cause("nan-inf", requires=("forward",))
def judge(ev):
    out = []
    fw = ev["forward"]
    if fw.nonfinite:
        conf = 0.6 if fw.input_nonfinite else 0.95
        out.append(Finding(
            cause="nan-inf", severity="error", confidence=conf,
            title=f"forward produces {fw.nonfinite} NaN/inf values out of {fw.n * fw.outputs} on the first batch",
            evidence={"nonfinite": fw.nonfinite, "total": fw.n * fw.outputs, "input_nonfinite": fw.input_nonfinite},
            where=user_function(ev.session, "forward"),
            fix="subtract the max before np.exp in softmax, clip probabilities before log, and scale inputs to [0, 1]",
        ))
    g = ev.get("gradients")
    if g is not None:
        bad = {k: int((~np.isfinite(v)).sum()) for k, v in g.analytic.items() if not np.all(np.isfinite(v))}
        if bad:
            names = ", ".join(f"{k} ({n})" for k, n in bad.items())
            out.append(Finding(
                cause="nan-inf", severity="error", confidence=0.95,
                title=f"the gradient has NaN/inf entries in {names}",
                evidence={"nonfinite_per_param": bad}, where=user_function(ev.session, "backward", param=next(iter(bad))),
                fix="look for np.exp overflow, log(0) or division by zero in the backward pass",
            ))
    return out
