"""The backward returns a gradient whose shape differs from its parameter.

## What it does
Compares the shape of every gradient the backward returns with the shape of
the parameter it belongs to.

## Why is this bad?
``W -= lr * dW`` with a gradient of another shape either crashes, or, worse,
broadcasts: an ``(h, 1)`` bias minus an ``(h,)`` gradient becomes ``(h, h)``
and the network silently changes shape.

## Example
```python
db1 = delta1.sum(axis=1)      # (batch,) instead of (hidden,)
```

Use instead:
```python
db1 = delta1.sum(axis=0)      # sum over the batch axis
```

## Confidence
0.95: the shapes were observed.
"""
from gradcheck.causes import cause
from gradcheck.causes._where import user_function
from gradcheck.report import Finding


@cause("gradient-shape", requires=("failures",))
def judge(ev):
    from gradcheck.causes.gradient._common import shape_kind, shape_problems

    out = []
    for p, gs, ps, n, role in shape_problems(ev):
        if role != "backward" or shape_kind(ev, p, gs, ps, n) is not None:
            continue  # a transposed weight or a bias reduced over the wrong axis: named by its own cause
        out.append(Finding(
            cause="gradient-shape", severity="error", confidence=0.95,
            title=f"the gradient for {p} has shape {gs} but {p} has shape {ps}",
            evidence={"param": p, "gradient_shape": list(gs), "param_shape": list(ps)},
            where=user_function(ev.session, "backward", param=p),
            fix=f"make d{p} the shape of {p}: a transposed product, or a sum over the wrong axis, is the usual cause",
        ))
    return out
