"""Where parameters get their first values, and what kind of values those are.

Shared by the initialisation rules (``positive-init``, ``symmetric-init``). An
*init site* is a place a weight-like target receives a freshly built array:
``self.W1 = np.random.rand(784, 30)``, ``self.weights = [np.zeros((y, x)) for ...]``,
``params["W2"] = ...``, ``self.weights.append(...)``, a dict literal
``{"W1": ..., "b1": ...}``.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Iterator

from gradcheck.lint._context import (Context, assigned_targets, call_arg, number, position,
                                     root_reference, text)
from gradcheck.lint._names import GRAD, PARAM_KINDS, is_learning_rate, kind_of_name

# numpy functions whose result has the sign of a [0, 1) uniform draw
UNIFORM01 = {"random.rand", "random.random", "random.random_sample", "random.ranf",
             "random.sample"}
NORMALS = {"random.randn", "random.standard_normal", "random.normal"}
CONSTANTS = {"zeros", "ones", "full", "zeros_like", "ones_like", "full_like"}
# numpy calls that keep the sign pattern of their first argument
_SIGN_KEEPING = {"asmatrix", "matrix", "mat", "array", "asarray", "ascontiguousarray",
                 "multiply", "divide", "true_divide", "float32", "float64", "reshape",
                 "transpose", "abs", "sqrt"}
_SIGN_KEEPING_METHODS = {"astype", "reshape", "T", "copy", "transpose", "view", "squeeze"}


@dataclass(frozen=True)
class InitSite:
    name: str
    """The identifier of the target (``W1`` for ``self.W1``, ``params['W1']`` and ``W1``)."""
    target: str | None
    """The target's root as source text (``self.weights``), for finding later re-inits."""
    value: ast.AST
    """The expression that builds the array."""
    stmt: ast.AST
    """The statement holding it."""
    many: bool
    """Built inside a loop or comprehension: one per layer."""

    @property
    def kind(self) -> str | None:
        return kind_of_name(self.name)


def init_sites(ctx: Context) -> Iterator[InitSite]:
    for stmt in ctx.nodes(kind=(ast.Assign, ast.AnnAssign)):
        if stmt.value is None:
            continue
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        for tgt in targets:
            if isinstance(tgt, (ast.Tuple, ast.List)) and isinstance(stmt.value, (ast.Tuple, ast.List)) \
                    and len(tgt.elts) == len(stmt.value.elts):
                pairs = list(zip(tgt.elts, stmt.value.elts))
            else:
                pairs = [(tgt, stmt.value)]
            for t, v in pairs:
                if isinstance(t, (ast.Tuple, ast.List)):
                    continue
                yield from _sites_for(ctx, t, v, stmt)
    for call in ctx.nodes(kind=ast.Call):
        f = call.func
        if isinstance(f, ast.Attribute) and f.attr in ("append", "extend") and len(call.args) == 1:
            yield from _sites_for(ctx, f.value, call.args[0], ctx.statement_of(call), many=True)
        if isinstance(f, ast.Attribute) and f.attr == "setdefault" and len(call.args) == 2:
            key = call.args[0]
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                yield InitSite(key.value, None, call.args[1], ctx.statement_of(call), False)


def _sites_for(ctx: Context, target: ast.AST, value: ast.AST, stmt: ast.AST,
               many: bool = False) -> Iterator[InitSite]:
    from gradcheck.lint._names import identifier

    if isinstance(value, ast.Dict):
        for k, v in zip(value.keys, value.values):
            if isinstance(k, ast.Constant) and isinstance(k.value, str) and v is not None:
                yield InitSite(k.value, None, v, stmt, many or _in_loop(ctx, stmt))
        return
    name = identifier(target)
    if name is None:
        return
    many = many or _in_loop(ctx, stmt) or isinstance(value, (ast.ListComp, ast.GeneratorExp))
    keyed = isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant) \
        and isinstance(target.slice.value, str)
    yield InitSite(name, text(target if keyed else root_reference(target)), value, stmt, many)


def _in_loop(ctx: Context, stmt: ast.AST) -> bool:
    fn = ctx.function_of(stmt)
    return bool(ctx.loops_around(stmt, stop=fn))


# ---------------------------------------------------------------------- values
def is_random_call(ctx: Context, node: ast.AST) -> bool:
    name = ctx.numpy_name(node)
    if name is not None and name.startswith("random."):
        return True
    q = ctx.qualname(node.func) if isinstance(node, ast.Call) else None
    return bool(q) and q.startswith("random.")


def random_calls(ctx: Context, expr: ast.AST) -> list[ast.Call]:
    return [n for n in ctx.nodes(expr, ast.Call) if is_random_call(ctx, n)]


def is_uniform01(ctx: Context, call: ast.Call) -> bool:
    """A draw from [0, 1) or [a, b) with a >= 0: every value has the same sign."""
    name = ctx.numpy_name(call)
    q = ctx.qualname(call.func) if name is None else None
    if name in UNIFORM01 or q == "random.random":
        return True
    if name == "random.uniform" or q == "random.uniform":
        low = call_arg(call, 0, "low" if name else "a")
        if low is None:
            return name is not None  # numpy's default low is 0
        v = number(low)
        return v is not None and v >= 0
    return False


def normal_loc_scale(ctx: Context, call: ast.Call) -> tuple[float, float] | None:
    """``(loc, scale)`` of ``np.random.normal(loc, scale, ...)`` with literal arguments."""
    if ctx.numpy_name(call) != "random.normal":
        return None
    loc, scale = call_arg(call, 0, "loc"), call_arg(call, 1, "scale")
    lv = 0.0 if loc is None else number(loc)
    sv = 1.0 if scale is None else number(scale)
    if lv is None or sv is None:
        return None
    return lv, sv


def constant_calls(ctx: Context, expr: ast.AST) -> list[ast.Call]:
    return [n for n in ctx.nodes(expr, ast.Call) if ctx.numpy_name(n) in CONSTANTS]


def sign_path(ctx: Context, node: ast.AST, top: ast.AST) -> str:
    """How the sign pattern of ``node``'s values reaches ``top``.

    ``same``: only scaled, wrapped or collected; ``shifted``: something is
    subtracted (or a negative number added) on the way; ``opaque``: it passes
    through something we cannot follow (a user function, a comparison, ...).
    """
    child = node
    while child is not top:
        parent = ctx.parent(child)
        if parent is None:
            return "opaque"
        verdict = _step(ctx, child, parent)
        if verdict != "same":
            return verdict
        child = parent
    return "same"


def _step(ctx: Context, child: ast.AST, parent: ast.AST) -> str:
    if isinstance(parent, ast.BinOp):
        other = parent.right if child is parent.left else parent.left
        if isinstance(parent.op, ast.Sub):
            v = number(other)
            return "same" if v == 0 else "shifted"
        if isinstance(parent.op, ast.Add):
            v = number(other)
            if v is not None:
                return "shifted" if v < 0 else "same"
            if isinstance(other, ast.UnaryOp) and isinstance(other.op, ast.USub):
                return "shifted"
            return "opaque" if random_calls(ctx, other) else "same"
        if isinstance(parent.op, (ast.Mult, ast.Div, ast.FloorDiv)):
            return "opaque" if random_calls(ctx, other) else "same"
        return "opaque"
    if isinstance(parent, ast.UnaryOp):
        return "same" if isinstance(parent.op, (ast.USub, ast.UAdd)) else "opaque"
    if isinstance(parent, ast.Call):
        name = ctx.numpy_name(parent)
        if child in parent.args:
            if name in _SIGN_KEEPING:
                others = [a for a in parent.args if a is not child]
                return "opaque" if any(random_calls(ctx, a) for a in others) else "same"
            if name == "subtract":
                return "shifted"
            return "opaque"
        if any(kw.value is child for kw in parent.keywords):
            return "same" if name in _SIGN_KEEPING else "opaque"
        return "opaque"
    if isinstance(parent, ast.Attribute):
        if parent.attr in _SIGN_KEEPING_METHODS:
            return "same"
        return "opaque"
    if isinstance(parent, (ast.List, ast.Tuple, ast.Starred, ast.IfExp, ast.Subscript)):
        if isinstance(parent, ast.IfExp) and child is parent.test:
            return "opaque"
        if isinstance(parent, ast.Subscript) and child is not parent.value:
            return "opaque"
        return "same"
    if isinstance(parent, (ast.ListComp, ast.GeneratorExp, ast.SetComp)):
        return "same" if child is parent.elt else "opaque"
    if isinstance(parent, ast.DictComp):
        return "same" if child is parent.value else "opaque"
    if isinstance(parent, ast.Dict):
        return "same" if child in parent.values else "opaque"
    if isinstance(parent, ast.comprehension):
        return "opaque"
    return "opaque"


# ---------------------------------------------------------------------- later code
def site_scope(ctx: Context, site: InitSite) -> ast.AST:
    """Where later code may re-initialise the target: the class for ``self.x``."""
    stmt = site.stmt
    if site.target and site.target.startswith(("self.", "cls.")):
        cls = ctx.class_of(stmt)
        if cls is not None:
            return cls
    fn = ctx.function_of(stmt)
    return fn if fn is not None else ctx.tree


def later_statements(ctx: Context, site: InitSite) -> list[ast.stmt]:
    """Statements in the site's scope that may run after it (all of them in a class)."""
    scope = site_scope(ctx, site)
    stmts = [s for s in ctx.nodes(scope, ast.stmt) if s is not site.stmt]
    if isinstance(scope, ast.ClassDef):
        return stmts
    start = position(site.stmt)
    loops = ctx.loops_around(site.stmt, stop=scope)
    return [s for s in stmts
            if position(s) > start or any(_inside(ctx, s, loop) for loop in loops)]


def _inside(ctx: Context, node: ast.AST, outer: ast.AST) -> bool:
    return any(a is outer for a in ctx.ancestors(node))


def is_constant_shift(term: ast.AST) -> bool:
    """A subtracted term that is a number or built from numbers and non-gradient names."""
    for n in ast.walk(term):
        if isinstance(n, ast.Name) and (kind_of_name(n.id) in (GRAD, *PARAM_KINDS)
                                        or is_learning_rate(n.id)):
            return False
        if isinstance(n, ast.Attribute) and (kind_of_name(n.attr) in (GRAD, *PARAM_KINDS)
                                             or is_learning_rate(n.attr)):
            return False
        if isinstance(n, ast.Call):
            return False
    return True


def shifted_later(ctx: Context, site: InitSite) -> bool:
    """A later ``W -= 0.5`` / ``W = (W - 0.5) * 2`` centres the draw."""
    if site.target is None:
        return False
    for s in later_statements(ctx, site):
        for t in assigned_targets(s):
            if text(root_reference(t)) != site.target:
                continue
            if isinstance(s, ast.AugAssign):
                if isinstance(s.op, ast.Sub) and is_constant_shift(s.value):
                    return True
                v = number(s.value)
                if isinstance(s.op, ast.Add) and v is not None and v < 0:
                    return True
            elif isinstance(s, ast.Assign):
                for sub in ast.walk(s.value):
                    if isinstance(sub, ast.BinOp) and isinstance(sub.op, ast.Sub) \
                            and any(text(n) == site.target for n in ast.walk(sub.left)) \
                            and is_constant_shift(sub.right):
                        return True
    return False


_NOT_INITIALISERS = {"print", "len", "range", "zip", "enumerate", "list", "tuple", "isinstance",
                     "str", "repr", "format", "sum", "max", "min", "type", "id", "iter"}


def reinitialised_later(ctx: Context, site: InitSite) -> bool:
    """A placeholder: later code gives the target new values (or hands it to a function
    that may, like ``p = [w1, b1]; p = random_init(p)``)."""
    if site.target is None:
        return False
    tracked = {site.target}
    for s in later_statements(ctx, site):
        targets = assigned_targets(s)
        for t in targets:
            if text(t) in tracked:
                if isinstance(s, ast.Assign) and random_calls(ctx, s.value):
                    return True
            elif text(root_reference(t)) in tracked or (
                    isinstance(t, ast.Subscript) and text(t.value) in tracked):
                return True  # W[...] = ... : filled in place
        # aliases: p = [w1, b1, w2, b2]
        if isinstance(s, ast.Assign) and isinstance(s.value, (ast.List, ast.Tuple, ast.Dict)):
            elts = s.value.values if isinstance(s.value, ast.Dict) else s.value.elts
            if any(text(e) in tracked for e in elts):
                tracked.update(text(root_reference(t)) for t in targets)
        for call in ctx.nodes(s, ast.Call):
            f = call.func
            if isinstance(f, ast.Attribute) and text(f.value) in tracked and f.attr in ("fill", "__setitem__"):
                return True
            name = ctx.numpy_name(call)
            if name == "copyto" and call.args and text(call.args[0]) in tracked:
                return True
            if name is not None or (isinstance(f, ast.Name) and f.id in _NOT_INITIALISERS):
                continue
            args = list(call.args) + [kw.value for kw in call.keywords]
            for a in args:
                items = a.elts if isinstance(a, (ast.List, ast.Tuple)) else [a]
                if any(text(i) in tracked for i in items):
                    return True
    return False
