'''Weights that start equal: zeros, ones, a constant, or a tiny spread around one value.

## What it does
Checks for weight matrices of a multi-layer network initialised with
`np.zeros`, `np.ones`, `np.full` (or a multiple of them) and never re-initialised,
and for draws whose spread is smaller than their mean, like
`np.random.normal(-0.1, 0.02, shape)`.

## Why is this bad?
Hidden units that start with equal weights compute the same output and receive
the same gradient, so they stay equal forever: a layer of 100 units behaves like
one unit. With all weights zero the gradient of every hidden weight is zero too
and nothing below the output ever learns. A normal draw with mean -0.1 and
standard deviation 0.02 is almost constant: every weight has the same sign and
nearly the same size, so the units are nearly symmetric and the pre-activations
are large sums of one sign.

## Example
```python
self.W1 = np.zeros((784, 30))
self.W2 = np.zeros((30, 10))
self.W3 = np.random.normal(-0.1, 0.02, (10, 30))
```

Use instead:
```python
self.W1 = np.random.randn(784, 30) / np.sqrt(784)
self.W2 = np.random.randn(30, 10) / np.sqrt(30)
self.W3 = np.random.normal(0.0, 0.1, (10, 30))
```

## Known problems
Single-layer models (logistic or softmax regression) train fine from zeros and
are not reported: the rule needs at least two weight matrices (or a list of
them built per layer). A constant *last* layer under randomly initialised hidden
layers still breaks symmetry and is not reported; a constant hidden layer among
random ones is a warning (fatal with ReLU, slow with sigmoid). Arrays that are only placeholders (later filled in
place, or handed to your own initialisation function) are not reported. Biases
starting at zero are fine and never reported.

## Fix
Draw the weights around zero with a spread of about `1/sqrt(fan_in)`:
`np.random.randn(n_out, n_in) / np.sqrt(n_in)`.
'''
from __future__ import annotations

import ast
from typing import Iterator

from gradcheck.lint._context import Context, number, position, product_factors, sum_terms
from gradcheck.lint._inits import (constant_calls, init_sites, normal_loc_scale, random_calls,
                                   reinitialised_later, sign_path, site_scope)
from gradcheck.lint._names import WEIGHT
from gradcheck.lint._registry import Violation, rule


@rule("symmetric-init")
def symmetric_init(ctx: Context) -> Iterator[Violation]:
    sites = sorted((s for s in init_sites(ctx) if s.kind == WEIGHT), key=lambda s: position(s.stmt))
    builds = [s for s in sites if random_calls(ctx, s.value) or constant_calls(ctx, s.value)]
    for site in sites:
        yield from _narrow_draw(ctx, site)
        consts = constant_calls(ctx, site.value)
        if not consts or random_calls(ctx, site.value):
            continue
        call = consts[0]
        if sign_path(ctx, call, site.value) != "same" or reinitialised_later(ctx, site):
            continue
        scope = site_scope(ctx, site)
        layer_sites = [s for s in builds if site_scope(ctx, s) is scope]
        all_constant = all(not random_calls(ctx, s.value) for s in layer_sites)
        if not site.many:
            if len(layer_sites) < 2:
                continue  # one weight matrix: regression from zeros is fine
            if not all_constant and site is layer_sites[-1]:
                continue  # a constant output layer under random hidden layers still breaks symmetry
        what = ctx.numpy_name(call)
        yield Violation(
            call,
            title=f"{site.target or site.name} starts as np.{what}(...): every unit of the layer "
                  "computes the same output and gets the same gradient",
            fix="draw the weights around zero: np.random.randn(n_out, n_in) / np.sqrt(n_in)",
            confidence=0.85 if all_constant or site.many else 0.6,
            severity="error" if all_constant or site.many else "warning",
            evidence={"target": site.target or site.name, "init": f"numpy.{what}"},
        )


def _narrow_draw(ctx: Context, site) -> Iterator[Violation]:
    """normal(loc, scale) with scale < |loc|, or randn(...) * s + m with |s| < |m|."""
    for call in random_calls(ctx, site.value):
        ls = normal_loc_scale(ctx, call)
        if ls is not None and ls[0] != 0 and abs(ls[1]) < abs(ls[0]) \
                and sign_path(ctx, call, site.value) == "same":
            loc, scale = ls
            yield _narrow(call, site, loc, scale)
            return
    for node in ast.walk(site.value):
        if not isinstance(node, ast.BinOp) or not isinstance(node.op, (ast.Add, ast.Sub)):
            continue
        terms = sum_terms(node)
        offsets = [s * v for s, t in terms if (v := number(t)) is not None]
        draws = [(s, t) for s, t in terms if number(t) is None]
        if len(offsets) != 1 or offsets[0] == 0 or len(draws) != 1:
            continue
        factors = product_factors(draws[0][1])
        calls = [f for f in factors if isinstance(f, ast.Call)
                 and ctx.numpy_name(f) in ("random.randn", "random.standard_normal")]
        scales = [number(f) for f in factors if f not in calls]
        if len(calls) == 1 and len(scales) == len(factors) - 1 and all(v is not None for v in scales):
            spread = 1.0
            for v in scales:
                spread *= abs(v)
            if spread < abs(offsets[0]):
                yield _narrow(calls[0], site, offsets[0], spread)
                return


def _narrow(call: ast.AST, site, loc: float, scale: float) -> Violation:
    return Violation(
        call,
        title=f"{site.target or site.name} is drawn around {loc:g} with spread {scale:g}: "
              "the weights are nearly equal and share one sign",
        fix="draw around zero: np.random.normal(0.0, 1 / np.sqrt(n_in), shape)",
        confidence=0.8,
        evidence={"target": site.target or site.name, "mean": loc, "std": scale},
    )
