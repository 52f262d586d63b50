"""A training step changes the shape of a parameter.

## What it does
Records the shape of every parameter before and after each step of the
user's training (and of the step gradcheck uses to read the gradient from a
model without a backward). A step after which a parameter has another shape
is reported with the step number and both shapes.

## Why is this bad?
The usual cause is broadcasting: an ``(n,)`` bias minus an ``(n, 1)``
gradient is an ``(n, n)`` matrix. Nothing crashes; the network silently
becomes a different one (each unit now has n biases, broadcast over the
batch) and either crashes many lines later or trains to nonsense.

## Example
```python
db1 = d1.sum(axis=0).reshape(-1, 1)     # (h, 1)
self.b1 = self.b1 - lr * db1           # b1 was (h,): now (h, h)
```

Use instead:
```python
self.b1 -= lr * db1.reshape(self.b1.shape)   # in place: a wrong shape raises instead
```

## Thresholds
None: the shapes are compared exactly.

## Confidence
0.95: the shapes were observed.
"""
from gradcheck.causes import cause
from gradcheck.causes._where import user_function
from gradcheck.causes.update._common import shape
from gradcheck.report import Finding


@cause("param-shape-changed", requires=("failures",))
def judge(ev):
    changes = []
    tr = ev.get("training")
    if tr is not None:
        changes = [dict(c) for c in tr.shape_changes]
    err = ev.failures.get("gradients")
    if not changes and getattr(err, "role", None) == "step" and getattr(err, "kind", None) == "shape":
        p = err.info.get("param")
        params = ev.session.params()
        before = list(getattr(params.get(p), "shape", ()))
        changes = [{"step": 0, "param": p, "before": before, "after": None, "message": str(err)}]
    if not changes:
        return []
    c = changes[0]
    ks = [x["param"] for x in changes]
    after = shape(c["after"]) if c.get("after") is not None else "another shape"
    title = f"the step changes the shape of {c['param']} from {shape(c['before'])} to {after} (step {c['step'] + 1})"
    detail = tuple(f"{x['param']}: {shape(x['before'])} -> {shape(x['after']) if x.get('after') is not None else '?'}"
                   for x in changes)
    fix = (f"make the update the shape of {c['param']}: an (n, 1) gradient subtracted from an (n,) bias broadcasts "
           f"to (n, n); reshape the gradient (`d{c['param']}.reshape({c['param']}.shape)`) or update in place "
           f"(`{c['param']} -= lr * d{c['param']}` raises on a wrong shape instead of broadcasting)")
    return [Finding(
        cause="param-shape-changed", severity="error", confidence=0.95, title=title, fix=fix,
        evidence={"param": c["param"], "params": ks, "changes": changes},
        where=user_function(ev.session, "step", param=c["param"]), detail=detail,
    )]
