"""Activation functions, each with its slope written next to it.

Every function takes the pre-activation ``z`` as (n, units) rows. ``slope(name, z)``
is the elementwise derivative *at z*; ``vjp`` sends an upstream gradient
``g = dL/da`` back through the activation to ``dL/dz`` (softmax is not
elementwise, so it has its own rule).
"""
from __future__ import annotations

import numpy as np

from gradcheck.losses import softmax as _softmax

HIDDEN = ("sigmoid", "tanh", "relu")
OUTPUT = ("identity", "sigmoid", "softmax")


def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-z))."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # = 1/(1+exp(-z)), without overflow warnings


def sigmoid_slope(z: np.ndarray) -> np.ndarray:
    """σ(z)(1 - σ(z)), at z (not at σ(z))."""
    s = sigmoid(z)
    return s * (1.0 - s)


def tanh_slope(z: np.ndarray) -> np.ndarray:
    """1 - tanh(z)², at z."""
    return 1.0 - np.tanh(z) ** 2


def relu(z: np.ndarray) -> np.ndarray:
    """max(z, 0)."""
    return np.maximum(z, 0.0)


def relu_slope(z: np.ndarray) -> np.ndarray:
    """1 where z > 0, else 0 (0 at the kink)."""
    return (z > 0).astype(np.float64)


def identity(z: np.ndarray) -> np.ndarray:
    """z unchanged (linear output)."""
    return z


def identity_slope(z: np.ndarray) -> np.ndarray:
    """Ones."""
    return np.ones_like(z)


def softmax(z: np.ndarray) -> np.ndarray:
    """Softmax over each row (the classes), never over the samples."""
    return _softmax(z, axis=1)


# name -> (function, slope at z); softmax has no elementwise slope
FUNCS = {"sigmoid": sigmoid, "tanh": np.tanh, "relu": relu, "identity": identity, "softmax": softmax}
SLOPES = {"sigmoid": sigmoid_slope, "tanh": tanh_slope, "relu": relu_slope, "identity": identity_slope}


def check(name: str, allowed: tuple[str, ...]) -> str:
    """``name`` if it is one of ``allowed``, else a ValueError that lists them."""
    if name not in allowed:
        raise ValueError(f"activation must be one of {', '.join(allowed)}; got {name!r}.")
    return name


def apply(name: str, z: np.ndarray) -> np.ndarray:
    """The activation ``name`` of the pre-activations ``z`` (n, units)."""
    return FUNCS[name](z)


def slope(name: str, z: np.ndarray) -> np.ndarray:
    """Elementwise derivative of ``name`` at ``z`` (not defined for softmax)."""
    return SLOPES[name](z)


def vjp(name: str, z: np.ndarray, a: np.ndarray, g: np.ndarray) -> np.ndarray:
    """``dL/dz`` from ``g = dL/da`` where ``a = name(z)`` (rows)."""
    if name == "softmax":  # Jacobian diag(a) - a a^T, applied row by row
        return a * (g - np.sum(g * a, axis=1, keepdims=True))
    return g * slope(name, z)
