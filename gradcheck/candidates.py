"""Candidate gradients: the exact one and named wrong ones, in the user's names and shapes.

The reference network (``gradcheck.reference``), fed the user's weights,
computes the exact gradient of the loss and, with the same maths, the
gradient a backward with one typical mistake would return. A candidate says
which cause it stands for and at which stage of backprop the mistake enters.
``fit`` compares a user's gradient with a candidate array: the best scale and
the relative residual. Nothing here calls user code.

Stages, counted as layers 1..L (layer L is the output layer):
``("output", L)`` the output delta; ``("propagate", l)`` the delta sent back
from layer l+1 to layer l.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from gradcheck.reference import activations as act
from gradcheck.reference import mapping as refmap
from gradcheck.reference.mlp import CANONICAL, MLP, loss_slope
from gradcheck.reference.variants import VARIANTS

# Elementwise slopes a hand-written backward multiplies by: the right one for each
# activation, the same formula on the wrong argument, and none at all.
# name -> (how it reads in code, slope(z, a))
SLOPES: dict[str, tuple[str, Callable[[np.ndarray, np.ndarray], np.ndarray]]] = {
    "sigmoid'(z)": ("sigmoid(z) * (1 - sigmoid(z))", lambda z, a: act.sigmoid_slope(z)),
    "tanh'(z)": ("1 - tanh(z)**2", lambda z, a: act.tanh_slope(z)),
    "relu'(z)": ("(z > 0)", lambda z, a: act.relu_slope(z)),
    "a*(1-a)": ("a * (1 - a) on the activation a", lambda z, a: a * (1.0 - a)),
    "1-a**2": ("1 - a**2 on the activation a", lambda z, a: 1.0 - a * a),
    "sigmoid'(a)": ("sigmoid(a) * (1 - sigmoid(a)): the slope evaluated at the activation a instead of z",
                    lambda z, a: act.sigmoid_slope(a)),
    "tanh'(a)": ("1 - tanh(a)**2: the slope evaluated at the activation a instead of z",
                 lambda z, a: act.tanh_slope(a)),
    "z*(1-z)": ("z * (1 - z): the activation-form formula applied to z", lambda z, a: z * (1.0 - z)),
    "1-z**2": ("1 - z**2: the activation-form formula applied to z", lambda z, a: 1.0 - z * z),
    "a": ("the activation itself, f(z), instead of its slope f'(z)", lambda z, a: a),
    "none": ("no slope at all", lambda z, a: np.ones_like(z)),
}
EXACT_SLOPE = {"sigmoid": "sigmoid'(z)", "tanh": "tanh'(z)", "relu": "relu'(z)", "identity": "none"}


@dataclass(frozen=True)
class Candidate:
    """A whole gradient as a backward with one mistake would return it."""

    name: str
    cause: str
    stage: tuple[str, int]
    """("output", L) or ("propagate", l): where the mistake enters (see the module docstring)."""
    grads: dict[str, np.ndarray]
    """User names and shapes."""
    description: str
    """The mistake, in words."""
    exact_form: str
    """What the code should compute instead."""


def fit(g: np.ndarray, v: np.ndarray) -> tuple[float, float]:
    """(s, rho): the scale s minimising |g - s v| and the residual |g - s v| / |g|.

    Both zero: (1, 0). ``v`` zero and ``g`` not: (0, 1).
    """
    g = np.asarray(g, dtype=np.float64).reshape(-1)
    v = np.asarray(v, dtype=np.float64).reshape(-1)
    gg, vv = float(g @ g), float(v @ v)
    if vv == 0.0:
        return (1.0, 0.0) if gg == 0.0 else (0.0, 1.0)
    s = float(g @ v) / vv
    if gg == 0.0:
        return 0.0, 0.0
    return s, float(np.linalg.norm(g - s * v)) / np.sqrt(gg)


def differs(v: np.ndarray, e: np.ndarray, rtol: float = 1e-3) -> bool:
    """True when candidate array ``v`` is not the exact array ``e`` (relative to |e|)."""
    v, e = np.asarray(v, dtype=np.float64), np.asarray(e, dtype=np.float64)
    return float(np.linalg.norm(v - e)) > rtol * max(float(np.linalg.norm(e)), 1e-300)


class Reference:
    """The reference network on the user's weights and batch: exact gradient and candidates."""

    def __init__(self, net: MLP, mapping: refmap.ParamMap, X: np.ndarray, Y: np.ndarray):
        self.net, self.mapping = net, mapping
        self.X = np.asarray(X, dtype=np.float64)
        self.Y = np.asarray(Y, dtype=np.float64)
        self.trace = net.trace(self.X, self.Y)
        self.exact = self.user(self.trace.grads)
        self.L = len(net.params)
        self.description = ""

    def user(self, grads) -> dict[str, np.ndarray]:
        return refmap.from_reference_grads(self.mapping, grads)

    # -- whole-gradient candidates ----------------------------------------------
    def _with_output_delta(self, delta: np.ndarray) -> dict[str, np.ndarray]:
        t = self.trace
        grads, _, _ = self.net.backward(t.zs, t.acts, delta)
        return self.user(grads)

    def _with_hidden_slope(self, layer: int, slope) -> dict[str, np.ndarray]:
        t, net = self.trace, self.net

        def s(l, z, a):
            return slope(z, a) if l == layer else act.slope(net.hidden[l], z)

        grads, _, _ = net.backward(t.zs, t.acts, t.deltas[-1], slope=s)
        return self.user(grads)

    def candidates(self) -> list[Candidate]:
        """Every named wrong gradient that differs from the exact one, most specific first."""
        net, t, L = self.net, self.trace, self.L
        out: list[Candidate] = []
        z_out, a_out = t.zs[-1], t.acts[-1]
        # 1. raw scores where probabilities belong: z - t (seed 003)
        out.append(Candidate(
            "logits", "logits-not-probabilities", ("output", L),
            self.user(VARIANTS["logits-not-probabilities"](net, self.X, self.Y)),
            "the output delta is computed from the raw scores z (z - t)",
            f"{'softmax' if net.output in ('softmax', 'identity') else net.output}(z) - t"))
        # 2. Rashid's simplification: the error, not the delta, sent back
        out.append(Candidate(
            "no-output-slope", "approximate-gradient", ("propagate", L - 1),
            self.user(VARIANTS["no-output-activation-slope"](net, self.X, self.Y)),
            "the output error is sent back through the weights without the output activation's slope "
            "(hidden_error = W.T @ output_error)",
            "send back the output delta: hidden_error = W.T @ (output_error * f'(z_out))"))
        # 3. the output layer's slope
        if net.output != "softmax":
            dout = loss_slope(net.loss_name, a_out, self.Y)
            right = EXACT_SLOPE[net.output]
            for name, (code, fn) in SLOPES.items():
                if name == right:
                    continue
                out.append(Candidate(
                    f"output-slope:{name}", "wrong-activation-derivative", ("output", L),
                    self._with_output_delta(dout * fn(z_out, a_out)),
                    f"the output delta multiplies by {code}; the {net.output} output's slope is "
                    f"{SLOPES[right][0]}",
                    f"delta = dL/da * {SLOPES[right][0]}" if right != "none" else "delta = dL/da (no slope)"))
        cancels = net.output == "softmax" or (net.output, net.loss_name) in CANONICAL or \
            net.loss_name == "cross_entropy"
        if cancels:
            # the slope the cross-entropy cancels, applied again to p - t
            exact_delta = net.output_delta(z_out, a_out, self.Y)
            for name in ("a*(1-a)", "sigmoid'(z)", "sigmoid'(a)"):
                code, fn = SLOPES[name]
                out.append(Candidate(
                    f"output-slope-again:{name}", "wrong-activation-derivative", ("output", L),
                    self._with_output_delta(exact_delta * fn(z_out, a_out)),
                    f"the output delta p - t is multiplied by {code}, a slope the cross-entropy already "
                    f"cancels", "delta = p - t (no slope) for a softmax or sigmoid output with cross-entropy"))
        # 4. every slope at the activation (reference variants)
        for key in ("derivative-at-activation", "derivative-at-activation-hidden"):
            stage = ("output", L) if key == "derivative-at-activation" else ("propagate", L - 1)
            out.append(Candidate(
                key, "wrong-activation-derivative", stage, self.user(VARIANTS[key](net, self.X, self.Y)),
                "the activation's slope is evaluated at the activation a = f(z) instead of at z: f'(f(z))",
                "f'(z), or the same formula written on a: for sigmoid a*(1-a), for tanh 1-a**2"))
        # 5. one hidden layer's slope
        for l, h in enumerate(net.hidden):
            right = EXACT_SLOPE[h]
            for name, (code, fn) in SLOPES.items():
                if name == right:
                    continue
                out.append(Candidate(
                    f"hidden-slope[{l + 1}]:{name}", "wrong-activation-derivative", ("propagate", l + 1),
                    self._with_hidden_slope(l, fn),
                    f"layer {l + 1}'s delta multiplies by {code}; its {h} activation's slope is "
                    f"{SLOPES[right][0]}", f"delta{l + 1} = (delta{l + 2} @ W{l + 2}.T) * {SLOPES[right][0]}"))
        return [c for c in out if any(differs(c.grads[k], self.exact[k]) for k in self.exact)]

    # -- per-parameter arrays -----------------------------------------------------
    def layer_of(self, name: str) -> int | None:
        """0-based reference layer of a user parameter."""
        for i, l in enumerate(self.mapping.layers):
            if name in (l.weight, l.bias):
                return i
        return None

    def bias_wrong_axis(self, name: str) -> np.ndarray | None:
        """The layer's delta summed over the units instead of the samples (when that fits the bias)."""
        i = self.layer_of(name)
        if i is None or self.mapping.layers[i].bias != name:
            return None
        d = self.trace.deltas[i]
        size = int(np.prod(self.mapping.layers[i].bias_shape))
        if d.shape[0] != size:
            return None
        return d.sum(axis=1).reshape(self.mapping.layers[i].bias_shape)
