"""A parameter's gradient is off by a constant factor that the others do not share.

## What it does
When one parameter fails the gradient check and every sampled entry of it
has the same analytic/numeric ratio, while the other parameters agree with
the global scale, the parameter's gradient is the right direction with the
wrong size: a ``1/n`` on one layer only, a stray factor 2, a learning rate
folded into one gradient.

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
0.9 when at least three sampled entries share the ratio within 0.2 %.
"""
from gradcheck.causes import cause
from gradcheck.causes._where import fmt
from gradcheck.causes.gradient._common import constant_ratio, failed_blocks, ok_names, where
from gradcheck.report import Finding


@cause("gradient-scale", requires=("gradients",))
def judge(ev):
    out = []
    g = ev["gradients"]
    good = ok_names(ev)
    for name, bc in failed_blocks(ev):
        r = constant_ratio(bc)
        if r is None or abs(r + 1) < 2e-3:  # -1 is gradient-sign
            continue
        out.append(Finding(
            cause="gradient-scale", severity="error", confidence=0.9,
            title=f"the gradient of {name} is {fmt(r)} times the true gradient (the other parameters' scale is 1)",
            evidence={"param": name, "ratio": r, "global_scale": g.scale, "correct_params": good},
            where=where(ev, name),
            fix=(f"d{name} is {fmt(r)}x too large: divide it by {fmt(r)}" if abs(r) > 1 else
                 f"d{name} is {fmt(r)}x too small: multiply it by {fmt(1 / r)}")
                + " (check for a missing or extra 1/n, 2 or learning rate in this layer only)",
            detail=(f"analytic/numeric ratio {fmt(r)} on every sampled entry of {name}",
                    *(f"correct: {', '.join(good)}",) * bool(good)),
        ))
    return out
