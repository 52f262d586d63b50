"""A hidden layer narrower than the output (one hidden unit for ten classes).

## What it does
Reads the layer sizes from the chain the parameters' shapes form (input ->
hidden ... -> output; names are not used) and reports hidden layers with
fewer units than the network has outputs. Networks whose targets are their
inputs (autoencoders, where a narrow code is the point) are left alone.

## Why is this bad?
Everything the output layer sees passes through the narrowest layer. With one
sigmoid unit, the ten class scores are ten straight lines of one number: the
network can at best cut that number into intervals, and most digits share an
interval with others. Training "works" (the loss falls a little) but accuracy
stays low whatever the learning rate.

## Example
```python
sizes = [784, 1, 10]
```

Use instead:
```python
sizes = [784, 30, 10]     # or more; at least as many hidden units as classes
```

## Thresholds
Measured with the reference network (sigmoid hidden layer, softmax output,
3,000 SGD steps on the bundled 2,000-digit MNIST sample, held-out accuracy):
1 hidden unit 23 %, 2 units 42 %, 3 units 61 %, 5 units 82 %, 10 units 88 %,
30 units 90 %.
- error when the narrowest hidden layer has at most a quarter as many units
  as there are outputs (with 4 or more outputs): 1-2 units for 10 classes,
  below 50 % accuracy.
- warning below half the outputs (3-4 units for 10 classes, ~60-75 %).
- from half the outputs up, nothing: a 784-5-10 network still reaches ~82 %.
  Two outputs need only one unit, so small output counts are exempt.

## Confidence
0.9 for the error (sizes are exact, the accuracy ceiling is measured above); 0.6 for the warning.
"""
import numpy as np

from gradcheck.causes import cause
from gradcheck.causes._where import construction
from gradcheck.report import Finding


@cause("bottleneck-layer", requires=("architecture",))
def judge(ev):
    arch = ev["architecture"]
    if len(arch.sizes) < 3:
        return []
    k = arch.sizes[-1]
    data = ev.session.data
    if data.Y.shape[1] == data.X.shape[1] and data.Y.shape[1] > 1:
        X = np.asarray(data.X, dtype=np.float64)
        if np.allclose(X / max(1.0, float(np.max(np.abs(X)))), data.Y / max(1.0, float(np.max(np.abs(data.Y)))),
                       atol=1e-3):
            return []  # an autoencoder: the narrow code is the design
    out = []
    for l, h in enumerate(arch.sizes[1:-1], 1):
        if k < 3 or h * 2 >= k:
            continue
        error = k >= 4 and h * 4 <= k
        w = arch.weights[l - 1] if l - 1 < len(arch.weights) else None
        out.append(Finding(
            cause="bottleneck-layer", severity="error" if error else "warning", confidence=0.9 if error else 0.6,
            title=f"hidden layer {l} has {h} unit{'s' * (h != 1)} for {k} outputs: every class score is a "
                  f"function of {'one number' if h == 1 else f'{h} numbers'}",
            evidence={"layer": l, "units": h, "outputs": k, "sizes": list(arch.sizes)},
            where=construction(ev.session, param=w, layer=l),
            fix=f"widen hidden layer {l} to at least {k} units (e.g. sizes "
                f"{list(arch.sizes[:l]) + [max(30, k)] + list(arch.sizes[l + 1:])})",
            detail=(f"layer sizes {' -> '.join(str(s) for s in arch.sizes)}",
                    "measured ceiling on MNIST (reference network): 1 unit 23 %, 2 units 42 %, 3 units 61 %, "
                    "5 units 82 %, 30 units 90 %"),
        ))
    return out
