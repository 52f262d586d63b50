"""A training step changes the shape of a parameter.

## What it does
Compares every parameter's shape before and after one call of the user's
step (and of forward, backward and evaluate, which should change nothing).
The shape audit also names the line whose result became the new parameter.

## Why is this bad?
An update of the wrong shape does not fail where it is written:
``b = b - lr * db`` with ``b`` of shape ``(h, 1)`` and ``db`` of shape ``(h,)``
makes ``b`` an ``(h, h)`` matrix, and the network either crashes at the next
forward or silently computes with ``h`` copies of a layer. A parameter that
gains or loses a singleton axis (``(h,)`` -> ``(1, h)``) keeps working in
this network but breaks code that relies on its shape (saving, loading,
checking).

## Example
```python
db1 = delta1.sum(axis=1)            # (h,) while b1 is (h, 1)
self.b1 = self.b1 - lr * db1        # b1 becomes (h, h)
```

Use instead:
```python
db1 = delta1.sum(axis=1, keepdims=True)   # (h, 1)
self.b1 -= lr * db1                       # in place: numpy refuses a shape change
```

## Confidence
- 0.95 (error): the number of entries changed (observed).
- 0.7 (warning): the same entries in a new shape (a singleton axis appeared or
  went away): the network may still compute the right thing.
"""
import numpy as np

from gradcheck.causes import cause
from gradcheck.causes._where import user_function
from gradcheck.causes.shape._broadcast import fmt, site_line, site_where
from gradcheck.report import Finding


@cause("param-shape-changed", requires=("failures",))
def judge(ev):
    sh = ev.get("shapes")
    changes = list(sh.changes) if sh is not None else []
    if not changes:
        err = ev.failures.get("gradients")
        if getattr(err, "role", None) == "step" and getattr(err, "kind", None) == "shape":
            return [Finding(cause="param-shape-changed", severity="error", confidence=0.95, title=str(err),
                            fix="make the update the shape of the parameter (keepdims=True in the sums that "
                                "make the gradient, or reshape it)",
                            evidence={"param": err.info.get("param")},
                            where=user_function(ev.session, "step", param=err.info.get("param")))]
        return []
    out = []
    for c in changes[:1]:
        resized = int(np.prod(c.before)) != int(np.prod(c.after))
        severity, confidence = ("error", 0.95) if resized else ("warning", 0.7)
        title = f"{c.role} changes the shape of {c.param} from {fmt(c.before)} to {fmt(c.after)}"
        detail = []
        if c.site is not None:
            title += f" at line {c.site.line}"
            detail.append(f"{site_line(c.site)}" + (f": {c.op.describe()}" if c.op is not None else ""))
            where = site_where(c.site, c.param)
        else:
            where = user_function(ev.session, c.role, param=c.param)
        for other in changes[1:4]:
            detail.append(f"also {other.param}: {fmt(other.before)} -> {fmt(other.after)}"
                          + (f" at line {other.site.line}" if other.site is not None else ""))
        out.append(Finding(
            cause="param-shape-changed", severity=severity, confidence=confidence, title=title,
            fix=f"make the update of {c.param} the shape {fmt(c.before)}: give its gradient that shape "
                f"(keepdims=True in sums over an axis), or update in place ({c.param} -= lr * d{c.param}) so "
                f"numpy refuses a shape change",
            evidence={"param": c.param, "role": c.role, "before": list(c.before), "after": list(c.after),
                      "line": c.site.line if c.site is not None else None,
                      "changed": [x.param for x in changes]},
            where=where, detail=tuple(detail)))
    return out
