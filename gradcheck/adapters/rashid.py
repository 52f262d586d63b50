"""Rashid's ``neuralNetwork`` (Make Your Own Neural Network): a class built from
(input, hidden, output[, learning rate]) node counts, with ``train(inputs,
targets)`` and ``query(inputs)`` (or ``forward``), weights ``wih`` (hidden, in)
and ``who`` (out, hidden), no biases, one flat sample at a time.

The weight arrays are recognised by their shapes (hidden x input and
output x hidden), not their names. There is no backward: the gradient is
read from ``train``'s update (``-(θ_after - θ_before)`` is the gradient times
the learning rate).
"""
from __future__ import annotations

import numpy as np

from gradcheck.model import Model

KIND = "rashid"
SIZES = (784, 100, 10)
LR = 0.3


def matches(cls) -> bool:
    from gradcheck.adapters import positional_params

    fwd = getattr(cls, "query", None) or getattr(cls, "forward", None)
    return (callable(getattr(cls, "train", None)) and callable(fwd)
            and not callable(getattr(cls, "backprop", None))
            and 3 <= len(positional_params(cls)) <= 4)


def _weights(net, n_in, n_hidden, n_out):
    arrays = {k: v for k, v in vars(net).items() if isinstance(v, np.ndarray) and v.ndim == 2}
    first = [k for k, v in arrays.items() if v.shape in ((n_hidden, n_in), (n_in, n_hidden))]
    second = [k for k, v in arrays.items() if v.shape in ((n_out, n_hidden), (n_hidden, n_out))]
    second = [k for k in second if not first or k != first[0]] or second
    if not first or not second:
        raise TypeError(f"{type(net).__name__}: no weight arrays of shapes ({n_hidden}, {n_in}) and "
                        f"({n_out}, {n_hidden}) after construction")
    return first[0], second[0]


def factory(cls, sizes=None):
    from gradcheck.adapters import positional_params

    n_in, n_hidden, n_out = sizes or SIZES

    def build() -> Model:
        args = [n_in, n_hidden, n_out] + ([LR] if len(positional_params(cls)) == 4 else [])
        net = cls(*args)
        if len(args) == 3:
            for attr in ("lr", "learning_rate", "learningrate", "eta"):
                if hasattr(net, attr):
                    setattr(net, attr, LR)
        k1, k2 = _weights(net, n_in, n_hidden, n_out)
        fwd = getattr(net, "query", None) or getattr(net, "forward")

        def forward(x):
            return fwd(np.asarray(x).ravel())

        def step(x, y):
            net.train(np.asarray(x).ravel(), np.asarray(y).ravel())

        return Model(params=lambda: {k1: getattr(net, k1), k2: getattr(net, k2)}, forward=forward,
                     step=step, loss="mse", layout="sample", learning_rate=LR, kind=KIND, factory=build,
                     resize=lambda s: factory(cls, s)(), sizes=(n_in, n_hidden, n_out),
                     origins={"forward": fwd, "step": net.train})

    return build
