"""Mapping a user's parameters onto the reference, identifying its activations, and converting back."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from gradcheck.reference import (MLP, MappingError, from_reference_grads, identify, map_params,
                                 to_reference_params)
from gradcheck.reference.activations import sigmoid

rng = np.random.default_rng(0)


def normal(*shape, scale=1.0):
    return scale * rng.normal(size=shape)


# -- user networks, written the way people write them ---------------------------

def rows_params(sizes, dtype=np.float64):
    """x @ W + b with W (in, out), b (out,)."""
    p = {}
    for i, (n, m) in enumerate(zip(sizes[:-1], sizes[1:]), 1):
        p[f"W{i}"] = normal(n, m, scale=n ** -0.5).astype(dtype)
        p[f"b{i}"] = normal(m, scale=0.5).astype(dtype)
    return p


def rows_forward(p, hidden, output):
    def forward(X):
        a = X
        L = len(p) // 2
        for i in range(1, L + 1):
            z = a @ p[f"W{i}"] + p[f"b{i}"]
            a = hidden(z) if i < L else output(z)
        return a
    return forward


def nielsen_params(sizes):
    """Nielsen's network.py: weights (out, in), biases (out, 1), as lists flattened into a dict."""
    weights = [normal(m, n) for n, m in zip(sizes[:-1], sizes[1:])]
    biases = [normal(m, 1) for m in sizes[1:]]
    return {**{f"weights[{i}]": w for i, w in enumerate(weights)},
            **{f"biases[{i}]": b for i, b in enumerate(biases)}}


def nielsen_forward(p):
    """feedforward(a) on one (features, 1) column; forward_rows stacks the samples."""
    L = len(p) // 2

    def feedforward(a):
        for i in range(L):
            a = sigmoid(np.dot(p[f"weights[{i}]"], a) + p[f"biases[{i}]"])
        return a
    return lambda X: np.stack([feedforward(x.reshape(-1, 1)).ravel() for x in X])


def nielsen_backprop(p, x, y):
    """Nielsen's backprop for one column (mse, sigmoid everywhere): {name: gradient}."""
    L = len(p) // 2
    acts, zs, a = [x], [], x
    for i in range(L):
        z = p[f"weights[{i}]"] @ a + p[f"biases[{i}]"]
        a = sigmoid(z)
        zs.append(z)
        acts.append(a)
    delta = (acts[-1] - y) * sigmoid(zs[-1]) * (1 - sigmoid(zs[-1]))
    g = {}
    for i in reversed(range(L)):
        g[f"weights[{i}]"], g[f"biases[{i}]"] = delta @ acts[i].T, delta
        if i:
            delta = (p[f"weights[{i}]"].T @ delta) * sigmoid(zs[i - 1]) * (1 - sigmoid(zs[i - 1]))
    return g


def softmax_rows(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


relu = lambda z: np.maximum(z, 0)  # noqa: E731
identity = lambda z: z  # noqa: E731


# -- mapping ------------------------------------------------------------------

def test_rows_weights_in_out_with_flat_biases():
    m = map_params(rows_params([6, 5, 4, 3]), "rows", 6, 3)
    assert m.sizes == (6, 5, 4, 3)
    assert m.orientations == ("in_out",) * 3
    assert m.bias_shapes == ((5,), (4,), (3,))
    assert m.names == (("W1", "b1"), ("W2", "b2"), ("W3", "b3"))
    assert m.notes == ()


def test_nielsen_columns_weights_out_in_with_column_biases():
    m = map_params(nielsen_params([784, 30, 10]), "sample", 784, 10)
    assert m.sizes == (784, 30, 10)
    assert m.orientations == ("out_in", "out_in")
    assert m.bias_shapes == ((30, 1), (10, 1))
    assert m.names == (("weights[0]", "biases[0]"), ("weights[1]", "biases[1]"))


def test_rashid_without_biases():
    p = {"wih": normal(100, 784), "who": normal(10, 100)}
    m = map_params(p, "sample", 784, 10)
    assert m.sizes == (784, 100, 10) and m.names == (("wih", None), ("who", None))
    assert m.orientations == ("out_in", "out_in") and not m.has_bias
    W, b = to_reference_params(m, p)[0]
    assert np.array_equal(W, p["wih"].T) and not b.any()


def test_float32_and_matrix_parameters():
    p = {"w1": np.asmatrix(normal(5, 4)).astype(np.float32), "b1": np.asmatrix(normal(5, 1)),
         "w2": np.asmatrix(normal(3, 5)), "b2": np.asmatrix(normal(3, 1)).astype(np.float32)}
    m = map_params(p, "columns", 4, 3)
    assert m.sizes == (4, 5, 3) and m.orientations == ("out_in", "out_in")
    ref = to_reference_params(m, p)
    assert all(type(W) is np.ndarray and W.dtype == np.float64 and b.shape == (W.shape[1],) for W, b in ref)
    assert np.allclose(ref[0][0], np.asarray(p["w1"]).T)
    back = from_reference_grads(m, ref)
    assert {k: v.shape for k, v in back.items()} == {k: v.shape for k, v in p.items()}
    assert all(type(v) is np.ndarray for v in back.values())


def test_names_do_not_matter_when_shapes_decide():
    p = rows_params([7, 5, 3])
    shuffled = {"zeta": p["b2"], "alpha": p["W2"], "b": p["W1"], "W": p["b1"]}  # misleading names, odd order
    m = map_params(shuffled, "rows", 7, 3)
    assert m.names == (("b", "W"), ("alpha", "zeta"))
    assert m.sizes == (7, 5, 3) and m.orientations == ("in_out", "in_out")


def test_seed_003_layer_list_with_a_one_unit_bottleneck():
    """784-1-10: the second weight (10, 1) and bias (10, 1) have the same shape; names decide."""
    p = {"layers[1].weights": normal(1, 784), "layers[1].bias": normal(1, 1),
         "layers[2].bias": normal(10, 1), "layers[2].weights": normal(10, 1)}
    m = map_params(p, "columns", 784, 10)
    assert m.sizes == (784, 1, 10)
    assert m.names == (("layers[1].weights", "layers[1].bias"), ("layers[2].weights", "layers[2].bias"))
    assert any("same shape" in n for n in m.notes)


def test_square_layers_take_their_orientation_from_the_layout():
    p = {"W1": normal(4, 4), "b1": normal(4), "W2": normal(4, 4), "b2": normal(4)}
    assert map_params(p, "rows", 4, 4).orientations == ("in_out", "in_out")
    assert map_params(p, "columns", 4, 4).orientations == ("out_in", "out_in")
    assert any("layout" in n for n in map_params(p, "rows", 4, 4).notes)
    # a non-square layer fixes the orientation of the square one, whatever the layout says
    q = {"W1": normal(4, 6), "b1": normal(6), "W2": normal(6, 6), "b2": normal(6)}
    assert map_params(q, "columns", 4, 6).orientations == ("in_out", "in_out")


def test_layer_order_follows_shapes_not_dict_order():
    p = nielsen_params([8, 6, 5, 3])
    reordered = {k: p[k] for k in ["biases[2]", "weights[2]", "weights[0]", "biases[1]", "weights[1]", "biases[0]"]}
    m = map_params(reordered, "columns", 8, 3)
    assert m.names == (("weights[0]", "biases[0]"), ("weights[1]", "biases[1]"), ("weights[2]", "biases[2]"))


def test_unknown_output_size_uses_every_array():
    m = map_params(rows_params([6, 4, 2]), "rows", 6)
    assert m.sizes == (6, 4, 2)


def test_no_chain_is_a_mapping_error_that_lists_the_shapes():
    p = {"Theta1": normal(25, 401), "Theta2": normal(10, 26)}  # biases folded into the weights
    with pytest.raises(MappingError, match=r"Theta1 \(25, 401\)"):
        map_params(p, "rows", 400, 10)
    with pytest.raises(MappingError):
        map_params({"W": normal(3, 3, 3)}, "rows", 3, 3)
    with pytest.raises(MappingError, match="input size"):
        map_params(rows_params([3, 2]), "rows")


def test_changed_shapes_are_refused_on_conversion():
    p = rows_params([4, 3, 2])
    m = map_params(p, "rows", 4, 2)
    with pytest.raises(MappingError, match="W1"):
        to_reference_params(m, {**p, "W1": normal(3, 4)})


@settings(max_examples=40, deadline=None, derandomize=True)
@given(sizes=st.lists(st.integers(2, 9), min_size=2, max_size=5, unique=True),
       layout=st.sampled_from(["rows", "columns", "sample"]),
       bias=st.sampled_from(["flat", "column", "row", "none"]),
       names=st.sampled_from(["textbook", "neutral"]),
       dtype=st.sampled_from([np.float64, np.float32]),
       seed=st.integers(0, 1000))
def test_any_chain_maps_back_to_the_same_network(sizes, layout, bias, names, dtype, seed):
    r = np.random.default_rng(seed)
    out_in = layout != "rows"
    truth, items = [], []
    for i, (n, m) in enumerate(zip(sizes[:-1], sizes[1:])):
        W = r.normal(size=(n, m))
        b = r.normal(size=m) if bias != "none" else np.zeros(m)
        truth.append((W, b))
        items.append((f"W{i}" if names == "textbook" else f"p{r.integers(1e6)}", (W.T if out_in else W).astype(dtype)))
        if bias != "none":
            shaped = {"flat": b, "column": b.reshape(-1, 1), "row": b.reshape(1, -1)}[bias]
            items.append((f"b{i}" if names == "textbook" else f"q{r.integers(1e6)}", shaped.astype(dtype)))
    r.shuffle(items)
    p = dict(items)
    m = map_params(p, layout, sizes[0], sizes[-1])
    assert list(m.sizes) == sizes
    assert m.orientations == (("out_in" if out_in else "in_out"),) * (len(sizes) - 1)
    for (W, b), (W2, b2) in zip(truth, to_reference_params(m, p)):
        np.testing.assert_allclose(W2, W, rtol=1e-6)
        np.testing.assert_allclose(b2, b, rtol=1e-6)
    back = from_reference_grads(m, to_reference_params(m, p))
    assert set(back) == set(p) and all(np.allclose(back[k], p[k], rtol=1e-6) for k in p)


# -- conversions of gradients -------------------------------------------------

def test_reference_gradients_in_the_users_shapes_equal_nielsens_backprop():
    p = nielsen_params([6, 5, 3])
    m = map_params(p, "sample", 6, 3)
    arch = identify(m, nielsen_forward(p))
    assert arch.matched and arch.hidden == ("sigmoid",) and arch.output == "sigmoid"
    X, Y = rng.normal(size=(4, 6)), np.eye(3)[[0, 2, 1, 1]]
    ref = from_reference_grads(m, arch.reference("mse").gradients(X, Y))
    user = {k: 0 for k in p}
    for x, y in zip(X, Y):  # Nielsen sums per-sample gradients over the mini-batch
        g = nielsen_backprop(p, x.reshape(-1, 1), y.reshape(-1, 1))
        user = {k: user[k] + g[k] for k in p}
    for k in p:
        assert ref[k].shape == p[k].shape
        np.testing.assert_allclose(ref[k], user[k], rtol=1e-10, atol=1e-12, err_msg=k)


def test_variants_convert_to_the_users_shapes_too():
    p = {"wih": normal(5, 6), "who": normal(3, 5)}
    m = map_params(p, "sample", 6, 3)
    net = MLP.from_params(to_reference_params(m, p), hidden="sigmoid", output="sigmoid", bias=False)
    X, Y = rng.normal(size=(2, 6)), np.eye(3)[[0, 2]]
    for name, grads in net.gradient_variants(X, Y).items():
        g = from_reference_grads(m, grads)
        assert set(g) == {"wih", "who"} and g["wih"].shape == (5, 6) and g["who"].shape == (3, 5), name


# -- identify -----------------------------------------------------------------

@pytest.mark.parametrize("hidden,output", [
    ("sigmoid", "sigmoid"), ("relu", "softmax"), ("tanh", "identity"), ("relu", "sigmoid"), ("sigmoid", "softmax")])
def test_identify_finds_the_activations_of_a_rows_network(hidden, output):
    funcs = {"sigmoid": sigmoid, "relu": relu, "tanh": np.tanh, "identity": identity, "softmax": softmax_rows}
    p = rows_params([12, 7, 5, 4])
    arch = identify(map_params(p, "rows", 12, 4), rows_forward(p, funcs[hidden], funcs[output]))
    assert arch.matched and arch.departs is None
    assert arch.hidden == (hidden, hidden) and arch.output == output
    assert arch.max_diff < 1e-12
    assert arch.candidates[0].max_diff == arch.max_diff and arch.candidates[1].max_diff > 1e-3


def test_identify_finds_different_activations_per_hidden_layer():
    p = rows_params([10, 6, 6, 3])

    def forward(X):
        a = relu(X @ p["W1"] + p["b1"])
        a = np.tanh(a @ p["W2"] + p["b2"])
        return softmax_rows(a @ p["W3"] + p["b3"])
    arch = identify(map_params(p, "rows", 10, 3), forward)
    assert arch.matched and arch.hidden == ("relu", "tanh") and arch.output == "softmax"


def test_identify_rashid_sample_network_and_reference_reproduces_its_output():
    p = {"wih": normal(20, 30, scale=0.2), "who": normal(10, 20, scale=0.3)}

    def query(x):  # one (30, 1) column at a time, no biases
        return sigmoid(p["who"] @ sigmoid(p["wih"] @ x))
    forward_rows = lambda X: np.stack([query(x.reshape(-1, 1)).ravel() for x in X])  # noqa: E731
    arch = identify(map_params(p, "sample", 30, 10), forward_rows)
    assert arch.matched and (arch.hidden, arch.output) == (("sigmoid",), "sigmoid")
    assert arch.names == (("wih", None), ("who", None)) and arch.bias_shapes == (None, None)
    X = rng.uniform(size=(5, 30))
    np.testing.assert_allclose(arch.reference("mse").forward(X), forward_rows(X), rtol=1e-12)
    assert arch.reference("mse").bias == [False, False]


def test_identify_float32_network_within_float32_tolerance():
    p = rows_params([16, 8, 4], dtype=np.float32)
    forward = lambda X: rows_forward(p, np.tanh, sigmoid)(X.astype(np.float32))  # noqa: E731
    arch = identify(map_params(p, "rows", 16, 4), forward)
    assert arch.matched and (arch.hidden, arch.output) == (("tanh",), "sigmoid")
    assert 0 < arch.max_diff < 1e-4


def test_identify_uses_current_params_not_the_snapshot():
    p = rows_params([5, 4, 2])
    m = map_params(p, "rows", 5, 2)
    p["W1"] = p["W1"] * 3  # the user's training rebinds its arrays
    forward = rows_forward(p, relu, identity)
    assert not identify(m, forward).matched
    assert identify(m, forward, params=p).matched


def test_identify_reports_a_softmax_over_the_samples():
    p = nielsen_params([9, 6, 4])

    def forward_columns(X):  # X (features, n); softmax over axis 1 = over samples
        a = sigmoid(p["weights[0]"] @ X + p["biases[0]"])
        z = p["weights[1]"] @ a + p["biases[1]"]
        e = np.exp(z - z.max())
        return e / e.sum(axis=1, keepdims=True)
    arch = identify(map_params(p, "columns", 9, 4), lambda X: forward_columns(X.T).T)
    assert not arch.matched and arch.departs == "softmax-axis" and arch.hidden == ("sigmoid",)
    assert "over the samples" in arch.notes[0]


def test_identify_reports_an_unknown_output_activation_after_correct_hidden_layers():
    p = rows_params([8, 6, 3])
    arch = identify(map_params(p, "rows", 8, 3), rows_forward(p, np.tanh, lambda z: sigmoid(2 * z)))
    assert not arch.matched and arch.departs == "output-activation" and arch.hidden == ("tanh",)


def test_identify_reports_a_departing_hidden_layer():
    p = rows_params([8, 6, 3])
    leaky = lambda z: np.where(z > 0, z, 0.1 * z)  # noqa: E731
    arch = identify(map_params(p, "rows", 8, 3), rows_forward(p, leaky, sigmoid))
    assert not arch.matched and arch.departs == "hidden-layers"
    missing_bias = lambda X: sigmoid(sigmoid(X @ p["W1"]) @ p["W2"] + p["b2"])  # noqa: E731
    assert identify(map_params(p, "rows", 8, 3), missing_bias).departs == "hidden-layers"


def test_identify_reports_shape_nan_and_constant_outputs():
    p = rows_params([8, 6, 3])
    m = map_params(p, "rows", 8, 3)
    assert identify(m, lambda X: rows_forward(p, relu, sigmoid)(X).T).departs == "output-shape"
    assert identify(m, lambda X: np.full((len(X), 3), np.nan)).departs == "non-finite"
    arch = identify(m, lambda X: np.full((len(X), 3), 0.5))
    assert not arch.matched and arch.departs == "constant-output"


def test_identify_notes_saturation_that_hides_the_activation():
    """Seed 000: raw inputs and all-positive weights saturate every sigmoid; relu is then no different."""
    p = {"W1": np.abs(normal(20, 10)) + 1, "b1": np.ones(10), "W2": np.abs(normal(10, 3)) + 1, "b2": np.ones(3)}
    forward = rows_forward(p, sigmoid, sigmoid)
    arch = identify(map_params(p, "rows", 20, 3), forward, X=255 * rng.uniform(size=(10, 20)))
    assert arch.matched and arch.output == "sigmoid"
    assert any("could not tell" in n for n in arch.notes)


def test_identify_reports_a_softmax_over_the_only_sample_of_a_column():
    p = nielsen_params([9, 6, 4])

    def feedforward(x):  # x (9, 1); softmax over axis 1 normalises each class over one sample
        z = p["weights[1]"] @ sigmoid(p["weights[0]"] @ x + p["biases[0]"]) + p["biases[1]"]
        return np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    forward_rows = lambda X: np.stack([feedforward(x.reshape(-1, 1)).ravel() for x in X])  # noqa: E731
    arch = identify(map_params(p, "sample", 9, 4), forward_rows)
    assert not arch.matched and arch.departs == "softmax-axis"
