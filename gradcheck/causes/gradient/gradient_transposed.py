"""A weight gradient is the transpose of the true one.

## What it does
Reports a weight whose analytic gradient equals the true gradient transposed.
On a square weight this is a wrong value, found by comparing whole arrays with
the reference network (or, without it, by applying the check's own random
direction to the transposed array: no extra evaluations). On a non-square
weight the backward returns the transposed shape, which is named here rather
than as a generic shape error. Shape exploration re-runs the check on square
and non-square sizes, so a transposed gradient that a default size hides is
still found.

## Why is this bad?
A transposed ``dW`` updates weight ``W[i, j]`` with the gradient of
``W[j, i]``: on a square layer training silently goes wrong; on any other
layer ``W -= lr * dW`` crashes, or broadcasting code that "fixes" the shape
with ``.T`` hides the bug until a square layer appears.

## Example
```python
dW1 = delta1.T @ X            # (hidden, in): the transpose of W1 (in, hidden)
```

Use instead:
```python
dW1 = X.T @ delta1            # rows: inputs.T @ delta has W1's shape (in, hidden)
```

## Confidence
0.95 when the reference matched the transposed array exactly; 0.9 when the
returned shape is W's shape reversed; 0.85 when told from the random
direction alone.
"""
from gradcheck.causes import cause
from gradcheck.causes.gradient._common import (confidence, enters_detail, explanation_evidence, explanations,
                                               shape_kind, shape_problems, where)
from gradcheck.causes._where import user_function
from gradcheck.report import Finding


def _fix(ev, name):
    layout = ev.session.model.layout
    if layout == "rows":
        return f"compute d{name} as (input of the layer).T @ delta, which has {name}'s shape (in, out)"
    return f"compute d{name} as delta @ (input of the layer).T, which has {name}'s shape (out, in)"


@cause("gradient-transposed", requires=("failures",))
def judge(ev):
    out = []
    if "gradient_patterns" in ev:
        for e in explanations(ev, "gradient-transposed"):
            out.append(Finding(
                cause="gradient-transposed", severity="error", confidence=confidence(e, 0.95),
                title=f"the gradient of {e.entry} is the transpose of the true gradient",
                evidence=explanation_evidence(e), where=where(ev, e.entry), fix=_fix(ev, e.entry),
                detail=enters_detail(ev, e)))
    for k, gs, ps, n, role in shape_problems(ev):
        if shape_kind(ev, k, gs, ps, n) != "transposed":
            continue
        out.append(Finding(
            cause="gradient-transposed", severity="error", confidence=0.9,
            title=f"the gradient of {k} has shape {gs}, the transpose of {k}'s shape {ps}",
            evidence={"param": k, "gradient_shape": list(gs), "param_shape": list(ps)},
            where=user_function(ev.session, role, param=k), fix=_fix(ev, k),
            detail=("a gradient must have its parameter's shape; this one is the parameter's shape reversed",)))
    return out
