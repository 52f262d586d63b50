"""Normalised exponentials: ``np.exp(z) / np.sum(np.exp(z), ...)`` and their spellings.

Shared by ``softmax-axis`` and ``nan-inf``. A *normalisation* is a division whose
numerator is exponential (an ``np.exp`` call, or a local name bound to one) and
whose denominator reduces or adds exponentials.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass

from gradcheck.lint._context import Context, call_arg, number, position

_MAX = {"max", "amax", "nanmax"}
_SUM = {"sum", "nansum"}


@dataclass(frozen=True)
class Reduction:
    call: ast.Call
    how: str
    """``builtin``, ``numpy`` (np.sum(x, ...)) or ``method`` (x.sum(...))."""
    operand: ast.AST | None
    axis: ast.AST | None
    keepdims: bool
    """keepdims=True, or the result is reshaped to a column/row before dividing."""


@dataclass(frozen=True)
class Normalisation:
    div: ast.BinOp
    scope: ast.AST
    exp_calls: tuple[ast.Call, ...]
    """The exp calls feeding the numerator and denominator."""
    sums: tuple[Reduction, ...]
    """Sum reductions of exponentials in the denominator."""
    denominator_has_exp: bool


def _scope(ctx: Context, node: ast.AST) -> ast.AST:
    return ctx.function_of(node) or ctx.tree


def exp_bindings(ctx: Context, scope: ast.AST) -> dict[str, list[ast.Assign]]:
    """Local names bound to an expression containing np.exp, in ``scope``."""
    out: dict[str, list[ast.Assign]] = {}
    for stmt in ctx.nodes(scope, ast.Assign):
        if _scope(ctx, stmt) is not scope:
            continue
        if any(ctx.numpy_name(c) == "exp" for c in ast.walk(stmt.value)):
            for t in stmt.targets:
                if isinstance(t, ast.Name):
                    out.setdefault(t.id, []).append(stmt)
    return out


def exp_sources(ctx: Context, expr: ast.AST, bindings: dict[str, list[ast.Assign]]) -> list[ast.Call]:
    """The np.exp calls an expression uses, directly or through local names bound before it."""
    calls = [c for c in ast.walk(expr) if ctx.numpy_name(c) == "exp"]
    for n in ast.walk(expr):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id in bindings:
            before = [b for b in bindings[n.id] if position(b) < position(n)]
            if before:
                calls += [c for c in ast.walk(before[-1].value) if ctx.numpy_name(c) == "exp"]
    return calls


def reduction(ctx: Context, call: ast.AST, kinds: set[str]) -> Reduction | None:
    if not isinstance(call, ast.Call):
        return None
    name = ctx.numpy_name(call)
    if name in kinds:
        return Reduction(call, "numpy", call_arg(call, 0, "a"), call_arg(call, 1, "axis"),
                         _keepdims(call))
    f = call.func
    if isinstance(f, ast.Attribute) and f.attr in kinds and name is None:
        return Reduction(call, "method", f.value, call_arg(call, 0, "axis"), _keepdims(call))
    if "sum" in kinds and ctx.is_builtin(call, "sum"):
        return Reduction(call, "builtin", call.args[0] if call.args else None, None, False)
    if "max" in kinds and ctx.is_builtin(call, "max"):
        return Reduction(call, "builtin", call.args[0] if call.args else None, None, False)
    return None


def _keepdims(call: ast.Call) -> bool:
    kd = call_arg(call, None, "keepdims")
    return isinstance(kd, ast.Constant) and kd.value is True


def reshaped(ctx: Context, node: ast.AST, top: ast.AST) -> bool:
    """Between ``node`` and ``top`` the result is turned into a column or row."""
    child = node
    while child is not top and child is not None:
        parent = ctx.parent(child)
        if isinstance(parent, ast.Subscript) and child is parent.value:
            if any(isinstance(e, ast.Constant) and e.value is None or
                   (isinstance(e, ast.Attribute) and e.attr == "newaxis")
                   for e in ast.walk(parent.slice)):
                return True
        if isinstance(parent, ast.Attribute) and parent.attr in ("reshape", "T"):
            return True
        if isinstance(parent, ast.Call) and ctx.numpy_name(parent) in ("reshape", "expand_dims", "atleast_2d"):
            return True
        child = parent
    return False


def normalisations(ctx: Context) -> list[Normalisation]:
    out = []
    cache: dict[int, dict] = {}
    for div in ctx.nodes(kind=ast.BinOp):
        if not isinstance(div.op, ast.Div):
            continue
        scope = _scope(ctx, div)
        bindings = cache.setdefault(id(scope), exp_bindings(ctx, scope))
        top_calls = exp_sources(ctx, div.left, bindings)
        if not top_calls:
            continue
        bottom_calls = exp_sources(ctx, div.right, bindings)
        sums = []
        for node in ast.walk(div.right):
            r = reduction(ctx, node, _SUM)
            if r is None or r.operand is None or not exp_sources(ctx, r.operand, bindings):
                continue
            if not r.keepdims and reshaped(ctx, node, div.right):
                r = Reduction(r.call, r.how, r.operand, r.axis, True)
            sums.append(r)
        out.append(Normalisation(div, scope, tuple(top_calls + bottom_calls), tuple(sums),
                                 bool(bottom_calls)))
    return out


def axis_value(expr: ast.AST | None) -> int | None:
    v = number(expr)
    return int(v) if v is not None and v == int(v) else None


def max_reductions(ctx: Context, expr: ast.AST) -> list[Reduction]:
    return [r for n in ast.walk(expr) if (r := reduction(ctx, n, _MAX)) is not None]


def is_shifted(ctx: Context, arg: ast.AST, scope: ast.AST, before: ast.AST, depth: int = 0) -> bool:
    """``arg`` has its maximum subtracted or is clipped (here or where its names were bound)."""
    for n in ast.walk(arg):
        if isinstance(n, ast.Call) and ctx.numpy_name(n) in ("clip", "minimum"):
            return True
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "clip":
            return True
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Sub) and (
                max_reductions(ctx, n.right) or _logsumexp(ctx, n.right)):
            return True
    if depth >= 2:
        return False
    names = {n.id for n in ast.walk(arg) if isinstance(n, ast.Name)}
    for stmt in ctx.nodes(scope, (ast.Assign, ast.AugAssign)):
        if position(stmt) >= position(before) or (ctx.function_of(stmt) or ctx.tree) is not scope:
            continue
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        if not any(isinstance(t, ast.Name) and t.id in names for t in targets):
            continue
        if isinstance(stmt, ast.AugAssign):
            if isinstance(stmt.op, ast.Sub) and max_reductions(ctx, stmt.value):
                return True
        elif is_shifted(ctx, stmt.value, scope, stmt, depth + 1):
            return True
    return False


def _logsumexp(ctx: Context, expr: ast.AST) -> bool:
    return any(isinstance(n, ast.Call) and (ctx.qualname(n.func) or "").endswith("logsumexp")
               for n in ast.walk(expr))


def inside_where(ctx: Context, node: ast.AST) -> bool:
    return any(isinstance(a, ast.Call) and ctx.numpy_name(a) == "where" for a in ctx.ancestors(node))


def two_dimensional_hints(ctx: Context, scope: ast.AST, skip: ast.AST) -> list[int]:
    """Axes named by other reductions in ``scope`` (evidence that the data is 2-D)."""
    axes = []
    for call in ctx.nodes(scope, ast.Call):
        if call is skip:
            continue
        for kw in call.keywords:
            if kw.arg == "axis" and (v := axis_value(kw.value)) is not None:
                axes.append(v)
            if kw.arg == "keepdims":
                axes.append(-99)
    return axes
