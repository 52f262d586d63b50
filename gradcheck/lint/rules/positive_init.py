'''Weights drawn from [0, 1): every weight positive.

## What it does
Checks for weight matrices initialised with `np.random.rand`, `np.random.random`,
`np.random.uniform(0, ...)`, `rng.random(...)` or Python's `random.random()` without
shifting the draw around zero (`- 0.5`, `* 2 * eps - eps`).

## Why is this bad?
With all weights positive and inputs non-negative (pixels), every pre-activation
of a layer is a large positive sum: sigmoid units all saturate at 1, their slopes
vanish, and all units of a layer move together. On a 784-input layer the sum of
784 positive terms is in the hundreds; the network outputs nearly the same
vector for every image and accuracy sits near chance.

## Example
```python
self.W1 = np.random.rand(784, 30)
self.W2 = np.random.rand(30, 10)
```

Use instead:
```python
self.W1 = np.random.randn(784, 30) / np.sqrt(784)
self.W2 = (np.random.rand(30, 10) - 0.5) * 2 * 0.12   # uniform in [-0.12, 0.12)
```

## Known problems
Only draws assigned to weight-like names (`W1`, `wih`, `self.weights`,
`params["W2"]`) are checked; biases drawn from [0, 1) are harmless and not
reported. A draw passed through your own function before it is stored is not
followed.

## Fix
Centre the draw: `np.random.randn(n_out, n_in) * np.sqrt(1 / n_in)` (or
`np.random.uniform(-r, r, shape)` with `r = sqrt(6 / (n_in + n_out))`).
'''
from __future__ import annotations

from typing import Iterator

from gradcheck.lint._context import Context
from gradcheck.lint._inits import init_sites, is_uniform01, random_calls, shifted_later, sign_path
from gradcheck.lint._names import PARAM, WEIGHT
from gradcheck.lint._registry import Violation, rule


@rule("positive-init")
def positive_init(ctx: Context) -> Iterator[Violation]:
    for site in init_sites(ctx):
        if site.kind not in (WEIGHT, PARAM):
            continue
        for call in random_calls(ctx, site.value):
            if not is_uniform01(ctx, call) or sign_path(ctx, call, site.value) != "same":
                continue
            if shifted_later(ctx, site):
                break
            drawn = ctx.qualname(call.func) or "rand"
            yield Violation(
                call,
                title=f"{site.target or site.name} is drawn from {drawn}: every weight is positive, "
                      "so each unit sums its inputs with the same sign and saturates",
                fix="centre the draw: (np.random.rand(...) - 0.5) * 2 * r, or np.random.randn(...) / np.sqrt(n_in)",
                confidence=0.9 if site.kind == WEIGHT else 0.7,
                evidence={"target": site.target or site.name, "draw": drawn},
            )
            break
