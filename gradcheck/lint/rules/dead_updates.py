'''Parameter updates that never reach the parameters.

## What it does
Checks for gradient-descent steps whose result is lost:

- stored under the gradient's name instead of the parameter's
  (`db1 = b1 - lr * db1`);
- computed as a bare expression and thrown away (`self.W - lr * dW` on its own line);
- bound to a local name that nobody reads again, typically the loop variable of
  `for w, dw in zip(self.weights, grads): w = w - lr * dw`, or a function
  argument that is neither returned nor stored.

## Why is this bad?
The parameters keep their initial values, so the loss and the accuracy stay
flat however long you train, while the backward pass itself may be perfectly
correct (a gradient check passes). Rebinding a loop variable creates a new
array and leaves the one in `self.weights` untouched.

## Example
```python
def update(self, grads, lr):
    for w, dw in zip(self.weights, grads):
        w = w - lr * dw
```

Use instead:
```python
def update(self, grads, lr):
    for w, dw in zip(self.weights, grads):
        w -= lr * dw                   # in place: updates the array in self.weights
    # or: self.weights = [w - lr * dw for w, dw in zip(self.weights, grads)]
```

## Known problems
Only local names are followed; an update stored in an attribute that nothing
reads is not reported.

## Fix
Assign the step to the parameter itself (`b1 = b1 - lr * db1`, `self.W -= lr * dW`),
update arrays in place inside loops, or return the new values and store them.
'''
from __future__ import annotations

import ast
from typing import Iterator

from gradcheck.lint._context import Context, text
from gradcheck.lint._names import GRAD, PARAM_KINDS, kind, kind_of_name
from gradcheck.lint._registry import Violation, rule
from gradcheck.lint._updates import (declared_outside, iterates_parameters, update_parts,
                                     value_used_later)


@rule("dead-updates")
def dead_updates(ctx: Context) -> Iterator[Violation]:
    for stmt in ctx.nodes(kind=(ast.Assign, ast.Expr)):
        if isinstance(stmt, ast.Expr):
            yield from _discarded(ctx, stmt)
            continue
        if len(stmt.targets) != 1:
            continue
        target = stmt.targets[0]
        parts = update_parts(ctx, stmt.value)
        if parts is None:
            continue
        param, step = parts
        if kind(target) == GRAD and kind(param) in PARAM_KINDS \
                and any(text(n) == text(target) for n in ast.walk(step)):
            yield Violation(
                stmt,
                title=f"the update of {text(param)} is stored in the gradient {text(target)}: "
                      f"{text(param)} never changes",
                fix=f"assign the step to the parameter: {text(param)} = {text(param)} - lr * {text(target)}",
                confidence=0.9,
                evidence={"param": text(param), "gradient": text(target)},
            )
            continue
        if isinstance(target, ast.Name) and text(param) == target.id:
            yield from _lost_local(ctx, stmt, target.id)


def _lost_local(ctx: Context, stmt: ast.Assign, name: str) -> Iterator[Violation]:
    func = ctx.function_of(stmt)
    scope = func if func is not None else ctx.tree
    if func is not None and declared_outside(func, name):
        return
    is_loop_var = iterates_parameters(ctx, scope, stmt, name)
    if not is_loop_var and (func is None or kind_of_name(name) not in PARAM_KINDS):
        return  # at module level only loop variables: a global may be read by importers
    if value_used_later(ctx, scope, stmt, name):
        return
    where = "the loop variable" if is_loop_var else "a local name"
    yield Violation(
        stmt,
        title=f"`{name} = {name} - ...` rebinds {where} {name}; the new values are never stored, "
              "so the parameters never change",
        fix=f"update in place ({name} -= ...) or store the result (self.weights[i] = ..., or return it)",
        confidence=0.85 if is_loop_var else 0.7,
        evidence={"name": name},
    )


def _discarded(ctx: Context, stmt: ast.Expr) -> Iterator[Violation]:
    value = stmt.value
    comprehension = isinstance(value, (ast.ListComp, ast.GeneratorExp))
    parts = update_parts(ctx, value.elt if comprehension else value)
    if parts is None:
        return
    param, _ = parts
    if not comprehension and kind(param) not in PARAM_KINDS:
        return
    yield Violation(
        stmt,
        title=f"the update of {text(param)} is computed and thrown away",
        fix=f"store it: {text(param)} = {text(value)}  (or update in place with -=)",
        confidence=0.9,
        evidence={"param": text(param)},
    )
