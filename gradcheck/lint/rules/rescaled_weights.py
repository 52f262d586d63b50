'''Momentum applied to the weights instead of to the step.

## What it does
Checks for parameter updates that multiply the parameter itself by a momentum
coefficient: `w = -lr * g + momentum * w`, `w = w + mu * w`, `w *= 0.9`.

## Why is this bad?
Momentum keeps a running *velocity* of past steps, `v = momentum * v - lr * g`,
and adds it to the weights. Multiplying the weights by `momentum` instead shrinks
every weight by 10 % per step (for `momentum = 0.9`) whatever the gradient says:
after a few dozen steps the weights are close to zero, the outputs stop
depending on the input and the loss stalls near chance level.

## Example
```python
def update(self, lr, momentum):
    self.W = -lr * self.dW + momentum * self.W
```

Use instead:
```python
def update(self, lr, momentum):
    self.vW = momentum * self.vW - lr * self.dW
    self.W = self.W + self.vW
```

## Known problems
A deliberate weight decay written as `w *= 0.9` inside an update step is reported
too; a decay factor written as `(1 - lr * lam)` is not, and neither is a scaling
outside any gradient step (dropout's test-time `W *= 0.5`).

## Fix
Keep a velocity buffer per parameter (initialised to zeros), apply momentum to
it, and add the velocity to the parameter.
'''
from __future__ import annotations

import ast
from typing import Iterator

from gradcheck.lint._context import Context, number, product_factors, sum_terms, text
from gradcheck.lint._names import PARAM_KINDS, identifier, is_momentum_coefficient, kind
from gradcheck.lint._registry import Violation, rule
from gradcheck.lint._updates import mentions_gradient_or_rate


def _is_coefficient(ctx: Context, expr: ast.AST) -> bool:
    v = number(expr)
    if v is not None:
        return 0.5 <= v <= 0.99
    if isinstance(expr, (ast.Name, ast.Attribute)):
        return is_momentum_coefficient(identifier(expr))
    return False


def _factors(ctx: Context, term: ast.AST) -> list[ast.AST]:
    if isinstance(term, ast.Call) and ctx.numpy_name(term) == "multiply" and len(term.args) == 2:
        return _factors(ctx, term.args[0]) + _factors(ctx, term.args[1])
    out = []
    for f in product_factors(term):
        out.extend(_factors(ctx, f) if isinstance(f, ast.Call) and ctx.numpy_name(f) == "multiply" else [f])
    return out


def _momentum_on(ctx: Context, value: ast.AST, names: set[str]) -> ast.AST | None:
    """The term ``coef * P`` of ``value`` with ``P`` in ``names``, if any."""
    for sign, term in sum_terms(value):
        factors = _factors(ctx, term)
        if len(factors) < 2:
            continue
        own = [f for f in factors if text(f) in names]
        rest = [f for f in factors if text(f) not in names]
        if len(own) == 1 and len(rest) == 1 and sign > 0 and _is_coefficient(ctx, rest[0]):
            return term
    return None


def _comprehension_aliases(value: ast.AST, target: str) -> tuple[ast.AST, set[str]] | None:
    """``[... for w, v in zip(self.weights, ...)]`` assigned to ``self.weights``: (elt, {"w"})."""
    if not isinstance(value, (ast.ListComp, ast.GeneratorExp)) or len(value.generators) != 1:
        return None
    gen = value.generators[0]
    if text(gen.iter) == target and isinstance(gen.target, ast.Name):
        return value.elt, {gen.target.id}
    if isinstance(gen.iter, ast.Call) and isinstance(gen.iter.func, ast.Name) and gen.iter.func.id == "zip" \
            and isinstance(gen.target, ast.Tuple):
        names = {t.id for a, t in zip(gen.iter.args, gen.target.elts)
                 if text(a) == target and isinstance(t, ast.Name)}
        if names:
            return value.elt, names
    return None


def _in_update_step(ctx: Context, stmt: ast.AST) -> bool:
    """The statement is part of a gradient step: it, or its function, names a gradient or a rate
    (``W *= 0.5`` alone may be dropout's test-time weight scaling)."""
    scope = ctx.function_of(stmt) or stmt
    return mentions_gradient_or_rate(stmt) or mentions_gradient_or_rate(scope)


@rule("rescaled-weights")
def rescaled_weights(ctx: Context) -> Iterator[Violation]:
    for stmt in ctx.nodes(kind=(ast.Assign, ast.AugAssign)):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        if len(targets) != 1 or kind(targets[0]) not in PARAM_KINDS:
            continue
        target = text(targets[0])
        hit = None
        if isinstance(stmt, ast.AugAssign):
            if isinstance(stmt.op, ast.Mult) and _is_coefficient(ctx, stmt.value):
                hit = stmt
        else:
            hit = _momentum_on(ctx, stmt.value, {target})
            alias = _comprehension_aliases(stmt.value, target)
            if hit is None and alias is not None:
                hit = _momentum_on(ctx, alias[0], alias[1])
        if hit is None or not _in_update_step(ctx, stmt):
            continue
        yield Violation(
            hit,
            title=f"{target} is multiplied by the momentum coefficient every update: "
                  "it shrinks towards zero whatever the gradient",
            fix="apply momentum to a velocity buffer: v = momentum * v - lr * grad; then param += v",
            confidence=0.85,
            evidence={"target": target, "term": text(hit) if hit is not stmt else text(stmt)},
        )
