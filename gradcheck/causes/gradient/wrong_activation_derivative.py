"""An activation's derivative is wrong: evaluated at the activation instead of z, or of another function.

## What it does
Backprop multiplies each layer's error by the slope of its activation at the
pre-activation z. This cause reports a gradient that equals, exactly, the one
computed with another slope in one layer: the slope evaluated at the
activation (``sigmoid'(sigmoid(z))``), the formula of another activation
(``a * (1 - a)`` under a tanh), a formula meant for the activation applied
to z, or no slope at all. Every candidate comes from the reference network
fed your weights and batch; the one that matches names the layer.

## Why is this bad?
The error reaching the earlier layers is scaled by the wrong factor per unit:
the gradient is no longer the gradient, and for ``sigmoid'(sigmoid(z))`` it
never vanishes where the unit saturates. Training is slower, stalls, or
drifts in a wrong direction.

## Example
```python
a1 = sigmoid(z1)
delta1 = (delta2 @ W2.T) * sigmoid_prime(a1)   # sigmoid'(sigmoid(z1))
```

Use instead:
```python
delta1 = (delta2 @ W2.T) * sigmoid_prime(z1)   # or: a1 * (1 - a1)
```

## Confidence
0.95: the user's gradient equals the candidate on every parameter it changes
(relative residual below 1e-4) and no parameter the candidate would change
is right.
"""
from gradcheck.causes import cause
from gradcheck.causes.gradient._common import (enters_detail, explanation_evidence, explanations, join,
                                               layer_number, where)
from gradcheck.report import Finding


@cause("wrong-activation-derivative", requires=("gradient_patterns",))
def judge(ev):
    out = []
    for e in explanations(ev, "wrong-activation-derivative"):
        layer = layer_number(ev, e.entry)
        out.append(Finding(
            cause="wrong-activation-derivative", severity="error", confidence=0.95,
            title=f"the activation derivative in layer {layer} is wrong: {e.description} "
                  f"(it makes the gradient of {join(e.params)} wrong)",
            evidence={**explanation_evidence(e), "layer": layer}, where=where(ev, e.entry),
            fix=f"use the slope of the activation the forward applies, at z: {e.exact_form}",
            detail=enters_detail(ev, e)))
    return out
