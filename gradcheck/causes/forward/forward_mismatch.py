"""The forward pass matches no standard network on its own weights.

## What it does
Loads the user's weights into a correct reference MLP and runs both forwards on
the same inputs, trying every standard network: sigmoid, tanh or relu in each
hidden layer and an identity, sigmoid or softmax output. Reported when none
reproduces the user's output, with where it departs:

- ``output-activation``: the hidden layers agree, the output activation is none
  of the three (applied twice? a missing sigmoid?);
- ``hidden-layers``: no choice of hidden activations fits (an activation missing
  or applied twice, a bias added to the wrong layer, weights used transposed);
- ``output-layer``: a network without hidden layer whose output is no activation
  of ``x @ W + b``;
- ``real-data``: it matches on probe inputs but not on the user's float data (a
  cached value used instead of the input; with integer data it is reported as
  ``integer-overflow``).

A forward that scales its own inputs (``x / 255``) is not a departure: the
comparison tries the usual scalings and, when one fits, feeds the reference the
inputs the first layer sees.

## Why is this bad?
The forward is what predictions, the loss and the accuracy are computed from.
When it is not the network the backward differentiates, gradient descent
optimises something else and the reported accuracy does not follow training.
Deliberate departures (leaky relu, dropout, batch normalisation, scaled tanh)
are also reported, as a warning: gradcheck then compares the network with the
closest standard one, and says so.

## Example
```python
def forward(self, X):
    h = sigmoid(X @ self.W1 + self.b1)
    return sigmoid(sigmoid(h @ self.W2 + self.b2))   # the output sigmoid applied twice
```

Use instead:
```python
def forward(self, X):
    h = sigmoid(X @ self.W1 + self.b1)
    return sigmoid(h @ self.W2 + self.b2)
```

## Confidence
0.95, and an error, when the user's backward is exactly the gradient of the
closest standard network while the gradient check fails: the backward
differentiates the intended network and the forward computes another one.
Otherwise 0.9 for a departure the comparison names precisely (``output-activation``,
``real-data``), 0.75 for ``hidden-layers`` and
``output-layer``, where a deliberate non-standard layer is more likely; the
severity is then a warning, or information when the user's model learns in the
side-by-side run (probe ``oracle``): the departure may be deliberate, and the
comparison with the closest standard network cannot tell a bug in it from one
elsewhere.

Thresholds: the outputs must agree within 1e-6 of max(1, |output|) (1e-3 for
float32 or smaller weights): a correct forward agrees to ~1e-15.
"""
import numpy as np

from gradcheck.causes import cause
from gradcheck.causes._where import fmt, user_function
from gradcheck.reference import DEPARTURES
from gradcheck.report import Finding

REPORTED = {"output-activation": 0.9, "real-data": 0.9, "hidden-layers": 0.75, "output-layer": 0.75}
"""Departures this cause reports, with their confidence (a softmax over the samples, output
shapes, non-finite and constant outputs have causes of their own: softmax-axis, output-shape,
nan-inf, saturated-activations)."""


@cause("forward-mismatch", requires=("oracle",))
def judge(ev):
    o = ev["oracle"]
    q = o.differential.quantities[0]
    if q.ok:
        return []
    departs = o.architecture.departs or "real-data"
    if departs not in REPORTED:
        return []
    if departs == "real-data" and np.issubdtype(np.asarray(ev.session.data.X).dtype, np.integer):
        return []  # integer pixels overflowing in the forward: integer-overflow says so
    verdict = o.verdict
    severity = "info" if verdict == "ok" else "warning"
    confidence = REPORTED[departs]
    grads = [g for g in o.differential.quantities if g.kind == "gradient"]
    g_probe = ev.get("gradients")
    backward_standard = (bool(grads) and all(g.ok for g in grads) and o.differential.gradients_comparable
                         and g_probe is not None and bool(g_probe.failed))
    if backward_standard:  # the backward is the closest network's gradient: the forward is what departs
        severity, confidence = "error", 0.95
    a = o.architecture
    closest = f"hidden={','.join(a.hidden) or '-'} output={a.output}"
    text = q.note.split(": ", 1)[-1] if q.note else DEPARTURES.get(departs, departs)
    detail = [f"closest standard network: {'-'.join(map(str, a.sizes))} {closest}, "
              f"max |difference| {fmt(q.rel_error)}"]
    detail += [f"tried: hidden={','.join(c.hidden) or '-'} output={c.output}: max diff {fmt(c.max_diff)}"
               for c in a.candidates[:3]]
    if backward_standard:
        detail.append(f"your backward is exactly the gradient of that standard network, so the gradient check "
                      f"fails on {', '.join(g_probe.failed)} because the forward departs, not the backward")
    if o.diagnosis is not None:
        detail.append(o.headline())
    return [Finding(
        cause="forward-mismatch", severity=severity, confidence=confidence,
        title=f"the forward matches no standard network on its own weights: {text}",
        evidence={"departs": departs, "max_diff": q.rel_error, "closest": {"hidden": list(a.hidden),
                                                                             "output": a.output},
                  "sizes": list(a.sizes), "verdict": verdict},
        where=user_function(ev.session, "forward"),
        fix=("compare your forward line by line with the closest standard network "
             f"({closest}); if the difference is deliberate, gradcheck's comparisons are approximate"),
        detail=tuple(detail),
    )]
