"""The output delta uses the raw scores (z - t) where the probabilities belong (p - t).

## What it does
With a softmax (or sigmoid) output and cross-entropy, the delta of the output
layer is ``p - t`` where ``p = softmax(z)``. This cause reports a backward
whose gradient equals, exactly, the one computed from ``z - t``: the scores
before the softmax. It is found by comparing the whole gradient with that
candidate from the reference network fed your weights and batch, and it
names every parameter it spoils (all of them: the error enters at the output).

## Why is this bad?
The scores are unbounded, so ``z - t`` does not vanish when the prediction is
right: the gradient pushes the scores toward the one-hot targets themselves,
not the probabilities. The loss that is actually minimised is a squared error
on the scores; the cross-entropy the rest of the code reports stalls or grows.

## Example
```python
def cross_entropy(y, t, derivative=False):
    if derivative:
        return y - t                      # y are the raw scores
```

Use instead:
```python
def cross_entropy(y, t, derivative=False):
    if derivative:
        return softmax(y) - t
```

## Confidence
0.97: the user's gradient equals the raw-score candidate on every parameter
(relative residual below 1e-4), and the reference reproduced the forward and
the finite differences first.
"""
from gradcheck.causes import cause
from gradcheck.causes.gradient._common import enters_detail, explanation_evidence, explanations, join, where
from gradcheck.report import Finding


@cause("logits-not-probabilities", requires=("gradient_patterns",))
def judge(ev):
    out = []
    for e in explanations(ev, "logits-not-probabilities"):
        out.append(Finding(
            cause="logits-not-probabilities", severity="error", confidence=0.97,
            title=f"the output delta uses the raw scores z - t instead of the probabilities p - t "
                  f"(it makes the gradient of {join(e.params)} wrong)",
            evidence=explanation_evidence(e), where=where(ev, e.entry),
            fix=f"apply the output's softmax (or sigmoid) before subtracting the targets: {e.exact_form}",
            detail=enters_detail(ev, e)))
    return out
