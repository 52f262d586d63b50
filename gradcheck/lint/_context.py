"""What every rule needs to read one module: parents, imports, scopes, positions.

The ``Context`` is built once per file. It resolves names through the file's
imports (``np.random.rand`` and ``from numpy.random import rand`` both become
``numpy.random.rand``), knows each node's parent and enclosing function and
class, and offers the small queries rules share (which later statements touch
a name, is a call a numpy function, ...). It never executes the user's code.
"""
from __future__ import annotations

import ast
import builtins
from typing import Iterator

import numpy

Scope = ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
LOOPS = (ast.For, ast.AsyncFor, ast.While)

_RNG_FACTORIES = ("numpy.random.default_rng", "numpy.random.RandomState", "numpy.random.Generator")


class Context:
    """One parsed module and the queries rules ask about it."""

    def __init__(self, tree: ast.Module, source: str, filename: str) -> None:
        self.tree = tree
        self.source = source
        self.filename = filename
        self.lines = source.splitlines()
        self.parents: dict[ast.AST, ast.AST] = {}
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node
        self.aliases: dict[str, str] = {}
        self.star_numpy = False
        self._collect_imports()
        self.defined = self._collect_defined_names()
        self.rngs: set[str] = set()
        self.rngs = self._collect_rngs()

    # ------------------------------------------------------------------ imports
    def _collect_imports(self) -> None:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        self.aliases[a.asname] = a.name
                    else:
                        top = a.name.split(".")[0]
                        self.aliases[top] = top
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for a in node.names:
                    if a.name == "*":
                        if node.module == "numpy":
                            self.star_numpy = True
                        continue
                    self.aliases[a.asname or a.name] = f"{node.module}.{a.name}"

    def _collect_defined_names(self) -> set[str]:
        """Names the module itself defines (functions, classes, assigned globals)."""
        out: set[str] = set()
        for node in ast.walk(self.tree):
            if isinstance(node, (*FUNCTIONS, ast.ClassDef)):
                out.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                out.add(node.id)
        return out

    def _collect_rngs(self) -> set[str]:
        """Dotted names bound to a numpy random Generator / RandomState."""
        out: set[str] = set()
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                if self.qualname(node.value.func) in _RNG_FACTORIES:
                    for t in node.targets:
                        if isinstance(t, (ast.Name, ast.Attribute)):
                            out.add(ast.unparse(t))
        return out

    def qualname(self, expr: ast.AST) -> str | None:
        """Fully qualified dotted name of a reference, resolved through imports.

        ``np.random.rand`` -> ``numpy.random.rand``; a method on an unknown object
        (``z.max``) -> ``z.max``; anything not a dotted name -> None.
        """
        if isinstance(expr, ast.Name):
            if expr.id in self.aliases:
                return self.aliases[expr.id]
            if self.star_numpy and expr.id not in self.defined and hasattr(numpy, expr.id):
                return f"numpy.{expr.id}"
            return expr.id
        if isinstance(expr, ast.Attribute):
            if isinstance(expr.value, (ast.Name, ast.Attribute)) and ast.unparse(expr.value) in self.rngs:
                return f"numpy.random.{expr.attr}"
            base = self.qualname(expr.value)
            return f"{base}.{expr.attr}" if base else None
        return None

    def numpy_name(self, call: ast.AST) -> str | None:
        """For a call to a numpy function, its name below ``numpy.`` (``random.rand``)."""
        if not isinstance(call, ast.Call):
            return None
        q = self.qualname(call.func)
        if q and q.startswith("numpy."):
            return q[len("numpy."):]
        return None

    def is_builtin(self, call: ast.AST, name: str) -> bool:
        """A call to the builtin ``name`` (not shadowed by the module or numpy's star import)."""
        return (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
                and call.func.id == name and hasattr(builtins, name)
                and name not in self.defined and name not in self.aliases
                and not (self.star_numpy and hasattr(numpy, name)))

    # ------------------------------------------------------------------ tree
    def parent(self, node: ast.AST) -> ast.AST | None:
        return self.parents.get(node)

    def ancestors(self, node: ast.AST) -> Iterator[ast.AST]:
        p = self.parents.get(node)
        while p is not None:
            yield p
            p = self.parents.get(p)

    def function_of(self, node: ast.AST) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        for a in self.ancestors(node):
            if isinstance(a, FUNCTIONS):
                return a
        return None

    def class_of(self, node: ast.AST) -> ast.ClassDef | None:
        for a in self.ancestors(node):
            if isinstance(a, ast.ClassDef):
                return a
        return None

    def scope_of(self, node: ast.AST) -> Scope:
        """The nearest enclosing function, class or the module."""
        for a in self.ancestors(node):
            if isinstance(a, (*FUNCTIONS, ast.ClassDef, ast.Lambda)):
                return a
        return self.tree

    def statement_of(self, node: ast.AST) -> ast.stmt:
        """The statement that contains ``node`` (``node`` itself if it is one)."""
        cur = node
        while not isinstance(cur, ast.stmt):
            cur = self.parents[cur]
        return cur

    def loops_around(self, node: ast.AST, stop: ast.AST | None = None) -> list[ast.AST]:
        """Loops enclosing ``node``, innermost first, not looking past ``stop``."""
        out = []
        for a in self.ancestors(node):
            if a is stop:
                break
            if isinstance(a, LOOPS):
                out.append(a)
        return out

    def functions(self) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
        return [n for n in ast.walk(self.tree) if isinstance(n, FUNCTIONS)]

    def nodes(self, root: ast.AST | None = None, kind: type | tuple = ast.AST) -> list:
        """All nodes of a type under ``root`` (default: the module), in source order."""
        found = [n for n in ast.walk(root or self.tree) if isinstance(n, kind)]
        return sorted(found, key=position)

    def self_attribute_scope(self, expr: ast.AST) -> ast.AST:
        """Where a target lives: the class for ``self.x``, else the enclosing function/module."""
        if is_self_attribute(expr):
            cls = self.class_of(expr)
            if cls is not None:
                return cls
        fn = self.function_of(expr)
        return fn if fn is not None else self.tree


# ---------------------------------------------------------------------- helpers
def position(node: ast.AST) -> tuple[int, int]:
    return (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))


def end_position(node: ast.AST) -> tuple[int, int]:
    return (getattr(node, "end_lineno", 0) or 0, getattr(node, "end_col_offset", 0) or 0)


def contains(outer: ast.AST, inner: ast.AST) -> bool:
    return any(n is inner for n in ast.walk(outer))


def text(expr: ast.AST) -> str:
    return ast.unparse(expr)


def root_reference(expr: ast.AST) -> ast.AST:
    """``self.w[i][j]`` -> ``self.w``; ``w[...]`` -> ``w``."""
    while isinstance(expr, ast.Subscript):
        expr = expr.value
    return expr


def is_reference(expr: ast.AST) -> bool:
    """A plain name, attribute chain or subscript of one (no call, no arithmetic)."""
    if isinstance(expr, ast.Name):
        return True
    if isinstance(expr, ast.Attribute):
        return is_reference(expr.value)
    if isinstance(expr, ast.Subscript):
        return is_reference(expr.value)
    return False


def is_self_attribute(expr: ast.AST) -> bool:
    expr = root_reference(expr)
    return (isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name)
            and expr.value.id in ("self", "cls"))


def assigned_targets(stmt: ast.AST) -> list[ast.AST]:
    """The targets a statement binds (tuples flattened)."""
    if isinstance(stmt, ast.Assign):
        raw = list(stmt.targets)
    elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
        raw = [stmt.target]
    elif isinstance(stmt, (ast.For, ast.AsyncFor)):
        raw = [stmt.target]
    else:
        return []
    out: list[ast.AST] = []
    while raw:
        t = raw.pop(0)
        if isinstance(t, (ast.Tuple, ast.List)):
            raw[:0] = list(t.elts)
        elif isinstance(t, ast.Starred):
            raw.insert(0, t.value)
        else:
            out.append(t)
    return out


def number(expr: ast.AST | None) -> float | None:
    """The value of a numeric literal (``-0.1`` included), else None."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, (int, float)) \
            and not isinstance(expr.value, bool):
        return float(expr.value)
    if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, (ast.USub, ast.UAdd)):
        v = number(expr.operand)
        if v is not None:
            return -v if isinstance(expr.op, ast.USub) else v
    return None


def call_arg(call: ast.Call, pos: int | None, name: str) -> ast.AST | None:
    """A call's argument by keyword ``name`` or by position ``pos``."""
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    if pos is not None and pos < len(call.args) and not any(
            isinstance(a, ast.Starred) for a in call.args[: pos + 1]):
        return call.args[pos]
    return None


def sum_terms(expr: ast.AST, sign: int = 1) -> list[tuple[int, ast.AST]]:
    """``a - b*c + d`` -> [(+1, a), (-1, b*c), (+1, d)]."""
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, (ast.Add, ast.Sub)):
        right_sign = sign if isinstance(expr.op, ast.Add) else -sign
        return sum_terms(expr.left, sign) + sum_terms(expr.right, right_sign)
    if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.USub):
        return sum_terms(expr.operand, -sign)
    return [(sign, expr)]


def product_factors(expr: ast.AST) -> list[ast.AST]:
    """``a * b * c`` -> [a, b, c] (also ``np.multiply(a, b)``-free plain products)."""
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Mult):
        return product_factors(expr.left) + product_factors(expr.right)
    return [expr]