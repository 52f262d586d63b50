"""What a variable is, judged from its name: weight, bias, gradient, update buffer.

Hand-written networks name things in a few recurring ways (``W1``, ``wih``,
``self.weights``, ``dW1``, ``nabla_b``, ``v_w``, ``params["W2"]``). Rules use
these guesses only together with a code pattern, never on their own.
"""
from __future__ import annotations

import ast
import re

WEIGHT, BIAS, PARAM = "weight", "bias", "param"
GRAD, VELOCITY, MOMENT = "grad", "velocity", "moment"
PARAM_KINDS = (WEIGHT, BIAS, PARAM)
BUFFER_KINDS = (VELOCITY, MOMENT)

# A parameter-ish core: w, W1, wih, b_h, theta, weights, biases, params.
_CORE = r"(w|b|theta|weights?|bias(es)?|params?)"
_SUFFIX = r"_?(ih|ho|hh|xh|hy|ij|jk|in|out|inp|input|output|hid|hidden|[ihoxyz]{1,2})?_?\d*s?"

# Words that make a name something other than the parameter itself.
_NOT_PARAM = ("decay", "init", "scale", "std", "shape", "size", "file", "path", "name",
              "count", "num", "dim", "norm", "avg", "ema", "mean", "running", "shadow",
              "target", "best", "saved", "old", "prev", "last", "hist", "history", "list_of",
              "sum", "max", "min", "reg", "lambda", "lmda", "penalty", "loss", "cost")


def identifier(expr: ast.AST | None) -> str | None:
    """The identifier a target or reference is known by.

    ``W1`` -> ``W1``; ``self.weights`` -> ``weights``; ``self.weights[i]`` -> ``weights``;
    ``params["W2"]`` -> ``W2``.
    """
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        return expr.attr
    if isinstance(expr, ast.Subscript):
        key = expr.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str) and key.value.isidentifier():
            return key.value
        return identifier(expr.value)
    if isinstance(expr, ast.Starred):
        return identifier(expr.value)
    return None


def kind_of_name(name: str | None) -> str | None:
    """weight, bias, param, grad, velocity, moment, or None."""
    if not name:
        return None
    n = name.lower().strip("_")
    if not n:
        return None
    # Gradients: dW1, db, dE_dW, nabla_w, delta_nabla_b, grad_w, weights_grad, deltas.
    if ("grad" in n or "nabla" in n or n.startswith("delta")
            or re.search(r"(^|_)d[wb](\d|_|s|$)", n)
            or re.fullmatch(r"d_?" + _CORE + _SUFFIX, n)
            or re.fullmatch(r"g(_?" + _CORE + r")?" + _SUFFIX, n)
            or re.fullmatch(r"(de|dl|dc|dj|dloss|dcost)_?d" + _CORE + _SUFFIX, n)):
        return GRAD
    # Update buffers: velocities (v, v_w, vW1, velocity, momentum_w) and moments (m, s, cache).
    if ("velocit" in n or "momentum" in n
            or re.search(r"(^|_)(update|updates|upd|change|changes|step|steps)(_|$)", n)
            or re.fullmatch(r"v(_?d)?(_?" + _CORE + r")?" + _SUFFIX, n)
            or re.fullmatch(r"(update|upd|change|step)s?_?(" + _CORE + r")?" + _SUFFIX, n)):
        return VELOCITY
    if ("cache" in n or "moment" in n
            or re.fullmatch(r"(m|s|r|mt|vt|ms|sq|m_hat|v_hat)(_?d)?(_?" + _CORE + r")?" + _SUFFIX, n)):
        return MOMENT
    if any(word in n for word in _NOT_PARAM):
        return None
    if "bias" in n or re.fullmatch(r"b" + _SUFFIX, n) or re.fullmatch(r"w_?\d*_?b", n):
        return BIAS
    if ("weight" in n or n.startswith("theta") or "kernel" in n
            or re.fullmatch(r"w" + _SUFFIX, n) or re.fullmatch(r"syn\d*", n) or n in ("wts",)):
        return WEIGHT
    if re.fullmatch(r"([a-z]+_)?(params?|parameters)", n):
        return PARAM
    return None


def kind(expr: ast.AST | None) -> str | None:
    """``kind_of_name`` of an expression's identifier."""
    return kind_of_name(identifier(expr))


_LR = re.compile(r"(lr|eta|alpha|learning_?rate|l_?rate|step_?size|learnrate|epsilon_?lr)(_\w+)?\d*")
_MOMENTUM = re.compile(r"(momentum\w*|mu|beta\d?|gamma|rho|mom|friction|m)")


def is_learning_rate(name: str | None) -> bool:
    return bool(name) and bool(_LR.fullmatch(name.lower().strip("_")))


def is_momentum_coefficient(name: str | None) -> bool:
    return bool(name) and bool(_MOMENTUM.fullmatch(name.lower().strip("_")))
