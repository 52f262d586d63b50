"""The accuracy code broadcasts its comparison to an (n, n) matrix: the accuracy is wrong whatever the weights.

## What it does
The shape audit records the shapes of every comparison and arithmetic
operation in the user's evaluation code while it runs (lines seen only in
``evaluate``, not in forward, backward or step). An operation whose result is
larger than both operands, typically predictions of shape ``(n, 1)`` compared
with labels of shape ``(n,)``, is reported with its line. gradcheck also
measures what the bug does to the number: it compares the user's accuracy with
the accuracy of the forward output on the same batch, and calls the user's
evaluate once more with the labels set to the network's own predictions, where
a correct accuracy is exactly 100 %.

## Why is this bad?
``(n, 1) == (n,)`` is an ``(n, n)`` matrix that compares every prediction with
every label; its mean is about the chance that two random samples share a
class (10 % on MNIST), whatever the network predicts. Training may be working
while the printed accuracy never moves, and people then "fix" the gradients.

## Example
```python
def predict(p, x, y):
    guess = np.reshape(forward(p, x).argmax(axis=1), (y.shape[0], 1))   # (n, 1)
    truth = np.argmax(y, axis=1)                                          # (n,)
    return np.mean(guess == truth) * 100
```

Use instead:
```python
def predict(p, x, y):
    guess = forward(p, x).argmax(axis=1)          # (n,)
    truth = np.argmax(y, axis=1)                  # (n,)
    return np.mean(guess == truth) * 100
```

## Confidence
- 0.97: the broadcast was observed and the user's accuracy is provably wrong:
  with labels equal to the network's own predictions it is not 100 % (it may
  be off by at most one sample, 1/n, before this counts).
- 0.85 (error): a ``(k, 1)`` against a ``(k,)`` broadcast was observed but the
  accuracy could not show it: the forward output was unusable, or the network
  predicts one class for every sample (an untrained network often does), and
  then a broadcast comparison gives the same number as a correct one.
- 0.5 (warning): another broadcast in the evaluation code (an outer product)
  whose effect could not be measured.
- A one-hot encoding by broadcasting (one operand is ``0, 1, ..., m-1``) is
  not reported.
- Nothing is reported when the accuracy with the network's own predictions as
  labels is 100 % on a batch where the predictions differ: the broadcast does
  not change the number.
"""
from gradcheck.causes import cause
from gradcheck.causes.shape._broadcast import fmt, pattern, site_line, site_where
from gradcheck.report import Finding

OTHER_ROLES = ("forward", "backward", "step")


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


@cause("eval-broadcast", requires=("shapes",))
def judge(ev):
    sh = ev["shapes"]
    elsewhere = sh.lines_in(OTHER_ROLES)
    ops = [o for o in sh.broadcasts(("evaluate",)) if o.site.id not in elsewhere and not o.encodes]
    if not ops:
        return []
    acc = sh.accuracy
    tolerance = 1.0 / max(1, sh.n) + 1e-9
    informative = acc is not None and acc.user_own is not None and acc.classes >= 2
    wrong = informative and acc.user_own < 1.0 - tolerance
    right = informative and not wrong
    if right:
        return []
    op = ops[0]
    kind, same = pattern(op.shapes)
    if wrong:
        severity, confidence = "error", 0.97
    elif kind == "row-column":
        severity, confidence = "error", 0.85
    else:
        severity, confidence = "warning", 0.5
    a, b = (s for s in op.shapes if s is not None)
    title = (f"the accuracy compares {fmt(a)} with {fmt(b)}: numpy broadcasts them to {fmt(op.result)}"
             + (", so the accuracy is wrong whatever the weights" if severity == "error" else ""))
    detail = [f"{site_line(op.site)}: {op.describe()}"]
    evidence = {"line": op.site.line, "shapes": [list(a), list(b)], "result": list(op.result), "pattern": kind,
                "batch": sh.n}
    if acc is not None and acc.user is not None:
        diff = acc.user - acc.computed
        detail.append(f"your evaluate reports {_pct(acc.user)} on {acc.n} samples; the forward output's argmax "
                      f"gives {_pct(acc.computed)} ({abs(100 * diff):.1f} points apart on this batch)")
        evidence.update(reported_accuracy=acc.user, computed_accuracy=acc.computed, difference=diff)
    if acc is not None and acc.classes == 1:
        detail.append("the network predicts one class for every sample so far, so the broadcast does not yet change "
                      "the number; it will once the predictions differ")
    elif acc is not None and acc.user_own is not None:
        detail.append(f"with the labels set to the network's own predictions it reports {_pct(acc.user_own)} "
                      f"instead of 100 %")
        evidence["own_label_accuracy"] = acc.user_own
    if acc is not None and acc.perturbed:
        detail.append(f"(measured with noise added to the weights, {acc.perturbed:g}x their spread: at the initial "
                      f"weights the network predicts one class for every sample, which hides the bug)")
    for other in ops[1:3]:
        detail.append(f"also: {site_line(other.site)}: {other.describe()}")
    one_d = next((s for s in (a, b) if len(s) == 1), None)
    fix = ("compare arrays of the same shape: flatten the (n, 1) one with .ravel() (or do not reshape the "
           "predictions), so the comparison gives one True/False per sample" if one_d is not None else
           "compare predictions and labels of the same shape, one entry per sample")
    return [Finding(cause="eval-broadcast", severity=severity, confidence=confidence, title=title, fix=fix,
                    evidence=evidence, where=site_where(op.site), detail=tuple(detail))]
