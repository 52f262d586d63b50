"""Models whose forward misbehaves in the ways users' code does."""
import time

import numpy as np

import gradcheck

rng = np.random.default_rng(0)
W = rng.normal(0, 0.05, (784, 10))


def make(forward):
    return gradcheck.Model(params={"W": W}, forward=forward,
                           backward=lambda X, Y: {"W": X.T @ (X @ W - Y)}, loss="mse")


@gradcheck.register
def raises():
    def forward(X):
        return np.dot(X.T, W)  # shapes not aligned
    return make(forward)


@gradcheck.register
def returns_nan():
    return make(lambda X: X @ W * np.nan)


@gradcheck.register
def wrong_shape():
    return make(lambda X: (X @ W)[:3])


@gradcheck.register
def hangs():
    def forward(X):
        while True:
            time.sleep(0.01)
    return make(forward)


@gradcheck.register
def backward_returns_string():
    m = make(lambda X: X @ W)
    m.backward = lambda X, Y: "dW"
    return m
