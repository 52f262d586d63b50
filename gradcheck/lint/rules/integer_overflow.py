'''Arithmetic on uint8 pixels that wraps around.

## What it does
Checks for subtraction, addition, multiplication and powers applied to arrays
that are `uint8` (`.astype(np.uint8)`, `np.uint8(...)`, `np.frombuffer(..., dtype=np.uint8)`,
`np.array(..., dtype="uint8")`) together with an integer or another uint8 array.

## Why is this bad?
MNIST files store pixels as `uint8`. NumPy keeps the result of `uint8 - 128`,
`uint8 * 2`, `x ** 2` or `x - y` in `uint8` and wraps it modulo 256 without a
warning: `3 - 128` becomes `131`, and `200 * 2` becomes `144`. The network is
trained on scrambled images; centring or squaring the data makes it worse, not
better.

## Example
```python
images = np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(-1, 784)
centred = images - 128
```

Use instead:
```python
images = np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(-1, 784)
centred = images.astype(np.float64) / 255.0 - 0.5
```

## Known problems
Only names bound in the same function (or at module level) are followed. Label
arrays (`labels`, `y`, `targets`) are skipped: digits 0-9 do not wrap.
Dividing by 255 or mixing with a float array promotes to float and is fine, so
it is not reported.

## Fix
Convert to floating point first: `x = x.astype(np.float32) / 255.0`.
'''
from __future__ import annotations

import ast
from typing import Iterator

from gradcheck.lint._context import Context, call_arg, number, position, text
from gradcheck.lint._names import identifier
from gradcheck.lint._registry import Violation, rule

_KEEP_DTYPE_METHODS = {"reshape", "T", "flatten", "ravel", "copy", "squeeze", "transpose", "view"}
_KEEP_DTYPE_NUMPY = {"reshape", "ravel", "squeeze", "transpose", "copy", "concatenate", "vstack",
                     "hstack", "stack"}
_DTYPE_FUNCS = {"array", "asarray", "frombuffer", "fromfile", "zeros", "ones", "empty", "full"}


@rule("integer-overflow")
def integer_overflow(ctx: Context) -> Iterator[Violation]:
    for node in ctx.nodes(kind=(ast.BinOp, ast.AugAssign, ast.Call)):
        if isinstance(node, ast.Call):
            name = ctx.numpy_name(node)
            if name in ("square", "dot", "matmul") and node.args and \
                    all(_is_uint8(ctx, a, node) for a in node.args[: 1 if name == "square" else 2]):
                yield _violation(node, f"np.{name}")
            continue
        if isinstance(node, ast.AugAssign):
            left, right, op = node.target, node.value, node.op
        else:
            left, right, op = node.left, node.right, node.op
        if not isinstance(op, (ast.Sub, ast.Add, ast.Mult, ast.Pow, ast.MatMult)):
            continue
        lu, ru = _is_uint8(ctx, left, node), _is_uint8(ctx, right, node)
        if not (lu or ru) or _labels(left) or _labels(right):
            continue
        if isinstance(node, ast.BinOp) and _operand_of_uint8_binop(ctx, node):
            continue  # reported once, at the outermost wrapping operation
        other = right if lu else left
        if (lu and ru) or _wraps(op, number(other), other_on_left=not lu):
            yield _violation(node, text(node) if isinstance(node, ast.BinOp) else text(node.target))


def _labels(expr: ast.AST) -> bool:
    """Class labels (0-9) are uint8 in MNIST files too, but ``labels + 1`` cannot wrap."""
    name = identifier(expr)
    n = (name or "").lower()
    return n in ("y", "t", "ys", "digit", "digits") or any(w in n for w in ("label", "target", "class"))


def _operand_of_uint8_binop(ctx: Context, node: ast.BinOp) -> bool:
    parent = ctx.parent(node)
    return isinstance(parent, ast.BinOp) and _is_uint8(ctx, parent, parent) and \
        isinstance(parent.op, (ast.Sub, ast.Add, ast.Mult, ast.Pow))


def _wraps(op: ast.operator, value: float | None, other_on_left: bool) -> bool:
    """uint8 with a Python integer ``value``: can the result leave 0..255?"""
    if value is None or value != int(value):
        return False  # a float or an unknown array promotes (or we cannot tell)
    if isinstance(op, ast.Sub):
        return value < 255 if other_on_left else value > 0
    if isinstance(op, ast.Add):
        return value > 0
    if isinstance(op, ast.Mult):
        return value > 1 or value < 0
    if isinstance(op, ast.Pow):
        return value >= 2
    return False


def _violation(node: ast.AST, what: str) -> Violation:
    return Violation(
        node,
        title=f"{what} is computed in uint8 and wraps around modulo 256",
        fix="convert the pixels to float first: x = x.astype(np.float32) / 255.0",
        confidence=0.8,
        evidence={"expression": what},
    )


def _is_uint8(ctx: Context, expr: ast.AST, at: ast.AST, depth: int = 0) -> bool:
    if depth > 4:
        return False
    if isinstance(expr, ast.Name):
        value, where = _binding_before(ctx, expr.id, at)
        return value is not None and _is_uint8(ctx, value, where, depth + 1)
    if isinstance(expr, ast.Subscript):
        return _is_uint8(ctx, expr.value, at, depth + 1)
    if isinstance(expr, ast.Attribute) and expr.attr == "T":
        return _is_uint8(ctx, expr.value, at, depth + 1)
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, (ast.Sub, ast.Add, ast.Mult)):
        rv = number(expr.right)
        return _is_uint8(ctx, expr.left, at, depth + 1) and (
            _is_uint8(ctx, expr.right, at, depth + 1) or (rv is not None and rv == int(rv)))
    if not isinstance(expr, ast.Call):
        return False
    name = ctx.numpy_name(expr)
    f = expr.func
    if name == "uint8":
        return True
    if isinstance(f, ast.Attribute) and name is None:
        if f.attr == "astype":
            return bool(expr.args) and _is_uint8_dtype(ctx, expr.args[0])
        if f.attr in _KEEP_DTYPE_METHODS:
            return _is_uint8(ctx, f.value, at, depth + 1)
        return False
    if name in _DTYPE_FUNCS:
        dtype = call_arg(expr, 1 if name in ("frombuffer", "fromfile", "array", "asarray") else None, "dtype")
        return dtype is not None and _is_uint8_dtype(ctx, dtype)
    if name in _KEEP_DTYPE_NUMPY and expr.args:
        return _is_uint8(ctx, expr.args[0], at, depth + 1)
    return False


def _is_uint8_dtype(ctx: Context, expr: ast.AST) -> bool:
    if isinstance(expr, ast.Constant):
        return expr.value in ("uint8", "u1", "B", ">u1", "<u1", "=u1")
    if isinstance(expr, (ast.Name, ast.Attribute)):
        return ctx.qualname(expr) == "numpy.uint8"
    if isinstance(expr, ast.Call) and ctx.numpy_name(expr) == "dtype" and expr.args:
        return _is_uint8_dtype(ctx, expr.args[0])
    return False


def _binding_before(ctx: Context, name: str, at: ast.AST) -> tuple[ast.AST | None, ast.AST]:
    """The value last bound to ``name`` before ``at`` in the same scope (None if unknown),
    and the statement binding it."""
    scope = ctx.function_of(at) or ctx.tree
    here = position(ctx.statement_of(at))
    latest, where = None, at
    for stmt in ctx.nodes(scope, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For)):
        if position(stmt) >= here or (ctx.function_of(stmt) or ctx.tree) is not scope:
            continue
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        for t in targets:
            if isinstance(t, ast.Name) and t.id == name:
                if isinstance(stmt, ast.AugAssign):
                    v = number(stmt.value)
                    if isinstance(stmt.op, ast.Div) or (v is not None and v != int(v)):
                        latest = None  # x /= 255 makes it float
                elif isinstance(stmt, ast.For):
                    latest = None
                else:
                    latest, where = stmt.value, stmt
            elif isinstance(t, (ast.Tuple, ast.List)) and any(
                    isinstance(e, ast.Name) and e.id == name for e in ast.walk(t)):
                latest = None
    return latest, where
