"""The AST rewrite behind the shape audit: array operations become hook calls.

Inside every function of a user file (module-level code is left alone: it ran
once, at import), these become calls of ``__gradcheck_audit__`` with a site
number, so the hook sees the operands and the result of each one:

- ``a + b`` (and ``- * / @ ** // %``)       -> ``H.b(site, a, b)``
- ``a == b`` (and ``!= < > <= >=``)          -> ``H.c(site, a, b)``
- ``x += v`` (and the other augmented ops)   -> ``x = H.i(site, x, v)``
- ``np.dot(a, b)``, ``a.sum(axis=1)``, ...    -> ``H.f(site, np.dot, a, b)``

Evaluation order, in-place updates and exceptions are those of the original
code. Nothing new is bound in a function (no new local or free variable), so
each rewritten function's code object can replace the original's while the
audit runs, and be put back afterwards.
"""
from __future__ import annotations

import ast
import operator
from dataclasses import dataclass
from typing import Callable

HOOK = "__gradcheck_audit__"
"""The global the rewritten code calls; the loader puts the hooks object there."""

BINOPS: dict[type, tuple[str, Callable]] = {
    ast.Add: ("+", operator.add), ast.Sub: ("-", operator.sub), ast.Mult: ("*", operator.mul),
    ast.Div: ("/", operator.truediv), ast.MatMult: ("@", operator.matmul), ast.Pow: ("**", operator.pow),
    ast.FloorDiv: ("//", operator.floordiv), ast.Mod: ("%", operator.mod),
}
INPLACE: dict[type, tuple[str, Callable]] = {
    ast.Add: ("+=", operator.iadd), ast.Sub: ("-=", operator.isub), ast.Mult: ("*=", operator.imul),
    ast.Div: ("/=", operator.itruediv), ast.MatMult: ("@=", operator.imatmul), ast.Pow: ("**=", operator.ipow),
    ast.FloorDiv: ("//=", operator.ifloordiv), ast.Mod: ("%=", operator.imod),
}
COMPARES: dict[type, tuple[str, Callable]] = {
    ast.Eq: ("==", operator.eq), ast.NotEq: ("!=", operator.ne), ast.Lt: ("<", operator.lt),
    ast.Gt: (">", operator.gt), ast.LtE: ("<=", operator.le), ast.GtE: (">=", operator.ge),
}
CALLS = frozenset({
    "dot", "matmul", "outer", "sum", "mean",
    "multiply", "add", "subtract", "divide", "true_divide", "power", "maximum", "minimum",
    "equal", "not_equal", "greater", "less", "greater_equal", "less_equal",
})
"""Function and method names whose calls are wrapped; the hook checks at run time
that the callee really is numpy's (``np.dot``, ``x.sum``), and only records those."""

_TEXT_MAX = 90


@dataclass(frozen=True)
class Site:
    """One array operation in the user's source."""

    id: int
    file: str
    line: int
    col: int
    kind: str
    """``binop``, ``compare``, ``inplace`` or ``call``."""
    op: str
    """``+``, ``==``, ``-=``, or the called name (``dot``, ``sum``)."""
    function: str | None
    """Qualified name of the enclosing function, e.g. ``Net.backward``."""
    text: str
    """The expression's source, shortened."""
    fn: Callable | None = None
    """The operator function (None for calls: the callee is an operand)."""

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}"


class _Rewriter(ast.NodeTransformer):
    def __init__(self, source: str, file: str, sites: list[Site]):
        self.source, self.file, self.sites = source, file, sites
        self.scope: list[str] = []
        self.depth = 0  # > 0 inside a function or lambda

    # -- scopes ------------------------------------------------------------
    def visit_FunctionDef(self, node):
        node.decorator_list = [self.visit(d) for d in node.decorator_list]
        return self._function_body(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def _function_body(self, node):
        self.scope.append(node.name)
        self.scope.append("<locals>")
        self.depth += 1
        node.body = [self.visit(s) for s in node.body]
        self.depth -= 1
        self.scope.pop()
        self.scope.pop()
        return node

    def visit_Lambda(self, node):
        self.scope.append("<lambda>")
        self.depth += 1
        node.body = self.visit(node.body)
        self.depth -= 1
        self.scope.pop()
        return node

    def visit_ClassDef(self, node):
        self.scope.append(node.name)
        node.body = [self.visit(s) for s in node.body]
        self.scope.pop()
        return node

    # -- sites -------------------------------------------------------------
    def _site(self, node, kind: str, op: str, fn: Callable | None) -> int:
        text = ast.get_source_segment(self.source, node) or op
        text = " ".join(text.split())
        if len(text) > _TEXT_MAX:
            text = text[:_TEXT_MAX - 3] + "..."
        sid = len(self.sites)
        self.sites.append(Site(sid, self.file, node.lineno, node.col_offset + 1, kind, op,
                               _clean_qualname(self.scope), text, fn))
        return sid

    def _hook(self, name: str, node, args, keywords=()):
        call = ast.Call(func=ast.Attribute(value=ast.Name(id=HOOK, ctx=ast.Load()), attr=name, ctx=ast.Load()),
                        args=list(args), keywords=list(keywords))
        return ast.copy_location(call, node)

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if self.depth == 0 or type(node.op) not in BINOPS:
            return node
        op, fn = BINOPS[type(node.op)]
        sid = self._site(node, "binop", op, fn)
        return self._hook("b", node, [ast.Constant(sid), node.left, node.right])

    def visit_Compare(self, node):
        self.generic_visit(node)
        if self.depth == 0 or len(node.ops) != 1 or type(node.ops[0]) not in COMPARES:
            return node
        op, fn = COMPARES[type(node.ops[0])]
        sid = self._site(node, "compare", op, fn)
        return self._hook("c", node, [ast.Constant(sid), node.left, node.comparators[0]])

    def visit_AugAssign(self, node):
        self.generic_visit(node)
        if self.depth == 0 or type(node.op) not in INPLACE or not _simple_target(node.target):
            return node
        op, fn = INPLACE[type(node.op)]
        sid = self._site(node, "inplace", op, fn)
        load = _as_load(node.target)
        value = self._hook("i", node, [ast.Constant(sid), load, node.value])
        return ast.copy_location(ast.Assign(targets=[node.target], value=value), node)

    def visit_Call(self, node):
        self.generic_visit(node)
        if self.depth == 0:
            return node
        f = node.func
        name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
        if name not in CALLS:
            return node
        sid = self._site(node, "call", name, None)
        return self._hook("f", node, [ast.Constant(sid), f, *node.args], node.keywords)


def _clean_qualname(scope: list[str]) -> str | None:
    if not scope:
        return None
    parts = list(scope)
    while parts and parts[-1] == "<locals>":
        parts.pop()
    return ".".join(parts) or None


def _simple(node) -> bool:
    """An expression that can be evaluated twice with the same result (no calls)."""
    if isinstance(node, (ast.Name, ast.Constant)):
        return True
    if isinstance(node, ast.Attribute):
        return _simple(node.value)
    if isinstance(node, ast.Subscript):
        return _simple(node.value) and _simple(node.slice)
    if isinstance(node, ast.Slice):
        return all(p is None or _simple(p) for p in (node.lower, node.upper, node.step))
    if isinstance(node, ast.Tuple):
        return all(_simple(e) for e in node.elts)
    if isinstance(node, ast.UnaryOp):
        return _simple(node.operand)
    return False


def _simple_target(t) -> bool:
    return isinstance(t, ast.Name) or (isinstance(t, (ast.Attribute, ast.Subscript)) and _simple(t))


def _as_load(t):
    import copy

    t = copy.deepcopy(t)
    t.ctx = ast.Load()
    return t


def rewrite(tree: ast.Module, source: str, file: str, sites: list[Site]) -> ast.Module:
    """Rewrite ``tree`` in place (new sites appended to ``sites``) and return it."""
    tree = _Rewriter(source, file, sites).visit(tree)
    return ast.fix_missing_locations(tree)
