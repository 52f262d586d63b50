"""A parameter's gradient is missing: zero, absent, or never written.

## What it does
Reports a parameter whose analytic gradient is entirely zero while finite
differences show the loss does depend on it, and a backward that returns no
gradient (or ``None``) for a parameter.

## Why is this bad?
A parameter with a zero gradient never changes: biases stay at their
initial values, or a whole layer never learns.

## Example
```python
grads = {"W1": dW1, "W2": dW2, "b2": db2, "b1": np.zeros_like(b1)}  # db1 never computed
```

Use instead:
```python
db1 = delta1.sum(axis=0)
grads = {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
```

## Confidence
0.97: a zero gradient against a non-zero numeric derivative is unambiguous.
0.95 for a key missing from backward's result.
"""
from gradcheck.causes import cause
from gradcheck.causes._where import fmt, user_function
from gradcheck.causes.gradient._common import failed_blocks, where, where_it_enters
from gradcheck.report import Finding


@cause("gradient-missing", requires=("failures",))
def judge(ev):
    out = []
    err = ev.failures.get("gradients")
    if getattr(err, "role", None) == "backward" and getattr(err, "kind", None) in ("keys", "none"):
        missing = err.info.get("missing") or []
        out.append(Finding(
            cause="gradient-missing", severity="error", confidence=0.95,
            title=str(err), evidence={"param": missing[0] if missing else None, "missing": missing},
            where=user_function(ev.session, "backward", param=missing[0] if missing else None, last_line=True),
            fix="return a dict with one gradient per parameter, same names and shapes as params",
        ))
    if "gradients" in ev:
        for name, bc in failed_blocks(ev):
            if bc.grad_norm != 0.0:
                continue
            y = bc.numeric_dot[ev["gradients"].loss]
            enters = where_it_enters(ev, name)
            out.append(Finding(
                cause="gradient-missing", severity="error", confidence=0.97,
                title=f"the gradient of {name} is all zeros, but the loss changes when {name} changes",
                evidence={"param": name, "numeric_directional_derivative": y},
                where=where(ev, name),
                fix=f"compute d{name} in backward (for a bias: the delta summed over the batch) and return it",
                detail=(f"numeric directional derivative {fmt(y)} along a random direction; analytic 0",)
                + ((enters,) if enters else ()),
            ))
    return out
