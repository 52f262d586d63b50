"""The reference MLP: exact gradients (vs central differences), the gradient variants, training."""
import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

from gradcheck import losses
from gradcheck.reference import MLP
from gradcheck.reference.activations import HIDDEN, sigmoid
from gradcheck.reference.variants import VARIANTS

# every output activation with every loss whose domain it fits
COMBOS = [("identity", "mse"), ("identity", "cross_entropy")] + [
    (out, loss) for out in ("sigmoid", "softmax") for loss in losses.FAMILIES]


def numeric_gradients(net, X, Y, eps=1e-6):
    """Central differences of the summed loss, one coordinate at a time."""
    grads = []
    for W, b in net.params:
        pair = []
        for p in (W, b):
            g = np.zeros_like(p)
            for i in np.ndindex(p.shape):
                old = p[i]
                p[i] = old + eps
                up = net.loss(X, Y)
                p[i] = old - eps
                down = net.loss(X, Y)
                p[i] = old
                g[i] = (up - down) / (2 * eps)
            pair.append(g)
        grads.append(tuple(pair))
    return grads


def assert_grads_close(analytic, numeric, scale=1.0):
    for l, ((dW, db), (nW, nb)) in enumerate(zip(analytic, numeric)):
        # forward pass gave the loss; backward pass went well if these agree
        np.testing.assert_allclose(dW, nW, rtol=1e-5, atol=1e-7 * scale, err_msg=f"dW of layer {l}")
        np.testing.assert_allclose(db, nb, rtol=1e-5, atol=1e-7 * scale, err_msg=f"db of layer {l}")


def batch(net, n, seed, onehot=False):
    """Random rows and targets; also gives ``net`` random nonzero biases (if it has biases)."""
    rng = np.random.default_rng(seed)
    if any(net.bias):
        net.params = [(W, rng.normal(0, 0.5, b.shape)) for W, b in net.params]
    X = rng.normal(size=(n, net.sizes[0]))
    k = net.sizes[-1]
    Y = np.eye(k)[rng.integers(0, k, n)] if onehot else rng.uniform(0.05, 0.95, size=(n, k))
    return X, Y


def flat(grads):
    return np.concatenate([np.concatenate([dW.ravel(), db.ravel()]) for dW, db in grads])


def same(a, b):
    return all(np.allclose(x, y, rtol=1e-10, atol=1e-12) for p, q in zip(a, b) for x, y in zip(p, q))


# -- exact gradients ---------------------------------------------------------

@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("output,loss", COMBOS)
def test_gradients_match_central_differences(hidden, output, loss):
    net = MLP([4, 5, 3, 3], hidden=hidden, output=output, loss=loss, seed=1)
    X, Y = batch(net, 6, seed=2)
    assert_grads_close(net.gradients(X, Y), numeric_gradients(net, X, Y), abs(net.loss(X, Y)))


@settings(max_examples=50, deadline=None, derandomize=True)
@given(sizes=st.lists(st.integers(1, 5), min_size=2, max_size=4),
       n=st.integers(1, 5),
       hidden=st.sampled_from(HIDDEN),
       combo=st.sampled_from(COMBOS),
       onehot=st.booleans(),
       seed=st.integers(0, 2**16))
def test_gradients_match_central_differences_any_sizes(sizes, n, hidden, combo, onehot, seed):
    output, loss = combo
    net = MLP(sizes, hidden=hidden, output=output, loss=loss, seed=seed)
    X, Y = batch(net, n, seed + 1, onehot)
    assume(min(np.abs(z).min() for z in net.forward(X, return_all=True)[1]) > 1e-4)  # away from relu's kink
    assert_grads_close(net.gradients(X, Y), numeric_gradients(net, X, Y), max(1.0, abs(net.loss(X, Y))))


def test_loss_is_the_family_sum_and_forward_has_the_right_shapes():
    net = MLP([3, 4, 2], hidden="tanh", output="softmax", loss="nll")
    X, Y = batch(net, 7, seed=0, onehot=True)
    out, zs, acts = net.forward(X, return_all=True)
    assert out.shape == (7, 2) and [z.shape for z in zs] == [(7, 4), (7, 2)]
    assert np.allclose(out.sum(axis=1), 1.0)
    assert acts[0] is not None and np.array_equal(acts[0], X) and acts[-1] is out
    assert net.loss(X, Y) == pytest.approx(losses.nll(out, Y))
    assert net.loss(X, Y) == pytest.approx(sum(losses.nll(out[i:i + 1], Y[i:i + 1]) for i in range(7)))


def test_trace_exposes_the_deltas_and_the_propagated_errors():
    net = MLP([3, 4, 4, 2], hidden=["relu", "tanh"], output="sigmoid", loss="mse", seed=3)
    X, Y = batch(net, 5, seed=4)
    t = net.trace(X, Y)
    out = t.acts[-1]
    assert np.allclose(t.dout, out - Y)
    assert np.allclose(t.deltas[-1], (out - Y) * out * (1 - out))
    for l in (1, 2):
        W, _ = net.params[l]
        assert np.allclose(t.errors[l], t.deltas[l] @ W.T)
    assert np.allclose(t.deltas[1], t.errors[2] * (1 - np.tanh(t.zs[1]) ** 2))
    assert np.allclose(t.deltas[0], t.errors[1] * (t.zs[0] > 0))
    assert same(t.grads, net.gradients(X, Y))


def test_from_params_copies_to_float64_and_accepts_column_biases():
    W1, b1 = np.ones((3, 2), np.float32), np.zeros((2, 1), np.float32)
    W2, b2 = np.ones((2, 1), np.float32), np.zeros((1, 1), np.float32)
    net = MLP.from_params([(W1, b1), (W2, b2)], hidden="relu", output="identity", loss="mse")
    assert net.sizes == [3, 2, 1]
    assert all(W.dtype == np.float64 and b.shape == (W.shape[1],) for W, b in net.params)
    net.params[0][0][0, 0] = 5.0
    assert W1[0, 0] == 1.0
    assert net.forward(np.ones((1, 3)))[0, 0] == pytest.approx((5 + 1 + 1) + (1 + 1 + 1))


def test_bad_configuration_is_refused():
    with pytest.raises(ValueError, match="activation"):
        MLP([2, 2, 2], hidden="softmax")
    with pytest.raises(ValueError, match="loss"):
        MLP([2, 2], loss="hinge")
    with pytest.raises(ValueError, match="hidden"):
        MLP([2, 2, 2, 2], hidden=["relu"])


# -- training ----------------------------------------------------------------

def blobs(n=300, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    centres = np.array([[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]])
    return centres[labels] + 0.4 * rng.normal(size=(n, 2)), labels


@pytest.mark.parametrize("hidden,output,loss,lr", [
    ("sigmoid", "sigmoid", "mse", 3.0), ("relu", "identity", "cross_entropy", 0.3),
    ("tanh", "softmax", "nll", 0.3)])
def test_training_learns_separable_blobs(hidden, output, loss, lr):
    X, labels = blobs()
    net = MLP([2, 8, 3], hidden=hidden, output=output, loss=loss, seed=0)
    curves = net.train(X, labels, steps=300, lr=lr, batch_size=10, rng=np.random.default_rng(0), eval_every=50)
    assert curves.steps == [0, 50, 100, 150, 200, 250, 300]
    assert curves.loss[-1] < 0.5 * curves.loss[0]
    assert curves.accuracy[-1] > 0.95


def test_sgd_step_descends_and_no_bias_network_keeps_zero_biases():
    X, labels = blobs(50)
    net = MLP([2, 5, 3], loss="mse", bias=False)
    Y = net.targets(labels)
    before = net.loss(X, Y)
    net.sgd_step(X, Y, lr=0.01)
    assert net.loss(X, Y) < before
    assert all(not b.any() for _, b in net.params)
    mixed = MLP([2, 5, 3], loss="mse", bias=[False, True])
    mixed.sgd_step(X, Y, lr=0.01)
    assert not mixed.params[0][1].any() and mixed.params[1][1].any()


# -- gradient variants -------------------------------------------------------

def test_every_variant_has_the_reference_shapes():
    net = MLP([4, 3, 2])
    X, Y = batch(net, 5, 0)
    exact = net.gradients(X, Y)
    variants = net.gradient_variants(X, Y)
    assert set(variants) == set(VARIANTS)
    for name, grads in variants.items():
        assert [(g.shape, h.shape) for g, h in grads] == [(g.shape, h.shape) for g, h in exact], name


def test_sign_flipped_and_transposed():
    net = MLP([3, 3, 2], hidden="tanh", output="identity", loss="mse", seed=5)
    X, Y = batch(net, 4, 1)
    exact = net.gradients(X, Y)
    v = net.gradient_variants(X, Y)
    assert same(v["sign-flipped"], [(-dW, -db) for dW, db in exact])
    assert np.allclose(v["transposed"][0][0], exact[0][0].T)  # square: plain transpose
    assert not np.allclose(v["transposed"][0][0], exact[0][0])
    assert np.allclose(v["transposed"][1][0], exact[1][0].T.reshape(3, 2))
    assert np.allclose(v["transposed"][0][1], exact[0][1])  # bias untouched


@pytest.mark.parametrize("output,loss", [("identity", "mse"), ("softmax", "nll"), ("identity", "cross_entropy")])
def test_derivative_at_activation_is_exact_for_relu(output, loss):
    net = MLP([4, 6, 5, 3], hidden="relu", output=output, loss=loss, seed=2)
    X, Y = batch(net, 6, 3, onehot=True)
    exact = net.gradients(X, Y)
    v = net.gradient_variants(X, Y)
    assert same(v["derivative-at-activation"], exact)
    assert same(v["derivative-at-activation-hidden"], exact)


@pytest.mark.parametrize("hidden", ["sigmoid", "tanh"])
def test_derivative_at_activation_differs_for_smooth_units(hidden):
    net = MLP([4, 6, 3], hidden=hidden, output="sigmoid", loss="mse", seed=2)
    X, Y = batch(net, 6, 3, onehot=True)
    exact = net.gradients(X, Y)
    v = net.gradient_variants(X, Y)
    assert not np.allclose(v["derivative-at-activation"][0][0], exact[0][0])
    assert not np.allclose(v["derivative-at-activation"][1][0], exact[1][0])
    hidden_only = v["derivative-at-activation-hidden"]
    assert np.allclose(hidden_only[1][0], exact[1][0]) and not np.allclose(hidden_only[0][0], exact[0][0])


def test_derivative_at_activation_matches_a_hand_written_buggy_backward():
    """The classic mistake: ``sigmoid_prime(a)`` where ``a`` is already ``sigmoid(z)``."""
    net = MLP([4, 5, 3], hidden="sigmoid", output="sigmoid", loss="mse", seed=7)
    X, Y = batch(net, 6, 8, onehot=True)
    (W1, b1), (W2, b2) = net.params
    prime = lambda x: sigmoid(x) * (1 - sigmoid(x))  # noqa: E731
    h = sigmoid(X @ W1 + b1)
    o = sigmoid(h @ W2 + b2)
    d2 = (o - Y) * prime(o)
    d1 = (d2 @ W2.T) * prime(h)
    buggy = [(X.T @ d1, d1.sum(0)), (h.T @ d2, d2.sum(0))]
    assert same(net.gradient_variants(X, Y)["derivative-at-activation"], buggy)
    assert not same(net.gradients(X, Y), buggy)


def test_logits_not_probabilities_is_the_mse_gradient_of_the_raw_scores():
    """Seed 003: cross-entropy's delta written as ``y - t`` on the scores."""
    ce = MLP([5, 1, 4], hidden="sigmoid", output="identity", loss="cross_entropy", seed=4)
    X, Y = batch(ce, 8, 5, onehot=True)
    raw = MLP.from_params(ce.params, hidden="sigmoid", output="identity", loss="mse")
    v = ce.gradient_variants(X, Y)["logits-not-probabilities"]
    assert same(v, raw.gradients(X, Y))
    assert not np.allclose(v[1][0], ce.gradients(X, Y)[1][0])


def test_logits_not_probabilities_on_a_softmax_output_uses_the_pre_softmax_scores():
    net = MLP([3, 4, 3], hidden="relu", output="softmax", loss="nll", seed=1)
    X, Y = batch(net, 5, 2, onehot=True)
    out, zs, acts = net.forward(X, return_all=True)
    dW2 = acts[1].T @ (zs[-1] - Y)
    v = net.gradient_variants(X, Y)["logits-not-probabilities"]
    assert np.allclose(v[1][0], dW2) and not np.allclose(v[1][0], net.gradients(X, Y)[1][0])


def rashid_update(wih, who, x, t, lr):
    """Seed 002's train() re-done for one sample: (features, 1) columns, weights (out, in)."""
    h = sigmoid(wih @ x)
    o = sigmoid(who @ h)
    output_errors = t - o
    hidden_errors = who.T @ output_errors  # no output slope: the book's simplification
    return (lr * (hidden_errors * h * (1 - h)) @ x.T, lr * (output_errors * o * (1 - o)) @ h.T)


def test_no_output_activation_slope_is_rashids_update():
    net = MLP([6, 5, 3], hidden="sigmoid", output="sigmoid", loss="mse", bias=False, seed=9)
    X, Y = batch(net, 4, 10, onehot=True)
    (W1, _), (W2, _) = net.params
    d_wih, d_who = np.zeros((5, 6)), np.zeros((3, 5))
    for x, t in zip(X, Y):  # Rashid updates per sample; at fixed weights the updates add up
        a, b = rashid_update(W1.T, W2.T, x.reshape(-1, 1), t.reshape(-1, 1), lr=0.3)
        d_wih, d_who = d_wih + a, d_who + b
    v = net.gradient_variants(X, Y)["no-output-activation-slope"]
    exact = net.gradients(X, Y)
    assert np.allclose(v[0][0], -d_wih.T / 0.3) and np.allclose(v[1][0], -d_who.T / 0.3)
    assert np.allclose(v[1][0], exact[1][0])  # the output layer's update is exact
    assert not np.allclose(v[0][0], exact[0][0])  # the hidden one is not
    assert flat(v) @ flat(exact) > 0  # but it still points downhill here


def test_no_output_activation_slope_is_exact_without_an_output_slope():
    for output, loss in [("identity", "mse"), ("softmax", "nll"), ("sigmoid", "binary_cross_entropy")]:
        net = MLP([4, 5, 3], hidden="tanh", output=output, loss=loss, seed=3)
        X, Y = batch(net, 5, 4, onehot=True)
        assert same(net.gradient_variants(X, Y)["no-output-activation-slope"], net.gradients(X, Y)), output
    deep = MLP([4, 5, 5, 3], hidden="tanh", output="identity", loss="mse", seed=3)
    X, Y = batch(deep, 5, 4, onehot=True)
    v, exact = deep.gradient_variants(X, Y)["no-output-activation-slope"], deep.gradients(X, Y)
    assert np.allclose(v[1][0], exact[1][0]) and not np.allclose(v[0][0], exact[0][0])


def test_reference_learns_the_bundled_mnist_sample_with_nielsens_settings():
    """The oracle trains: 784-30-10 sigmoid/mse, batch 10, eta 3 (Nielsen's settings), 600 steps."""
    from gradcheck.datasets import bundled

    X, y = bundled()
    net = MLP([784, 30, 10], hidden="sigmoid", output="sigmoid", loss="mse", seed=0)
    curves = net.train(X[:1500], y[:1500], steps=600, lr=3.0, batch_size=10,
                       rng=np.random.default_rng(0), eval_every=300)
    assert curves.accuracy[0] < 0.2 and curves.accuracy[-1] > 0.9
    assert net.accuracy(X[1500:], y[1500:]) > 0.85  # held-out digits
    again = MLP([784, 30, 10], seed=0).train(X[:1500], y[:1500], steps=600, lr=3.0, batch_size=10,
                                             rng=np.random.default_rng(0), eval_every=300)
    assert again == curves  # seeded: the same run twice gives the same curves
