"""The loss families a user's backward may differentiate, on (n, k) outputs.

Each returns the *sum* over samples: a mean, a 0.5 or a learning rate folded
into the user's backward shows up as a global scale, which gradcheck reports as
information, not as a bug.
"""
from __future__ import annotations

import numpy as np

FAMILIES = ("mse", "cross_entropy", "nll", "binary_cross_entropy")
_EPS = 1e-12


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def mse(out: np.ndarray, y: np.ndarray) -> float:
    return 0.5 * float(np.sum((out - y) ** 2))


def cross_entropy(out: np.ndarray, y: np.ndarray) -> float:
    z = out - np.max(out, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -float(np.sum(y * logp))


def nll(out: np.ndarray, y: np.ndarray) -> float:
    return -float(np.sum(y * np.log(np.clip(out, _EPS, None))))


def binary_cross_entropy(out: np.ndarray, y: np.ndarray) -> float:
    p = np.clip(out, _EPS, 1 - _EPS)
    return -float(np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)))


FUNCS = {"mse": mse, "cross_entropy": cross_entropy, "nll": nll, "binary_cross_entropy": binary_cross_entropy}


def applicable(out: np.ndarray, y: np.ndarray) -> list[str]:
    """Families whose domain the output fits (nll/bce need outputs in (0, 1))."""
    fams = ["mse", "cross_entropy"]
    if np.all(out > 0) and np.all(out < 1):
        fams += ["nll", "binary_cross_entropy"]
    return fams
