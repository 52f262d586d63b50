"""A gradient has the wrong sign: the analytic gradient is -1 times the true one.

## What it does
Reports parameters whose analytic gradient equals the true gradient times -1
(after the global scale): compared whole-array against the reference network
fed your weights, or, when the reference cannot reproduce the network, from
the analytic/numeric ratio of sampled entries. When every parameter is
flipped (a negative global scale), the output error was computed as
``target - output``; that is a bug unless your own step adds the gradient
(``W += lr * g``), which is checked by running it once.

## Why is this bad?
``W -= lr * dW`` with a flipped ``dW`` climbs the loss instead of descending
it: the loss grows every step, or, when only one layer is flipped, that
layer fights the others and training stalls.

## Example
```python
delta2 = Y - out              # target - output
dW2 = a1.T @ delta2
W2 -= lr * dW2                # ascends
```

Use instead:
```python
delta2 = out - Y              # dL/dout for mse (and softmax/cross-entropy)
dW2 = a1.T @ delta2
W2 -= lr * dW2
```

## Confidence
0.95 when the reference network matched the flipped gradient exactly (whole
arrays, relative residual below 1e-4); 0.85 when it is told from sampled
entries (every sampled ratio within 0.2 % of -1).
"""
from gradcheck.causes import cause
from gradcheck.causes.gradient._common import (confidence, enters_detail, explanation_evidence, explanations,
                                               join, layer_number, where)
from gradcheck.report import Finding


@cause("gradient-sign", requires=("gradient_patterns",))
def judge(ev):
    out = []
    g = ev["gradients"]
    for e in explanations(ev, "gradient-sign"):
        every = set(e.params) == set(g.order) and len(e.params) > 1
        if every and g.from_step:
            continue  # no backward: a step that ascends on every parameter is update-direction's finding
        if every:
            title = "every gradient has the wrong sign: backward returns -dL/dθ and the step ascends"
            fix = ("compute the output error as output - target (dL/dout), or, if backward returns the "
                   "descent direction on purpose, make the step add it (W += lr * g)")
        else:
            title = f"the gradient of {join(e.params)} has the wrong sign (-1 times the true gradient)"
            fix = (f"flip the sign where d{e.entry} is formed: look for target - output, a swapped "
                   f"subtraction, or += where -= belongs in layer {layer_number(ev, e.entry)}")
        out.append(Finding(
            cause="gradient-sign", severity="error", confidence=confidence(e, 0.95), title=title,
            evidence={**explanation_evidence(e), "every_parameter": every},
            where=where(ev, e.entry), fix=fix, detail=enters_detail(ev, e)))
    return out
