'''Accuracy that compares a column with a flat vector.

## What it does
Checks comparisons `a == b` (and `!=`) where one side is shaped `(n, 1)`
(`np.reshape(a, (m, 1))`, `a.reshape(-1, 1)`, `a[:, None]`, `keepdims=True`)
and the other is a flat `(n,)` vector (`np.argmax(y, axis=1)`, `.ravel()`).

## Why is this bad?
Broadcasting turns `(n, 1) == (n,)` into an `(n, n)` matrix that compares every
prediction with every label. Its mean is about the fraction of labels equal to
any one class, roughly 10 % on MNIST, whatever the network has learned: the
model may be training fine while the reported accuracy never moves.

## Example
```python
def accuracy(out, y_onehot):
    pred = np.argmax(out, axis=1).reshape(-1, 1)
    labels = np.argmax(y_onehot, axis=1)
    return np.mean(pred == labels)
```

Use instead:
```python
def accuracy(out, y_onehot):
    pred = np.argmax(out, axis=1)
    labels = np.argmax(y_onehot, axis=1)
    return np.mean(pred == labels)
```

## Known problems
Only local names bound in the same function (or at module level) are followed;
shapes that come from elsewhere are unknown and not reported.

## Fix
Compare vectors of the same shape: drop the reshape, or flatten both sides
(`pred.ravel() == labels.ravel()`).
'''
from __future__ import annotations

import ast
from typing import Iterator

from gradcheck.lint._context import Context, call_arg, number, position, text
from gradcheck.lint._registry import Violation, rule

COLUMN, FLAT = "column", "flat"
_ACCURACY_WORDS = ("acc", "eval", "score", "predict", "test", "correct", "metric")


@rule("eval-broadcast")
def eval_broadcast(ctx: Context) -> Iterator[Violation]:
    for cmp in ctx.nodes(kind=ast.Compare):
        if len(cmp.ops) != 1 or not isinstance(cmp.ops[0], (ast.Eq, ast.NotEq)):
            continue
        left, right = cmp.left, cmp.comparators[0]
        shapes = {_shape(ctx, left, cmp), _shape(ctx, right, cmp)}
        if shapes != {COLUMN, FLAT}:
            continue
        col, flat = (left, right) if _shape(ctx, left, cmp) == COLUMN else (right, left)
        fn = ctx.function_of(cmp)
        named = fn is not None and any(w in fn.name.lower() for w in _ACCURACY_WORDS)
        yield Violation(
            cmp,
            title=f"{text(col)} is a column (n, 1) and {text(flat)} is flat (n,): `==` broadcasts to "
                  "an (n, n) matrix, so the accuracy is about 1/classes whatever the model predicts",
            fix=f"compare same-shaped vectors: {text(col)}.ravel() {'==' if isinstance(cmp.ops[0], ast.Eq) else '!='} {text(flat)}",
            confidence=0.9 if named else 0.75,
            evidence={"column": text(col), "flat": text(flat)},
        )


def _shape(ctx: Context, expr: ast.AST, at: ast.AST, depth: int = 0) -> str | None:
    if depth > 3:
        return None
    if isinstance(expr, ast.Name):
        value, where = _binding_before(ctx, expr.id, at)
        return _shape(ctx, value, where, depth + 1) if value is not None else None
    if isinstance(expr, ast.Subscript):
        sl = expr.slice
        if isinstance(sl, ast.Tuple) and len(sl.elts) == 2 and isinstance(sl.elts[0], ast.Slice) \
                and _is_newaxis(ctx, sl.elts[1]):
            return COLUMN
        return None
    if not isinstance(expr, ast.Call):
        return None
    name = ctx.numpy_name(expr)
    f = expr.func
    method = f.attr if isinstance(f, ast.Attribute) and name is None else None
    if name == "reshape" and _column_shape(call_arg(expr, 1, "newshape") or call_arg(expr, 1, "shape")):
        return COLUMN
    if method == "reshape":
        shape = expr.args[0] if len(expr.args) == 1 else ast.Tuple(elts=list(expr.args)) if expr.args else None
        if _column_shape(shape):
            return COLUMN
        if len(expr.args) == 1 and number(expr.args[0]) == -1:
            return FLAT
    if name == "expand_dims" and number(call_arg(expr, 1, "axis")) in (1, -1):
        return COLUMN
    kd = call_arg(expr, None, "keepdims")
    if isinstance(kd, ast.Constant) and kd.value is True:
        return COLUMN
    if name in ("argmax", "argmin") and call_arg(expr, 1, "axis") is not None:
        return FLAT
    if method in ("argmax", "argmin") and call_arg(expr, 0, "axis") is not None:
        return FLAT
    if name in ("ravel", "squeeze") or method in ("ravel", "flatten", "squeeze"):
        return FLAT
    return None


def _is_newaxis(ctx: Context, e: ast.AST) -> bool:
    if isinstance(e, ast.Constant) and e.value is None:
        return True
    return ctx.qualname(e) == "numpy.newaxis" if isinstance(e, (ast.Attribute, ast.Name)) else False


def _column_shape(shape: ast.AST | None) -> bool:
    return isinstance(shape, (ast.Tuple, ast.List)) and len(shape.elts) == 2 \
        and number(shape.elts[1]) == 1 and number(shape.elts[0]) != 1


def _binding_before(ctx: Context, name: str, at: ast.AST) -> tuple[ast.AST | None, ast.AST]:
    """The value last bound to ``name`` before ``at`` in the same scope (None if unknown),
    and the statement binding it."""
    scope = ctx.function_of(at) or ctx.tree
    latest, where = None, at
    for stmt in ctx.nodes(scope, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For)):
        if position(stmt) >= position(ctx.statement_of(at)) or (ctx.function_of(stmt) or ctx.tree) is not scope:
            continue
        if isinstance(stmt, ast.Assign):
            for t in stmt.targets:
                if isinstance(t, ast.Name) and t.id == name:
                    latest, where = stmt.value, stmt
                elif isinstance(t, (ast.Tuple, ast.List)) and any(
                        isinstance(e, ast.Name) and e.id == name for e in ast.walk(t)):
                    latest = None
        elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign, ast.For)):
            if any(isinstance(e, ast.Name) and e.id == name for e in ast.walk(stmt.target)):
                latest = getattr(stmt, "value", None) if isinstance(stmt, ast.AnnAssign) else None
                where = stmt
    return latest, where
