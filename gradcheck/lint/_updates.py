"""Recognising parameter updates: ``W = W - lr * dW`` and its spellings.

Shared by the update rules (``dead-updates``, ``rescaled-weights``,
``update-aliasing``).
"""
from __future__ import annotations

import ast

from gradcheck.lint._context import (Context, assigned_targets, end_position, is_reference,
                                     position, sum_terms)
from gradcheck.lint._names import GRAD, PARAM_KINDS, identifier, is_learning_rate, kind, kind_of_name


def mentions_gradient_or_rate(expr: ast.AST) -> bool:
    """The expression names a gradient (``dW``, ``nabla_w``) or a learning rate (``lr``, ``eta``)."""
    for n in ast.walk(expr):
        name = n.id if isinstance(n, ast.Name) else n.attr if isinstance(n, ast.Attribute) else None
        if name and (kind_of_name(name) == GRAD or is_learning_rate(name)):
            return True
        if isinstance(n, ast.Subscript):
            key = identifier(n)
            if key and kind_of_name(key) == GRAD:
                return True
    return False


def update_parts(ctx: Context, value: ast.AST) -> tuple[ast.AST, ast.AST] | None:
    """``(P, step)`` when ``value`` reads as ``P - step`` with ``step`` naming a gradient or rate.

    ``P`` is a bare reference with coefficient +1; also ``np.subtract(P, step)``.
    """
    if isinstance(value, ast.Call) and ctx.numpy_name(value) == "subtract" and len(value.args) >= 2 \
            and not any(kw.arg == "out" for kw in value.keywords):
        p, step = value.args[0], value.args[1]
        if is_reference(p) and mentions_gradient_or_rate(step):
            return p, step
        return None
    if not (isinstance(value, ast.BinOp) and isinstance(value.op, (ast.Sub, ast.Add))):
        return None
    terms = sum_terms(value)
    bare = [t for s, t in terms if s > 0 and is_reference(t)]
    steps = [t for s, t in terms if s < 0 and mentions_gradient_or_rate(t)]
    if len(bare) == 1 and steps:
        return bare[0], steps[0]
    return None


def loop_targets(loop: ast.AST) -> set[str]:
    if isinstance(loop, (ast.For, ast.AsyncFor)):
        return {t.id for t in assigned_targets(loop) if isinstance(t, ast.Name)}
    return set()


def value_used_later(ctx: Context, func: ast.AST, stmt: ast.AST, name: str) -> bool:
    """Is the value ``stmt`` binds to local ``name`` ever read (later, or in a later iteration)?"""
    loops = ctx.loops_around(stmt, stop=func)
    end = end_position(stmt)
    for n in ast.walk(func):
        if not (isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)):
            continue
        if any(a is stmt for a in ctx.ancestors(n)):
            continue
        if position(n) >= end:
            return True
        for loop in loops:
            if any(a is loop for a in ctx.ancestors(n)):
                if isinstance(loop, ast.While) or name not in loop_targets(loop):
                    return True
    return False


def declared_outside(func: ast.AST, name: str) -> bool:
    """``global name`` / ``nonlocal name`` in the function."""
    return any(isinstance(n, (ast.Global, ast.Nonlocal)) and name in n.names for n in ast.walk(func))


def iterates_parameters(ctx: Context, func: ast.AST, stmt: ast.AST, name: str) -> bool:
    """``name`` is the target of an enclosing ``for`` over parameters (``zip(self.weights, ...)``)."""
    for loop in ctx.loops_around(stmt, stop=func):
        if name in loop_targets(loop) and isinstance(loop, (ast.For, ast.AsyncFor)):
            if any(kind(n) in PARAM_KINDS for n in ast.walk(loop.iter)
                   if isinstance(n, (ast.Name, ast.Attribute, ast.Subscript))):
                return True
    return False