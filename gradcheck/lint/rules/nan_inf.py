'''Exponentials that overflow: softmax (or a sigmoid/tanh written as a ratio) without a max-shift.

## What it does
Checks ratios of exponentials, `np.exp(z) / np.sum(np.exp(z))`,
`np.exp(z) / (1 + np.exp(z))`, `(np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))`,
whose exponent is neither shifted by its maximum nor clipped.

## Why is this bad?
`np.exp` overflows to `inf` for arguments above about 709 (float64) or 88
(float32). A ratio of two infinities is `nan`, and a single `nan` in the output
spreads through the gradient into every weight: the loss prints `nan` and the
network never recovers. Scores reach that range as soon as weights grow or
inputs are left at 0-255.

## Example
```python
def softmax(z):
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)
```

Use instead:
```python
def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
```

## Known problems
A sigmoid or tanh written as a ratio (`np.exp(z) / (1 + np.exp(z))`,
`np.exp(-z) / (1 + np.exp(-z))**2`) only produces `nan` for |z| above ~709, so it
is reported as information; an unshifted softmax is a warning. The textbook sigmoid `1 / (1 + np.exp(-z))` only over- or underflows to the
correct limits (0 or 1) and is not reported; neither is `scipy.special.expit`
or a ratio selected by `np.where` between two stable branches.

## Fix
Subtract the maximum before exponentiating (`z - z.max(axis, keepdims=True)`),
use `scipy.special.softmax` / `expit`, or clip the argument (`np.clip(z, -500, 500)`).
'''
from __future__ import annotations

from typing import Iterator

from gradcheck.lint._context import Context, text
from gradcheck.lint._registry import Violation, rule
from gradcheck.lint._softmax import inside_where, is_shifted, normalisations


@rule("nan-inf", severity="warning")
def nan_inf(ctx: Context) -> Iterator[Violation]:
    seen: set[int] = set()
    for norm in normalisations(ctx):
        if not norm.denominator_has_exp or inside_where(ctx, norm.div):
            continue
        for call in norm.exp_calls:
            if id(call) in seen or not call.args:
                continue
            seen.add(id(call))
            stmt = ctx.statement_of(call)
            if is_shifted(ctx, call.args[0], norm.scope, stmt):
                continue
            softmax = bool(norm.sums)
            yield Violation(
                call,
                title=f"np.exp({text(call.args[0])}) can overflow to inf, and the ratio of "
                      "two infinities is nan",
                fix="subtract the max first: np.exp(z - z.max(axis=..., keepdims=True)), or clip z"
                    if softmax else "use scipy.special.expit / np.tanh, or clip z before np.exp",
                confidence=0.6 if softmax else 0.4,
                severity=None if softmax else "info",
                evidence={"exp_argument": text(call.args[0]), "form": "softmax" if softmax else "ratio"},
            )
            break
