'''A forward pass that does not return its output.

## What it does
Checks forward-like functions (named like `forward`, `feedforward`, `predict`,
`query`, `propagate`, or whose result callers use, as in
`np.argmax(self.feedforward(x))`) for a missing `return` on some path. It says
which local variable most likely holds the output.

## Why is this bad?
A Python function without `return` returns `None`. The training code may still
run (the backward pass often recomputes the activations itself) while every
evaluation sees `None`: `np.argmax(None)` is `0`, so the network "predicts" class
0 for every image and the accuracy is frozen at the share of zeros, however the
weights change.

## Example
```python
def feedforward(self, a):
    for b, w in zip(self.biases, self.weights):
        a = sigmoid(w @ a + b)
```

Use instead:
```python
def feedforward(self, a):
    for b, w in zip(self.biases, self.weights):
        a = sigmoid(w @ a + b)
    return a
```

## Known problems
A forward pass that deliberately stores its output on `self` (`self.out = ...`)
and returns nothing is fine as long as no caller uses its return value; it is not
reported. Abstract methods (only `pass`, `...` or `raise NotImplementedError`)
are skipped.

## Fix
End the function with `return <output>` on every path.
'''
from __future__ import annotations

import ast
import re
from typing import Iterator

from gradcheck.lint._context import FUNCTIONS, Context, end_position, is_self_attribute, position, text
from gradcheck.lint._registry import Violation, rule

_FORWARD_WORDS = {"forward", "feedforward", "fwd", "fprop", "predict", "query", "propagate",
                  "inference", "infer"}
_FORWARD_NAMES = {"__call__"}


def words(name: str) -> list[str]:
    """``feedForward_pass`` -> ["feed", "forward", "pass"]."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return [w for w in spaced.lower().split("_") if w]


def is_forward_name(name: str) -> bool:
    """forward, feedforward, feedForward, forward_pass, predict, query, propagate, ...
    (not backward/backprop, not test functions)."""
    ws = words(name)
    if not ws or ws[0] == "test" or any(w.startswith("back") for w in ws):
        return False
    return name in _FORWARD_NAMES or any(w in _FORWARD_WORDS for w in ws)


@rule("forward-returns-none")
def forward_returns_none(ctx: Context) -> Iterator[Violation]:
    uses = _used_calls(ctx)
    for fn in ctx.functions():
        if isinstance(fn, ast.AsyncFunctionDef) or _is_stub(fn) or _own(fn, (ast.Yield, ast.YieldFrom)):
            continue  # coroutines and generators return objects, never None
        returns = [r for r in _own(fn, ast.Return) if r.value is not None
                   and not (isinstance(r.value, ast.Constant) and r.value.value is None)]
        by_name = is_forward_name(fn.name)
        used = uses.get(fn, [])
        if not (by_name or used):
            continue
        if returns:
            if not by_name or _terminates(fn.body):
                continue  # optional results (return None on some paths) are ordinary Python
            yield Violation(
                fn,
                title=f"{fn.name}() returns a value on some paths but falls off the end on others "
                      "(returning None there)",
                fix="return the output on every path (add the missing `return` at the end)",
                confidence=0.6 if by_name and not used else 0.7,
                evidence=_use_evidence(used),
            )
            continue
        output, how = _probable_output(ctx, fn)
        if not used and (output is None or how == "attribute"):
            continue  # stores its results on self and nobody reads the return value: by design
        what = f"; it computes `{output}` ({how})" if output else ""
        caller = f": {text(used[0])} at line {used[0].lineno} gets None" if used else ""
        fix = f"add `return {output}` at the end of {fn.name}()" if output else \
            f"return the network output at the end of {fn.name}()"
        yield Violation(
            fn,
            title=f"{fn.name}() has no `return`{caller}{what}",
            fix=fix,
            confidence=0.95 if (used and by_name) else 0.85 if used else 0.7,
            evidence={"suggested_return": output, **_use_evidence(used)},
        )


def _use_evidence(used: list[ast.Call]) -> dict:
    return {"used_at_lines": sorted({c.lineno for c in used})} if used else {}


def _own(fn: ast.AST, kinds) -> list:
    """Nodes of ``kinds`` in ``fn`` itself, not in nested functions, classes or lambdas."""
    out, stack = [], list(ast.iter_child_nodes(fn))
    while stack:
        n = stack.pop()
        if isinstance(n, kinds):
            out.append(n)
        if isinstance(n, (*FUNCTIONS, ast.ClassDef, ast.Lambda)):
            continue
        stack.extend(ast.iter_child_nodes(n))
    return out


def _is_stub(fn: ast.AST) -> bool:
    body = list(fn.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    if not body:
        return True
    return all(isinstance(s, (ast.Pass, ast.Raise)) or
               (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)) for s in body)


def _used_calls(ctx: Context) -> dict[ast.AST, list[ast.Call]]:
    """For each function of the module, the calls to it whose value the caller uses."""
    top = {s.name: s for s in ctx.tree.body if isinstance(s, FUNCTIONS)}
    methods: dict[str, list[ast.AST]] = {}
    for cls in ctx.nodes(kind=ast.ClassDef):
        for s in cls.body:
            if isinstance(s, FUNCTIONS):
                methods.setdefault(s.name, []).append(s)
    out: dict[ast.AST, list[ast.Call]] = {}
    for call in ctx.nodes(kind=ast.Call):
        user = ctx.parent(call)
        while isinstance(user, ast.BoolOp):  # `check(a) and check(b)` as a statement
            user = ctx.parent(user)
        if isinstance(user, (ast.Expr, ast.Return, ast.Lambda, ast.Await)):
            continue  # value thrown away, or passed straight through to the caller's caller
        f = call.func
        target = None
        if isinstance(f, ast.Name) and f.id in top:
            target = top[f.id]
        elif isinstance(f, ast.Attribute):
            defs = methods.get(f.attr, [])
            if isinstance(f.value, ast.Name) and f.value.id == "self":
                cls = ctx.class_of(call)
                own = [d for d in defs if ctx.class_of(d) is cls]
                target = own[0] if len(own) == 1 else None
            elif len(defs) == 1 and is_forward_name(f.attr) and not (
                    isinstance(f.value, ast.Name) and f.value.id in ctx.aliases):
                target = defs[0]  # net.feedforward(x): a method of a class in this file
        if target is not None and not _inside(ctx, call, target):
            out.setdefault(target, []).append(call)
    return out


def _inside(ctx: Context, node: ast.AST, outer: ast.AST) -> bool:
    return any(a is outer for a in ctx.ancestors(node))


def _probable_output(ctx: Context, fn: ast.AST) -> tuple[str | None, str]:
    """The local whose final value nobody reads (the output that was meant to be
    returned), else the last attribute stored on self, else the discarded last expression."""
    last = fn.body[-1]
    if isinstance(last, ast.Expr) and not isinstance(last.value, ast.Constant) and not (
            isinstance(last.value, ast.Call) and _is_side_effect_call(ctx, last.value)):
        return text(last.value), "as its last expression, then discards it"
    binds: dict[str, ast.AST] = {}
    loop_vars: set[str] = set()
    for stmt in _own(fn, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.For)):
        if isinstance(stmt, ast.For):
            loop_vars.update(n.id for n in ast.walk(stmt.target) if isinstance(n, ast.Name))
            continue
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        for t in targets:
            for n in ast.walk(t):
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                    if n.id not in binds or position(stmt) > position(binds[n.id]):
                        binds[n.id] = stmt
    params = {a.arg for a in fn.args.args + fn.args.kwonlyargs + fn.args.posonlyargs}
    dropped = []
    for name, stmt in binds.items():
        if name in loop_vars and name not in params:
            continue
        end = end_position(stmt)
        loads = [n for n in _own(fn, ast.Name) if n.id == name and isinstance(n.ctx, ast.Load)
                 and position(n) >= end]
        if not loads:
            dropped.append((position(stmt), name, stmt))
    if dropped:
        _, name, stmt = max(dropped)
        how = "in a loop" if ctx.loops_around(stmt, stop=fn) else f"at line {stmt.lineno}"
        return name, f"{how}, and never uses the final value"
    attrs = [(position(s), t) for s in _own(fn, (ast.Assign, ast.AugAssign))
             for t in (s.targets if isinstance(s, ast.Assign) else [s.target]) if is_self_attribute(t)]
    if attrs:
        return text(max(attrs, key=lambda p: p[0])[1]), "attribute"
    return None, ""


def _is_side_effect_call(ctx: Context, call: ast.Call) -> bool:
    """print(...), self.x.append(...), plt.plot(...): calls made for what they do."""
    if ctx.numpy_name(call) is not None:
        return False
    return True


def _terminates(stmts: list[ast.stmt]) -> bool:
    return any(_stmt_terminates(s) for s in stmts)


def _stmt_terminates(s: ast.stmt) -> bool:
    if isinstance(s, (ast.Return, ast.Raise)):
        return True
    if isinstance(s, ast.If):
        return _terminates(s.body) and _terminates(s.orelse)
    if isinstance(s, (ast.With, ast.AsyncWith)):
        return _terminates(s.body)
    if isinstance(s, ast.Try) or (hasattr(ast, "TryStar") and isinstance(s, getattr(ast, "TryStar"))):
        if _terminates(s.finalbody):
            return True
        return (_terminates(s.body) or _terminates(s.orelse)) and all(_terminates(h.body) for h in s.handlers)
    if isinstance(s, ast.While):
        forever = isinstance(s.test, ast.Constant) and bool(s.test.value)
        return forever and not _breaks(s.body)
    if isinstance(s, ast.Match):
        irrefutable = any(isinstance(c.pattern, ast.MatchAs) and c.pattern.pattern is None and c.guard is None
                          for c in s.cases)
        return irrefutable and all(_terminates(c.body) for c in s.cases)
    if isinstance(s, ast.Expr) and isinstance(s.value, ast.Call):
        f = s.value.func
        name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
        return name in ("exit", "quit", "_exit") or text(f) == "sys.exit"
    return False


def _breaks(stmts: list[ast.stmt]) -> bool:
    stack = list(stmts)
    while stack:
        n = stack.pop()
        if isinstance(n, ast.Break):
            return True
        if isinstance(n, (ast.For, ast.While, ast.AsyncFor, *FUNCTIONS, ast.ClassDef)):
            continue
        stack.extend(ast.iter_child_nodes(n))
    return False
