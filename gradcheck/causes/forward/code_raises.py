"""The network's own code raises an exception.

## What it does
Every call gradcheck makes of the user's forward, backward, step, evaluate
or data function is watched; an exception (or a call that runs past its time
budget) is reported with the user's file and line.

## Why is this bad?
A crash in forward or backward means training never ran as written. Shape
errors (``shapes (10,10) and (1,784) not aligned``) are the usual case: an
earlier broadcast made an array of the wrong shape, and the crash is where it
is finally used.

## Example
```python
def forward(self, X):                  # X is (n, 784)
    h = sigmoid(np.dot(X.T, self.W1))  # ValueError: shapes (784,n) and (784,30) not aligned
```

Use instead:
```python
def forward(self, X):
    h = sigmoid(np.dot(X, self.W1))    # (n, 784) @ (784, 30) -> (n, 30)
```

## Fix
Read the line named in the finding; print the shapes of its operands. A
``(n, 1)`` array combined with an ``(n,)`` one broadcasts to ``(n, n)``.

## Confidence
0.9: the exception was observed; the bug may be on an earlier line.
"""
from gradcheck.causes import cause
from gradcheck.causes._where import from_error
from gradcheck.report import Finding
from gradcheck.usercode import UserCodeError, UserCodeTimeout


def from_failures(failures, session):
    out, seen = [], set()
    for probe, err in failures.items():
        if not isinstance(err, UserCodeError):
            continue
        key = (err.role, err.file, err.line)
        if key in seen:
            continue
        seen.add(key)
        timeout = isinstance(err.exc, UserCodeTimeout)
        what = "did not return within its time budget" if timeout else f"raises {type(err.exc).__name__}: {err.exc}"
        out.append(Finding(
            cause="code-raises", severity="error", confidence=0.9,
            title=f"{err.role} {what}",
            evidence={"role": err.role, "exception": type(err.exc).__name__, "message": str(err.exc)[:500],
                      "code": err.code},
            where=from_error(err),
            fix=("make the function return; look for a loop that never ends" if timeout else
                 "fix the line shown; print the shapes of its operands to see which one is not what you expect"),
            detail=(f"> {err.code}",) if err.code else (),
        ))
    return out


@cause("code-raises", requires=("failures",))
def judge(ev):
    return from_failures(ev.failures, ev.session)
