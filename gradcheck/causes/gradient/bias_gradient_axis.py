"""A bias gradient is reduced over the wrong axis, not reduced over the batch, or collapsed to a scalar.

## What it does
A bias gradient is the layer's delta summed over the samples: one number per
unit. This cause reports a bias gradient that
- keeps the batch axis (shape ``(n, units)``: not reduced over the batch),
- sums over the units instead of the samples (shape ``(n,)``, or the right
  shape by accident when n equals the number of units: matched against the
  reference's delta summed over the units),
- or sums over everything into one number (a scalar, or every entry equal).

## Why is this bad?
The bias update then has the wrong shape (a crash, or broadcasting that turns
an ``(h,)`` bias into an ``(n, h)`` matrix and changes the network), or every
unit of the layer gets the same bias step, so the biases never learn their
own values.

## Example
```python
db1 = np.sum(delta1)             # one number for every unit
db2 = delta2.sum(axis=1)         # rows layout: sums the units of each sample
```

Use instead:
```python
db1 = delta1.sum(axis=0)         # rows (n, units): sum over the samples
db1 = delta1.sum(axis=1, keepdims=True)   # columns (units, n)
```

## Confidence
0.95 for a shape that contains the batch size or collapses to one number
where the bias has several (observed); 0.9 for a right-shaped gradient that
matches the reference's wrong-axis sum exactly; 0.85 for equal entries seen
against varying finite differences.
"""
from gradcheck.causes import cause
from gradcheck.causes._where import user_function
from gradcheck.causes.gradient._common import (confidence, enters_detail, explanation_evidence, explanations,
                                               shape_kind, shape_problems, where)
from gradcheck.report import Finding

_HOW = {
    "bias-batch": "keeps the batch axis: it was not summed over the samples",
    "bias-axis": "was summed over the wrong axis (the units, not the samples)",
    "bias-scalar": "was collapsed to a single number (summed over every axis)",
    "bias-wrong-axis": "sums the delta over the units instead of over the samples",
    "bias-collapsed": "has the same value in every entry: the delta was summed over every axis",
}


def _fix(ev, name):
    layout = ev.session.model.layout
    if layout == "rows":
        return f"d{name} = delta.sum(axis=0): sum the (n, units) delta over the samples only"
    if layout == "columns":
        return f"d{name} = delta.sum(axis=1, keepdims=True): sum the (units, n) delta over the samples only"
    return f"d{name} = delta (one sample: the (units, 1) delta itself, no sum)"


@cause("bias-gradient-axis", requires=("failures",))
def judge(ev):
    out = []
    if "gradient_patterns" in ev:
        for e in explanations(ev, "bias-gradient-axis"):
            out.append(Finding(
                cause="bias-gradient-axis", severity="error",
                confidence=0.9 if e.candidate == "bias-wrong-axis" else confidence(e, 0.95),
                title=f"the gradient of {e.entry} {_HOW[e.candidate]}",
                evidence=explanation_evidence(e), where=where(ev, e.entry), fix=_fix(ev, e.entry),
                detail=enters_detail(ev, e)))
    for k, gs, ps, n, role in shape_problems(ev):
        kind = shape_kind(ev, k, gs, ps, n)
        if kind not in ("bias-batch", "bias-axis", "bias-scalar"):
            continue
        what = "the update made it" if role == "step" else "the gradient has"
        out.append(Finding(
            cause="bias-gradient-axis", severity="error", confidence=0.95,
            title=f"the gradient of the bias {k} {_HOW[kind]}: {what} shape {gs}, {k} has shape {ps}",
            evidence={"param": k, "gradient_shape": list(gs), "param_shape": list(ps), "batch": n, "kind": kind},
            where=user_function(ev.session, role, param=k), fix=_fix(ev, k),
            detail=(f"checked on a batch of {n} sample{'s' * (n != 1)}" if n else "",)))
    return out
