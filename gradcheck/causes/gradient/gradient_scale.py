"""A parameter's gradient is off by a constant factor that the others do not share.

## What it does
When a parameter's analytic gradient is the true gradient times a constant
(compared whole-array with the reference network fed your weights, or from
the analytic/numeric ratio of sampled entries when the reference cannot
reproduce the network), while the other parameters agree with the global
scale, the gradient is the right direction with the wrong size: a ``1/n`` on
one layer only, a stray factor 2, a learning rate folded into one gradient.
Parameters that share the same wrong factor (a scale that enters in the
delta of a layer) are reported together, at the layer where it enters.

## Why is this bad?
The layers then learn at different effective learning rates: one layer
crawls or blows up while the others train normally. A scale shared by every
parameter (a 1/n on the loss) is not a bug and is reported as information.

## Example
```python
dW2 = a1.T @ delta2 / n
dW1 = X.T @ delta1            # missing / n
```

Use instead:
```python
dW1 = X.T @ delta1 / n
```

## Confidence
0.9 when the reference matched the scaled array exactly (relative residual
below 1e-4); 0.8 when every sampled entry shares the ratio within 0.2 % and
the random direction agrees.
"""
from gradcheck.causes import cause
from gradcheck.causes._where import fmt
from gradcheck.causes.gradient._common import (confidence, describe_ratio, enters_detail, explanation_evidence,
                                               explanations, join, where)
from gradcheck.report import Finding


@cause("gradient-scale", requires=("gradient_patterns",))
def judge(ev):
    out = []
    g = ev["gradients"]
    for e in explanations(ev, "gradient-scale"):
        r = e.ratio
        label = describe_ratio(r, g.n)
        fix = (f"d{e.entry} is {fmt(r)}x too large: divide it by {fmt(r)}" if abs(r) > 1 else
               f"d{e.entry} is {fmt(r)}x too small: multiply it by {fmt(1 / r)}")
        fix += " (check for a missing or extra 1/n, 2 or learning rate in this layer only)"
        out.append(Finding(
            cause="gradient-scale", severity="error", confidence=confidence(e, 0.9),
            title=f"the gradient of {join(e.params)} is {label} times the true gradient "
                  f"(the other parameters' scale is 1)",
            evidence={**explanation_evidence(e), "global_scale": ev["gradient_patterns"].scale},
            where=where(ev, e.entry), fix=fix, detail=enters_detail(ev, e)))
    return out
