"""gradcheck leaves the user's model exactly as it found it."""
import numpy as np
import pytest

import gradcheck
from gradcheck.state import fingerprint
from nets import mlp


def snapshot(m):
    return fingerprint(m.get_params()), {k: id(v) for k, v in m.get_params().items()}


@pytest.mark.parametrize("layout", ["rows", "columns", "sample"])
def test_params_bit_identical_and_same_objects_after_check(layout):
    m = mlp(layout=layout, dtype=np.float32)
    before = snapshot(m)
    gradcheck.check(m)
    assert snapshot(m) == before


def test_restored_after_user_exception_mid_check():
    calls = {"n": 0}
    m = mlp()
    fwd = m.forward

    def flaky_forward(X):
        calls["n"] += 1
        if calls["n"] == 5:  # in the middle of the finite differences
            raise RuntimeError("boom")
        return fwd(X)

    m.forward = flaky_forward
    before = snapshot(m)
    r = gradcheck.check(m)
    assert snapshot(m) == before
    assert any(f.cause == "code-raises" for f in r.findings)


def test_step_that_rebinds_attributes_is_undone():
    m = mlp(with_backward=False)  # gradient read from step, which rebinds net.W1 etc.
    before = snapshot(m)
    gradcheck.check(m)
    assert snapshot(m) == before


def test_list_held_weights_restored():
    class ListNet:
        def __init__(self):
            rng = np.random.default_rng(0)
            self.weights = [rng.normal(0, 0.05, (784, 10))]

        def forward(self, X):
            return X @ self.weights[0]

        def step(self, X, Y):
            self.weights = [self.weights[0] - 0.1 * X.T @ (self.forward(X) - Y)]

    net = ListNet()
    m = gradcheck.Model(params=lambda: {"W": net.weights[0]}, forward=net.forward, step=net.step, loss="mse")
    original_list = net.weights
    before = snapshot(m)
    gradcheck.check(m)
    assert net.weights is original_list
    assert snapshot(m) == before
