"""Small hand-written networks for the tests, in each layout, with optional planted bugs.

``mlp(layout=..., bug=...)`` returns a ``gradcheck.Model`` around a two-layer
network written the way people write them: rows ((n, f) @ (f, h)), columns
((h, f) @ (f, n)) or one (f, 1) sample at a time.

The gradient is summed over the batch, so the learning rate is per sample:
0.05 trains every layout and activation (0.5 made the tanh networks diverge,
loss 2.4 -> 55 in 40 steps of 16 rows, and killed the ReLU units).
"""
from __future__ import annotations

import numpy as np

import gradcheck

ACT = {
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda z, a: np.multiply(a, 1 - a)),
    "tanh": (np.tanh, lambda z, a: 1 - np.multiply(a, a)),
    "relu": (lambda z: np.maximum(z, 0), lambda z, a: np.asarray(z > 0, dtype=float)),
}


def softmax(z, axis):
    z = np.asarray(z)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


class Net:
    def __init__(self, sizes=(784, 20, 10), layout="rows", hidden="sigmoid", loss="cross_entropy",
                 seed=0, dtype=np.float64, bug=None, lr=0.05):
        rng = np.random.default_rng(seed)
        n_in, n_h, n_out = sizes
        self.layout, self.loss, self.bug, self.lr = layout, loss, bug, lr
        self.f, self.df = ACT[hidden]
        rows = layout == "rows"
        self.W1 = rng.normal(0, 1 / np.sqrt(n_in), (n_in, n_h) if rows else (n_h, n_in)).astype(dtype)
        self.W2 = rng.normal(0, 1 / np.sqrt(n_h), (n_h, n_out) if rows else (n_out, n_h)).astype(dtype)
        self.b1 = (rng.normal(0, 0.1, n_h) if rows else rng.normal(0, 0.1, (n_h, 1))).astype(dtype)
        self.b2 = (rng.normal(0, 0.1, n_out) if rows else rng.normal(0, 0.1, (n_out, 1))).astype(dtype)

    # the network in "rows" maths; columns/sample transpose in and out
    def _fwd(self, X):
        if self.layout == "rows":
            z1 = X @ self.W1 + self.b1
            a1 = self.f(z1)
            z2 = a1 @ self.W2 + self.b2
        else:
            z1 = self.W1 @ X + self.b1
            a1 = self.f(z1)
            z2 = self.W2 @ a1 + self.b2
        out = z2 if self.loss == "cross_entropy" else 1 / (1 + np.exp(-z2))
        return z1, a1, z2, out

    def forward(self, X):
        return self._fwd(X)[3]

    def backward(self, X, Y):
        z1, a1, z2, out = self._fwd(X)
        ax = 1 if self.layout == "rows" else 0
        if self.loss == "cross_entropy":
            d2 = softmax(z2, ax) - Y
        else:  # mse on a sigmoid output
            d2 = np.multiply(np.multiply(out - Y, out), 1 - out)
        if self.layout == "rows":
            d1 = np.multiply(d2 @ self.W2.T, self.df(z1, a1))
            g = {"W1": X.T @ d1, "b1": d1.sum(0), "W2": a1.T @ d2, "b2": d2.sum(0)}
        else:
            d1 = np.multiply(self.W2.T @ d2, self.df(z1, a1))
            g = {"W1": d1 @ X.T, "b1": np.asarray(d1).sum(1, keepdims=True), "W2": d2 @ a1.T, "b2": np.asarray(d2).sum(1, keepdims=True)}
        if self.bug:
            self.bug(g, self, X, Y)
        return g

    def step(self, X, Y):
        g = self.backward(X, Y)
        for k, v in g.items():
            setattr(self, k, getattr(self, k) - self.lr * v.astype(getattr(self, k).dtype))

    def params(self):
        return {"W1": self.W1, "b1": self.b1, "W2": self.W2, "b2": self.b2}


def mlp(layout="rows", hidden="sigmoid", loss="cross_entropy", bug=None, sizes=(784, 20, 10), dtype=np.float64,
        declared=True, with_backward=True, seed=0, **kw) -> gradcheck.Model:
    net = Net(sizes, layout, hidden, loss, seed, dtype, bug)
    m = gradcheck.Model(params=net.params, forward=net.forward,
                        backward=net.backward if with_backward else None,
                        loss=(loss if loss == "cross_entropy" else "mse") if declared else "auto",
                        step=net.step, layout=layout, learning_rate=net.lr, **kw)
    m.net = net  # for tests that poke at the network
    return m


def finding_causes(report, severity="error"):
    return [(f.cause, f.where.param) for f in report.findings if f.severity == severity]
