"""The forward returns an output gradcheck cannot match to the batch.

## What it does
Checks that the forward returns one output per sample in the model's layout:
``(n, outputs)`` for rows, ``(outputs, n)`` for columns, ``(outputs, 1)`` for
one sample; and that it is an array at all.

## Why is this bad?
An output whose first axis is not the batch (a slice, a transposed product, a
reduction over the wrong axis) makes the loss, the accuracy and every
gradient refer to the wrong samples.

## Example
```python
def forward(X):                 # X is (n, 784)
    return (X @ W)[:3]          # only three samples come back
```

Use instead:
```python
def forward(X):
    return X @ W                # (n, 10)
```

## Confidence
0.9: the shape was observed; the model's declared layout may be what is wrong.
"""
from gradcheck.causes import cause
from gradcheck.causes._where import user_function
from gradcheck.report import Finding


@cause("output-shape", requires=("failures",))
def judge(ev):
    err = ev.failures.get("forward")
    if getattr(err, "role", None) != "forward" or getattr(err, "kind", None) not in ("shape", "type"):
        return []
    layout = ev.session.model.layout
    return [Finding(
        cause="output-shape", severity="error", confidence=0.9, title=str(err),
        evidence={"layout": layout, **{k: list(v) if isinstance(v, tuple) else v for k, v in err.info.items()}},
        where=user_function(ev.session, "forward", last_line=True),
        fix=f"return one output per sample ({'(n, outputs)' if layout == 'rows' else '(outputs, n)'}), "
            f"or declare the layout your code uses (Model(layout=...))",
    )]
