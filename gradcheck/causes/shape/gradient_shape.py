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
0.95 (error): the shapes were observed and cannot be matched.
0.9 (warning): the gradient has the parameter's entries in another shape
(``(h,)`` for ``(h, 1)``): gradcheck reshapes it to check it, but an update
``b - lr * db`` in the user's own training broadcasts.
"""
import numpy as np

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
    if not shape_problems(ev):
        out += _reshaped(ev)
    return out


def _reshaped(ev):
    reshaped = dict(getattr(ev.session, "reshaped", {}) or {})
    if not reshaped:
        return []
    (p, (g, shape)), *others = reshaped.items()
    return [Finding(
        cause="gradient-shape", severity="warning", confidence=0.9,
        title=f"the gradient for {p} has shape {tuple(g)} but {p} has shape {tuple(shape)} (same entries)",
        evidence={"param": p, "gradient_shape": list(g), "param_shape": list(shape),
                  "others": {k: [list(a), list(b)] for k, (a, b) in others}},
        where=user_function(ev.session, "backward", param=p),
        detail=tuple(f"also {k}: gradient {tuple(a)}, parameter {tuple(b)}" for k, (a, b) in others[:3])
        + (f"{p} - lr * d{p} broadcasts {tuple(shape)} against {tuple(g)}" + (
            f" to {tuple(np.broadcast_shapes(tuple(shape), tuple(g)))}" if _broadcastable(shape, g) else ""),),
        fix=f"return d{p} in the shape of {p}: keepdims=True in the sum over the batch axis, or reshape it",
    )]


def _broadcastable(a, b) -> bool:
    try:
        np.broadcast_shapes(tuple(a), tuple(b))
        return True
    except ValueError:
        return False
