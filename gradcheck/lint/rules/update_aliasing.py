'''An update buffer that is another array under a second name, changed in place.

## What it does
Checks for a momentum/Adam buffer bound to another array without a copy
(`v = g`, `self.m = self.v`, `self.m = self.v = np.zeros_like(W)`) and later
changed in place (`v *= 0.9`, `v += g`, `v[...] = ...`).

## Why is this bad?
Assignment in Python never copies an array: both names refer to the same
memory. Changing the buffer in place also changes the gradient (or the other
buffer) it was bound to, so the first and second moments of Adam become the same
array, or the gradient that the next layer still needs is scaled by the momentum
factor. The update is then wrong in a way that no single line shows.

## Example
```python
if self.v is None:
    self.v = grad
self.v *= self.momentum
self.v -= self.lr * grad
```

Use instead:
```python
if self.v is None:
    self.v = np.zeros_like(grad)
self.v = self.momentum * self.v - self.lr * grad
```

## Known problems
Buffers are recognised by name (`v`, `vW`, `velocity`, `m`, `s`, `cache`, ...).
Binding a buffer to *itself* under a shorter name (`v = self.velocities[i]`)
and updating it in place is a correct way to update the stored buffer and is
not reported.

## Fix
Start buffers from fresh arrays (`np.zeros_like(grad)`), bind copies
(`grad.copy()`), or update out of place (`v = momentum * v - lr * grad`).
'''
from __future__ import annotations

import ast
from typing import Iterator

from gradcheck.lint._context import (Context, assigned_targets, is_reference, position,
                                     root_reference, text)
from gradcheck.lint._names import BUFFER_KINDS, GRAD, PARAM_KINDS, kind
from gradcheck.lint._registry import Violation, rule

_SOURCES = (GRAD, *BUFFER_KINDS, *PARAM_KINDS)


@rule("update-aliasing")
def update_aliasing(ctx: Context) -> Iterator[Violation]:
    for stmt in ctx.nodes(kind=ast.Assign):
        targets = [t for t in stmt.targets if isinstance(t, (ast.Name, ast.Attribute))]
        if len(stmt.targets) >= 2 and isinstance(stmt.value, (ast.Call, ast.List, ast.ListComp)):
            buffers = [t for t in targets if kind(t) in BUFFER_KINDS]
            if len(buffers) >= 2:
                yield from _changed_in_place(ctx, stmt, buffers, " = ".join(text(t) for t in buffers),
                                             shared=True)
            continue
        if len(stmt.targets) != 1 or not targets or not is_reference(stmt.value):
            continue
        target, source = targets[0], stmt.value
        tk, sk = kind(target), kind(source)
        if tk not in BUFFER_KINDS or sk not in _SOURCES or tk == sk:
            continue
        yield from _changed_in_place(ctx, stmt, [target], text(source), shared=False)


def _changed_in_place(ctx: Context, stmt: ast.Assign, names: list[ast.AST], source: str,
                      shared: bool) -> Iterator[Violation]:
    watched = {text(n) for n in names}
    for later, same_run in _later(ctx, stmt, names[0]):
        hit = _in_place_target(later, watched)
        if hit is None:
            if same_run and not shared and _rebinds(later, watched):
                return  # a fresh array replaces the alias first
            continue
        if shared:
            title = (f"{source} are one array under two names, and {hit} is changed in place "
                     f"at line {later.lineno}: each update also changes the other buffer")
            fix = "give each buffer its own array: m = np.zeros_like(W); v = np.zeros_like(W)"
        else:
            title = (f"{hit} is bound to {source} without a copy and changed in place at "
                     f"line {later.lineno}: the update also changes {source}")
            fix = f"bind a copy ({hit} = {source}.copy()) or update out of place ({hit} = beta * {hit} + ...)"
        yield Violation(stmt, title=title, fix=fix, confidence=0.75,
                        evidence={"buffer": hit, "bound_to": source, "in_place_line": later.lineno})
        return


def _later(ctx: Context, stmt: ast.stmt, target: ast.AST) -> list[tuple[ast.stmt, bool]]:
    """Statements that may run after ``stmt`` and see its binding, each with a flag:
    True when it runs in the same call (so a rebinding in between ends the alias)."""
    func = ctx.function_of(stmt)
    scope = func or ctx.tree
    loops = ctx.loops_around(stmt, stop=scope)
    after = [s for s in ctx.nodes(scope, ast.stmt) if position(s) > position(stmt)]
    again = [s for loop in loops for s in ctx.nodes(loop, ast.stmt) if position(s) < position(stmt)]
    out = [(s, True) for s in after + again]
    if isinstance(target, ast.Attribute):
        cls = ctx.class_of(stmt)
        if cls is not None:
            out += [(s, False) for s in ctx.nodes(cls, ast.stmt) if ctx.function_of(s) is not func]
    return out


def _in_place_target(stmt: ast.stmt, watched: set[str]) -> str | None:
    if isinstance(stmt, ast.AugAssign):
        t = text(root_reference(stmt.target))
        if t in watched:
            return t
    if isinstance(stmt, ast.Assign):
        for t in stmt.targets:
            if isinstance(t, ast.Subscript) and text(root_reference(t)) in watched:
                return text(root_reference(t))
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        call = stmt.value
        for kw in call.keywords:
            if kw.arg == "out" and text(kw.value) in watched:
                return text(kw.value)
        f = call.func
        if isinstance(f, ast.Attribute) and f.attr in ("fill", "__imul__", "__iadd__", "__isub__") \
                and text(f.value) in watched:
            return text(f.value)
    return None


def _rebinds(stmt: ast.stmt, watched: set[str]) -> bool:
    return isinstance(stmt, ast.Assign) and any(
        text(t) in watched for t in assigned_targets(stmt))
