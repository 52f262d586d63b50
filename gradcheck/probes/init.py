"""Initialisation probe: how the model's weights start, layer by layer.

For every weight parameter: the fractions of positive, negative and zero
entries, mean, spread, the scale against ``1/sqrt(fan_in)`` and how different
its units are from one another. A *unit* is one neuron of the layer: the
weights coming into it (a column of an (in, out) matrix, a row of an (out, in)
one). The fan-in and the orientation come from the layer chain the
architecture probe found by shapes; when the parameters could not be mapped,
from the dimension that matches the input size, else from the layout (rows
code computes ``x @ W``, column code ``W @ x``). Names are never read.

For every hidden layer it also counts the *distinct* units: two units with the
same incoming weights, the same bias and the same outgoing weights compute
the same thing and receive the same gradient, forever.

Measured on the parameters as the model's factory built them; no user code runs.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

NAME = "init"
REQUIRES = ("architecture",)


@dataclass(frozen=True)
class WeightStats:
    name: str
    layer: int | None
    """1-based layer (1 = the first weight matrix)."""
    shape: tuple[int, ...]
    fan_in: int
    units: int
    """Units of the layer (fan-out)."""
    fan_in_from: str
    """"layers" (the shape chain), "input size" or "layout" (a guess)."""
    n: int
    frac_pos: float
    frac_neg: float
    frac_zero: float
    mean: float
    std: float
    rms: float
    max_abs: float
    scale_ratio: float
    """rms · sqrt(fan_in): 1 for std 1/sqrt(fan_in) (LeCun), ~1.4 for He, 28 for randn with 784 inputs."""
    cv: float
    """std / |mean|: how tightly the entries sit around one value (inf for a zero mean)."""
    distinct_units: int
    """Units whose incoming weights differ from every other unit's."""
    unit_spread: float
    """rms(unit - average unit) / rms(average unit): ~0.2 for normal(-0.1, 0.02), large for zero-mean inits."""
    orientation: str
    """"in_out" (x @ W, units are columns) or "out_in" (W @ x, units are rows)."""
    bias: str | None = None
    bias_mean: float | None = None
    bias_std: float | None = None


@dataclass(frozen=True)
class InitEvidence:
    weights: dict[str, WeightStats]
    """Weight parameters, first layer first."""
    identical_units: dict[int, int] = field(default_factory=dict)
    """Hidden layer -> number of distinct units, for layers where some units are exact copies
    (same incoming weights, bias and outgoing weights)."""
    hidden_units: dict[int, int] = field(default_factory=dict)
    """Hidden layer -> its number of units."""


def unit_matrix(W: np.ndarray, orientation: str) -> np.ndarray:
    """(units, fan_in): one row per unit of the layer."""
    return W.T if orientation == "in_out" else W


def _stats(name: str, W: np.ndarray, fan_in: int, orientation: str, layer: int | None, source: str,
           bias: np.ndarray | None, bias_name: str | None) -> WeightStats:
    W = np.asarray(W, dtype=np.float64)
    U = unit_matrix(W, orientation)
    mean, std = float(W.mean()), float(W.std())
    rms = float(np.sqrt(np.mean(W ** 2)))
    avg = U.mean(axis=0)
    avg_rms = float(np.sqrt(np.mean(avg ** 2)))
    dev_rms = float(np.sqrt(np.mean((U - avg) ** 2)))
    spread = dev_rms / avg_rms if avg_rms > 0 else (float("inf") if dev_rms > 0 else 0.0)
    return WeightStats(
        name=name, layer=layer, shape=tuple(W.shape), fan_in=int(fan_in), units=int(U.shape[0]),
        fan_in_from=source, n=int(W.size), frac_pos=float(np.mean(W > 0)), frac_neg=float(np.mean(W < 0)),
        frac_zero=float(np.mean(W == 0)), mean=mean, std=std, rms=rms, max_abs=float(np.max(np.abs(W))),
        scale_ratio=rms * float(np.sqrt(fan_in)),
        cv=(std / abs(mean)) if mean != 0 else float("inf"),
        distinct_units=int(len(np.unique(U, axis=0))), unit_spread=spread, orientation=orientation,
        bias=bias_name,
        bias_mean=None if bias is None else float(np.mean(bias)),
        bias_std=None if bias is None else float(np.std(bias)),
    )


def _unmapped(params: dict[str, Any], layout: str, n_in: int) -> list[tuple[str, int, str, str]]:
    """(name, fan_in, orientation, source) for 2-D parameters when the layer chain is unknown."""
    out = []
    for k, v in params.items():
        s = np.shape(v)
        if len(s) != 2 or min(s) < 2:
            continue
        if s[0] == n_in and s[1] != n_in:
            out.append((k, s[0], "in_out", "input size"))
        elif s[1] == n_in and s[0] != n_in:
            out.append((k, s[1], "out_in", "input size"))
        elif layout == "rows":
            out.append((k, s[0], "in_out", "layout"))
        else:
            out.append((k, s[1], "out_in", "layout"))
    return out


def run(session, evidence) -> InitEvidence:
    arch = evidence["architecture"]
    params = session.params()
    weights: dict[str, WeightStats] = {}
    if arch.mapped:
        for i, (w, b) in enumerate(zip(arch.weights, arch.biases), 1):
            bias = None if b is None else np.asarray(params[b], dtype=np.float64).reshape(-1)
            weights[w] = _stats(w, np.asarray(params[w]), arch.fan_in[w], arch.orientation[w], i, "layers", bias, b)
    else:
        for k, fan_in, orient, source in _unmapped(params, session.model.layout, arch.n_in):
            weights[k] = _stats(k, np.asarray(params[k]), fan_in, orient, None, source, None, None)
    identical: dict[int, int] = {}
    hidden: dict[int, int] = {}
    if arch.mapped:
        for l in range(1, len(arch.weights)):
            w_in, w_out, b = arch.weights[l - 1], arch.weights[l], arch.biases[l - 1]
            incoming = unit_matrix(np.asarray(params[w_in], dtype=np.float64), arch.orientation[w_in])
            # outgoing weights of the hidden units: one row per unit of layer l
            outgoing = unit_matrix(np.asarray(params[w_out], dtype=np.float64), arch.orientation[w_out]).T
            parts = [incoming, outgoing]
            if b is not None:
                parts.append(np.asarray(params[b], dtype=np.float64).reshape(-1, 1))
            sig = np.hstack(parts)
            hidden[l] = int(sig.shape[0])
            distinct = int(len(np.unique(sig, axis=0)))
            if distinct < sig.shape[0]:
                identical[l] = distinct
    return InitEvidence(weights, identical, hidden)
