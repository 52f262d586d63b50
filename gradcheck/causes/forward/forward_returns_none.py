"""The forward pass returns None.

## What it does
Runs the model's forward on a small batch and reports when it returns ``None``.

## Why is this bad?
Evaluation then sees ``None`` for every input: ``np.argmax(None)`` is 0, so the
accuracy is frozen at the share of zeros in the data (about 10 % on MNIST)
whatever training does. Training itself may be fine: backprop usually runs its
own forward loop, so the loss can fall while the reported accuracy never moves.

## Example
```python
def feedforward(self, a):
    for b, w in zip(self.biases, self.weights):
        a = sigmoid(np.dot(w, a) + b)
```

Use instead:
```python
def feedforward(self, a):
    for b, w in zip(self.biases, self.weights):
        a = sigmoid(np.dot(w, a) + b)
    return a
```

## Confidence
0.99: the return value was observed, not inferred.
"""
from gradcheck.causes import cause
from gradcheck.causes._where import user_function
from gradcheck.report import Finding


@cause("forward-returns-none", requires=("failures",))
def judge(ev):
    err = ev.failures.get("forward")
    if getattr(err, "kind", None) != "none" or getattr(err, "role", None) != "forward":
        return []
    where = user_function(ev.session, "forward", last_line=True)
    fname = (where.function or "forward").split(".")[-1]
    return [Finding(
        cause="forward-returns-none", severity="error", confidence=0.99,
        title=f"{fname}() returns None: every prediction and the accuracy are computed from None",
        evidence={"returned": "None"}, where=where,
        fix=f"end {fname}() with `return` of the output activation (e.g. `return a` after the loop)",
        detail=("np.argmax(None) is 0 for every sample, so accuracy stays at the share of label 0.",),
    )]
