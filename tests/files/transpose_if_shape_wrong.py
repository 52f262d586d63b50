"""A rows network whose backward "fixes" a wrong gradient shape by transposing it.

dW is computed as delta.T @ a (the transpose) and transposed back only when its
shape differs from W's. At the default sizes 784-20-10 every weight is
non-square, so the gradient is right; on a square weight it is transposed.
Expected: gradient-transposed, found by shape exploration.
"""
import numpy as np

import gradcheck


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


class Net:
    def __init__(self, sizes):
        rng = np.random.default_rng(0)
        self.Ws = [rng.normal(0, m ** -0.5, (m, n)) for m, n in zip(sizes[:-1], sizes[1:])]
        self.bs = [np.zeros(n) for n in sizes[1:]]

    def forward(self, X):
        self.acts = [X]
        for i, (W, b) in enumerate(zip(self.Ws, self.bs)):
            z = self.acts[-1] @ W + b
            self.acts.append(sigmoid(z) if i < len(self.Ws) - 1 else z)
        return self.acts[-1]

    def backward(self, X, Y):
        s = self.forward(X)
        p = np.exp(s - s.max(axis=1, keepdims=True))
        delta = p / p.sum(axis=1, keepdims=True) - Y
        grads = {}
        for l in range(len(self.Ws) - 1, -1, -1):
            g = delta.T @ self.acts[l]
            grads[f"W{l + 1}"] = g if g.shape == self.Ws[l].shape else g.T
            grads[f"b{l + 1}"] = delta.sum(axis=0)
            if l > 0:
                a = self.acts[l]
                delta = (delta @ self.Ws[l].T) * a * (1 - a)
        return grads


@gradcheck.register
def model(sizes=(784, 20, 10)):
    net = Net(sizes)

    def params():
        d = {}
        for i, (W, b) in enumerate(zip(net.Ws, net.bs), 1):
            d[f"W{i}"], d[f"b{i}"] = W, b
        return d

    return gradcheck.Model(params=params, forward=net.forward, backward=net.backward, loss="cross_entropy",
                           layout="rows")
