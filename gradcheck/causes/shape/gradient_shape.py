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
    err = ev.failures.get("gradients")
    if getattr(err, "kind", None) != "shape" or getattr(err, "role", None) != "backward":
        return []
    p = err.info.get("param")
    return [Finding(
        cause="gradient-shape", severity="error", confidence=0.95, title=str(err),
        evidence={"param": p, "gradient_shape": list(err.info.get("grad_shape", ())),
                  "param_shape": list(err.info.get("param_shape", ()))},
        where=user_function(ev.session, "backward", param=p),
        fix=f"make d{p} the shape of {p}: a transposed product, or a sum over the wrong axis, is the usual cause",
    )]
