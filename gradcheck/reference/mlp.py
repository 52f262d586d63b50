"""The reference network: a correct multilayer perceptron in vectorised float64 numpy.

Rows layout throughout: ``X`` is (n, inputs), layer l has ``W`` (in, out) and
``b`` (out,), ``z = a @ W + b`` and ``a' = f(z)``. The loss is one of the
families of ``gradcheck.losses`` and is *summed* over samples, so the gradients
here are those of that sum.

Naming, for layer l = 0 .. L-1 (layer 0 is the first weight matrix):
``zs[l]`` pre-activations, ``acts[l]`` its input (``acts[0] = X``, ``acts[L]``
the network output), ``deltas[l] = dL/dzs[l]`` and ``errors[l] = dL/dacts[l]``
for the hidden activations (``errors[l] = deltas[l] @ W_l.T``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from gradcheck import losses
from gradcheck.reference import activations as act

Params = list[tuple[np.ndarray, np.ndarray]]
_EPS = losses._EPS  # the same clipping as the loss values
# (output activation, loss) pairs whose output delta simplifies to ``out - target``
CANONICAL = {("softmax", "nll"), ("sigmoid", "binary_cross_entropy")}


def loss_slope(loss: str, out: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """``dL/dout`` for the loss family ``loss`` (summed over samples)."""
    if loss == "mse":
        return out - Y
    if loss == "cross_entropy":  # softmax inside the loss: d/dout of -sum(y log softmax(out))
        return act.softmax(out) * Y.sum(axis=1, keepdims=True) - Y
    if loss == "nll":
        return -Y / np.clip(out, _EPS, None)
    if loss == "binary_cross_entropy":
        p = np.clip(out, _EPS, 1 - _EPS)
        return (p - Y) / (p * (1 - p))
    raise ValueError(f"loss must be one of {', '.join(losses.FAMILIES)}; got {loss!r}.")


@dataclass
class Trace:
    """Every intermediate quantity of one forward and backward pass (see the module docstring)."""

    zs: list[np.ndarray]
    acts: list[np.ndarray]
    dout: np.ndarray
    """dL/d(network output), before the output activation's slope."""
    deltas: list[np.ndarray]
    """dL/dz per layer; ``deltas[-1]`` is the output delta."""
    errors: list[np.ndarray]
    """dL/da sent back through each weight matrix: ``errors[l] = deltas[l] @ W_l.T`` (l >= 1)."""
    grads: Params


@dataclass
class Curves:
    """Training curves: mean loss per sample and accuracy on the training data."""

    steps: list[int]
    loss: list[float]
    accuracy: list[float]


class MLP:
    """A correct MLP: ``MLP([784, 30, 10], hidden="sigmoid", output="sigmoid", loss="mse")``.

    ``hidden`` is one activation for every hidden layer or one per hidden layer.
    ``bias=False`` keeps the biases at zero (a network without biases, e.g. Rashid's);
    a list of booleans says it per layer.
    Weights start as normal(0, 1/sqrt(fan_in)) from ``seed``, biases at zero.
    """

    def __init__(self, sizes: Sequence[int], hidden: str | Sequence[str] = "sigmoid",
                 output: str = "sigmoid", loss: str = "mse", seed: int = 0, bias: bool | Sequence[bool] = True):
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"sizes must list at least two positive layer sizes; got {sizes}.")
        n_hidden = len(sizes) - 2
        self.hidden = [hidden] * n_hidden if isinstance(hidden, str) else list(hidden)
        if len(self.hidden) != n_hidden:
            raise ValueError(f"{n_hidden} hidden layers but {len(self.hidden)} hidden activations.")
        for h in self.hidden:
            act.check(h, act.HIDDEN)
        self.output = act.check(output, act.OUTPUT)
        if loss not in losses.FAMILIES:
            raise ValueError(f"loss must be one of {', '.join(losses.FAMILIES)}; got {loss!r}.")
        self.loss_name = loss
        self.bias = [bool(bias)] * (len(sizes) - 1) if isinstance(bias, (bool, np.bool_)) else list(bias)
        rng = np.random.default_rng(seed)
        self.params: Params = [(rng.normal(0.0, 1.0 / np.sqrt(n), (n, m)), np.zeros(m))
                               for n, m in zip(sizes[:-1], sizes[1:])]

    @classmethod
    def from_params(cls, params: Sequence[tuple], hidden: str | Sequence[str] = "sigmoid",
                    output: str = "sigmoid", loss: str = "mse", bias: bool | Sequence[bool] = True) -> "MLP":
        """A network with the given ``[(W (in, out), b (out,)), ...]`` (copied to float64)."""
        sizes = [np.shape(params[0][0])[0]] + [np.shape(W)[1] for W, _ in params]
        net = cls(sizes, hidden, output, loss, bias=bias)
        net.params = [(np.array(W, dtype=np.float64), np.array(b, dtype=np.float64).reshape(-1))
                      for W, b in params]
        return net

    @property
    def sizes(self) -> list[int]:
        """Layer sizes, input first."""
        return [self.params[0][0].shape[0]] + [W.shape[1] for W, _ in self.params]

    @property
    def activations(self) -> list[str]:
        """The activation of every layer, output last."""
        return self.hidden + [self.output]

    def __repr__(self) -> str:
        return (f"MLP({self.sizes}, hidden={self.hidden}, output={self.output!r}, "
                f"loss={self.loss_name!r}, bias={self.bias})")

    # -- forward ---------------------------------------------------------
    def forward(self, X: np.ndarray, return_all: bool = False):
        """Output (n, k) for rows ``X``; with ``return_all`` also ``(zs, acts)``."""
        a = np.asarray(X, dtype=np.float64)
        zs, acts = [], [a]
        for (W, b), name in zip(self.params, self.activations):
            z = a @ W + b
            a = act.apply(name, z)
            zs.append(z)
            acts.append(a)
        return (a, zs, acts) if return_all else a

    def loss(self, X: np.ndarray, Y: np.ndarray) -> float:
        """The loss summed over samples, exactly as ``gradcheck.losses`` computes it."""
        return losses.FUNCS[self.loss_name](self.forward(X), np.asarray(Y, dtype=np.float64))

    # -- backward --------------------------------------------------------
    def output_delta(self, z: np.ndarray, out: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """``dL/dz`` of the output layer."""
        if (self.output, self.loss_name) in CANONICAL:  # the textbook p - y, numerically stable
            return out * Y.sum(axis=1, keepdims=True) - Y if self.output == "softmax" else out - Y
        return act.vjp(self.output, z, out, loss_slope(self.loss_name, out, Y))

    def backward(self, zs: list[np.ndarray], acts: list[np.ndarray], delta: np.ndarray,
                 slope: Callable[[int, np.ndarray, np.ndarray], np.ndarray] | None = None):
        """Send the output ``delta`` back through the layers: ``(grads, deltas, errors)``.

        ``slope(l, z, a)`` gives the hidden activation's derivative of layer l
        (default: the exact one, at ``z``); the gradient variants replace it.
        """
        slope = slope or (lambda l, z, a: act.slope(self.hidden[l], z))
        L = len(self.params)
        grads: Params = [None] * L  # type: ignore[list-item]
        deltas: list = [None] * L
        errors: list = [None] * L
        deltas[-1] = delta
        for l in reversed(range(L)):
            W, _ = self.params[l]
            grads[l] = (acts[l].T @ delta, delta.sum(axis=0))
            if l > 0:
                errors[l] = delta @ W.T  # dL/d(acts[l])
                delta = errors[l] * slope(l - 1, zs[l - 1], acts[l])
                deltas[l - 1] = delta
        return grads, deltas, errors

    def trace(self, X: np.ndarray, Y: np.ndarray) -> Trace:
        """Forward and exact backward pass, keeping every intermediate quantity."""
        Y = np.asarray(Y, dtype=np.float64)
        out, zs, acts = self.forward(X, return_all=True)
        grads, deltas, errors = self.backward(zs, acts, self.output_delta(zs[-1], out, Y))
        return Trace(zs, acts, loss_slope(self.loss_name, out, Y), deltas, errors, grads)

    def gradients(self, X: np.ndarray, Y: np.ndarray) -> Params:
        """Exact ``[(dW, db), ...]`` of the summed loss, in the shapes of ``params``."""
        return self.trace(X, Y).grads

    def gradient_variants(self, X: np.ndarray, Y: np.ndarray) -> dict[str, Params]:
        """Named wrong-but-plausible gradients (see ``gradcheck.reference.variants``)."""
        from gradcheck.reference import variants

        return variants.all_variants(self, X, Y)

    # -- training --------------------------------------------------------
    def sgd_step(self, X: np.ndarray, Y: np.ndarray, lr: float) -> None:
        """One step ``θ -= lr * dL/dθ`` of the *summed* loss on this batch."""
        for l, (dW, db) in enumerate(self.gradients(X, Y)):
            W, b = self.params[l]
            self.params[l] = (W - lr * dW, b - lr * db if self.bias[l] else b)

    def accuracy(self, X: np.ndarray, labels: np.ndarray) -> float:
        """Fraction of rows whose largest output is the label."""
        return float(np.mean(np.argmax(self.forward(X), axis=1) == np.asarray(labels)))

    def targets(self, labels: np.ndarray) -> np.ndarray:
        """One-hot rows for integer ``labels``; 2-D float targets are returned as float64."""
        labels = np.asarray(labels)
        if labels.ndim == 2:
            return labels.astype(np.float64)
        return np.eye(self.sizes[-1])[labels.astype(int)]

    def train(self, X: np.ndarray, labels: np.ndarray, steps: int, lr: float, batch_size: int = 10,
              rng: np.random.Generator | None = None, mean: bool = True, eval_every: int = 1) -> Curves:
        """Minibatch SGD for ``steps`` steps; curves measured on all of ``X`` every ``eval_every`` steps.

        ``labels`` are integer classes (one-hot encoded) or (n, k) float targets.
        With ``mean`` the step is ``lr`` times the batch's *mean* gradient
        (Nielsen's ``eta/len(batch)``), otherwise ``lr`` times its sum.
        """
        X = np.asarray(X, dtype=np.float64)
        Y = self.targets(labels)
        classes = np.argmax(Y, axis=1)
        rng = rng if rng is not None else np.random.default_rng(0)
        curves = Curves([], [], [])

        def record(step: int) -> None:
            curves.steps.append(step)
            curves.loss.append(losses.FUNCS[self.loss_name](self.forward(X), Y) / len(X))
            curves.accuracy.append(self.accuracy(X, classes))

        record(0)
        order, pos = rng.permutation(len(X)), 0
        for step in range(1, steps + 1):
            if pos + batch_size > len(order):
                order, pos = rng.permutation(len(X)), 0
            idx = order[pos:pos + batch_size]
            pos += batch_size
            self.sgd_step(X[idx], Y[idx], lr / len(idx) if mean else lr)
            if step % eval_every == 0 or step == steps:
                record(step)
        return curves
