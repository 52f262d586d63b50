"""Classification of wrong gradients: right cause ranked first, on the right parameter, clean controls clean."""
import os

import numpy as np
import pytest

import gradcheck
from gradcheck import api
from nets import ACT, Net, finding_causes, mlp, softmax

LAYOUTS = ["rows", "columns", "sample"]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def first(report):
    f = report.findings[0]
    return f.cause, f.where.param


def check(model, **kw):
    return gradcheck.check(model, explore=0, **kw)


def _deltas(net, X, Y, output_delta=None, hidden_slope=None):
    """The network's deltas in its own layout, with an optional wrong output delta or hidden slope."""
    z1, a1, z2, out = net._fwd(X)
    ax = 1 if net.layout == "rows" else 0
    if output_delta is not None:
        d2 = output_delta(z2, out, Y)
    elif net.loss == "cross_entropy":
        d2 = softmax(z2, ax) - Y
    else:
        d2 = np.multiply(np.multiply(out - Y, out), 1 - out)
    slope = hidden_slope(z1, a1) if hidden_slope else net.df(z1, a1)
    if net.layout == "rows":
        d1 = np.multiply(d2 @ net.W2.T, slope)
    else:
        d1 = np.multiply(net.W2.T @ d2, slope)
    return a1, d1, d2


def _grads(net, X, a1, d1, d2):
    if net.layout == "rows":
        return {"W1": X.T @ d1, "b1": d1.sum(0), "W2": a1.T @ d2, "b2": d2.sum(0)}
    return {"W1": d1 @ X.T, "b1": np.asarray(d1).sum(1, keepdims=True), "W2": d2 @ a1.T,
            "b2": np.asarray(d2).sum(1, keepdims=True)}


def rewrite(**kw):
    """A bug that recomputes the whole gradient with a wrong output delta or hidden slope."""
    def bug(g, net, X, Y):
        a1, d1, d2 = _deltas(net, X, Y, **kw)
        g.update(_grads(net, X, a1, d1, d2))
    return bug


# -- each cause, in every layout -------------------------------------------------------

@pytest.mark.parametrize("layout", LAYOUTS)
def test_one_flipped_parameter_is_gradient_sign(layout):
    r = check(mlp(layout=layout, bug=lambda g, *a: g.__setitem__("W2", -g["W2"])))
    assert first(r) == ("gradient-sign", "W2")
    assert finding_causes(r) == [("gradient-sign", "W2")]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_parameter_flipped_is_gradient_sign_at_the_output(layout):
    def flip_all(g, *a):
        for k in list(g):
            g[k] = -g[k]
    r = check(mlp(layout=layout, bug=flip_all))
    assert first(r) == ("gradient-sign", "W2")
    assert r.findings[0].evidence["every_parameter"] is True
    assert not any("information, not a bug" in n and "-1" in n for n in r.notes)


def test_negative_gradient_with_a_step_that_adds_it_is_a_convention():
    net = Net()

    def backward(X, Y):
        return {k: -v for k, v in net.backward(X, Y).items()}

    def step(X, Y):
        for k, v in backward(X, Y).items():
            setattr(net, k, getattr(net, k) + 0.05 * v)  # the gradient is summed: 0.5 would diverge

    r = check(gradcheck.Model(params=net.params, forward=net.forward, backward=backward, step=step,
                              loss="cross_entropy"))
    assert finding_causes(r) == []
    assert any("sign convention" in n for n in r.notes)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_transposed_square_weight_is_gradient_transposed(layout):
    r = check(mlp(layout=layout, sizes=(784, 10, 10), bug=lambda g, *a: g.__setitem__("W2", g["W2"].T.copy())))
    assert first(r) == ("gradient-transposed", "W2")
    assert finding_causes(r) == [("gradient-transposed", "W2")]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_logits_instead_of_probabilities(layout):
    r = check(mlp(layout=layout, bug=rewrite(output_delta=lambda z, out, Y: z - Y)))
    assert first(r) == ("logits-not-probabilities", "W2")
    f = r.findings[0]
    assert set(f.evidence["params"]) == {"W1", "b1", "W2", "b2"}
    assert finding_causes(r) == [("logits-not-probabilities", "W2")]  # no mismatch left over


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("hidden", ["sigmoid", "tanh"])
def test_slope_at_the_activation_is_wrong_activation_derivative(layout, hidden):
    f = ACT[hidden][0]
    slope = {"sigmoid": lambda z, a: f(a) * (1 - f(a)), "tanh": lambda z, a: 1 - np.tanh(a) ** 2}[hidden]
    r = check(mlp(layout=layout, hidden=hidden, bug=rewrite(hidden_slope=slope)))
    assert first(r) == ("wrong-activation-derivative", "W1")
    assert finding_causes(r) == [("wrong-activation-derivative", "W1")]


def test_sigmoid_formula_under_tanh_is_wrong_activation_derivative():
    r = check(mlp(hidden="tanh", bug=rewrite(hidden_slope=lambda z, a: a * (1 - a))))
    assert first(r) == ("wrong-activation-derivative", "W1")
    assert "1 - tanh(z)**2" in r.findings[0].fix


def test_missing_output_slope_with_mse_is_wrong_activation_derivative():
    r = check(mlp(loss="mse", bug=rewrite(output_delta=lambda z, out, Y: out - Y)))
    assert first(r) == ("wrong-activation-derivative", "W2")


@pytest.mark.parametrize("layout", LAYOUTS)
def test_collapsed_bias_gradient_is_bias_gradient_axis(layout):
    r = check(mlp(layout=layout, bug=lambda g, *a: g.__setitem__("b1", np.full_like(g["b1"], g["b1"].sum()))))
    assert first(r) == ("bias-gradient-axis", "b1")


@pytest.mark.parametrize("layout,bad", [("rows", lambda d: d), ("rows", lambda d: d.sum(axis=1)),
                                        ("rows", lambda d: np.sum(d)), ("columns", lambda d: d.sum(0, keepdims=True)),
                                        ("sample", lambda d: np.sum(d))])
def test_bias_reduced_over_the_wrong_axis_is_bias_gradient_axis(layout, bad):
    def bug(g, net, X, Y):
        _, d1, _ = _deltas(net, X, Y)
        g["b1"] = bad(np.asarray(d1))
    r = check(mlp(layout=layout, bug=bug))
    assert first(r) == ("bias-gradient-axis", "b1")
    assert "gradient-shape" not in [c for c, _ in finding_causes(r)]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_rashid_simplification_is_an_approximate_gradient_warning(layout):
    def error_not_delta(g, net, X, Y):
        z1, a1, z2, out = net._fwd(X)
        err = out - Y
        d1 = np.multiply(err @ net.W2.T if layout == "rows" else net.W2.T @ err, net.df(z1, a1))
        g.update({k: v for k, v in _grads(net, X, a1, d1, d1).items() if k in ("W1", "b1")})
    r = check(mlp(layout=layout, loss="mse", bug=error_not_delta))
    assert finding_causes(r) == []
    assert [(f.cause, f.where.param, f.severity) for f in r.findings] == [("approximate-gradient", "W1", "warning")]


def test_seed_002_rashid_gets_no_error_and_an_approximate_gradient_warning():
    (r,) = api.check_file(os.path.join(ROOT, "fixtures/seeds/seed002_rashid.py"))
    assert r.errors == []
    assert [(f.cause, f.severity) for f in r.findings] == [("approximate-gradient", "warning")]
    assert r.findings[0].evidence["descends"] is True


def test_seed_003_logits_ranked_above_every_other_gradient_finding():
    (r,) = api.check_file(os.path.join(ROOT, "fixtures/seeds/seed003_momentum_on_weights.py"))
    gradient = [f.cause for f in r.findings if f.cause.startswith("gradient-") or f.cause in (
        "logits-not-probabilities", "wrong-activation-derivative", "bias-gradient-axis", "approximate-gradient")]
    assert gradient[0] == "logits-not-probabilities"
    assert "gradient-mismatch" not in gradient


def test_a_bug_matching_no_pattern_stays_gradient_mismatch():
    def bug(g, *a):
        g["W1"] = g["W1"] + 0.3 * np.abs(g["W1"]).max() * np.cos(np.arange(g["W1"].size)).reshape(g["W1"].shape)
    r = check(mlp(bug=bug))
    assert first(r) == ("gradient-mismatch", "W1")


# -- where the error enters ---------------------------------------------------------------

def test_message_says_which_are_correct_and_where_the_error_enters():
    r = check(mlp(bug=rewrite(hidden_slope=lambda z, a: (1 / (1 + np.exp(-a))) * (1 - 1 / (1 + np.exp(-a))))))
    text = "\n".join(r.findings[0].detail)
    assert "W2 and b2 are correct; W1 and b1 are wrong: the error enters where the delta is propagated " \
           "from layer 2 to layer 1" in text


def test_mismatch_message_says_where_the_error_enters():
    def bug(g, *a):
        g["W1"] = g["W1"] + 0.3 * np.abs(g["W1"]).max() * np.cos(np.arange(g["W1"].size)).reshape(g["W1"].shape)
    r = check(mlp(bug=bug))
    text = "\n".join(r.findings[0].detail)
    assert "W2, b2 and b1 are correct; W1 is wrong: the error enters in the product that forms dW1" in text


def test_output_delta_error_enters_at_the_output():
    r = check(mlp(bug=rewrite(output_delta=lambda z, out, Y: z - Y)))
    assert "the error enters at the output delta (layer 2)" in "\n".join(r.findings[0].detail)


# -- without the reference: the arrays alone ----------------------------------------------

class ScaledInputNet(Net):
    """The forward rescales its inputs: no reference network reproduces it."""

    def forward(self, X):
        return super().forward(np.tanh(X))

    def backward(self, X, Y):
        return super().backward(np.tanh(X), Y)


def arrays_only(bug=None, sizes=(784, 20, 10)):
    net = ScaledInputNet(sizes=sizes, bug=bug)
    return gradcheck.Model(params=net.params, forward=net.forward, backward=net.backward, loss="cross_entropy")


def test_arrays_only_clean_network_has_no_error():
    assert finding_causes(check(arrays_only())) == []


@pytest.mark.parametrize("bug,expected", [
    (lambda g, *a: g.__setitem__("W1", 0.5 * g["W1"]), ("gradient-scale", "W1")),
    (lambda g, *a: g.__setitem__("W2", -g["W2"]), ("gradient-sign", "W2")),
    (lambda g, *a: g.__setitem__("b1", np.full_like(g["b1"], g["b1"].sum())), ("bias-gradient-axis", "b1")),
])
def test_arrays_only_patterns(bug, expected):
    r = check(arrays_only(bug))
    assert first(r) == expected
    assert r.findings[0].evidence["source"] == "arrays"


def test_arrays_only_transposed_square_weight():
    r = check(arrays_only(lambda g, *a: g.__setitem__("W2", g["W2"].T.copy()), sizes=(784, 10, 10)))
    assert first(r) == ("gradient-transposed", "W2")


# -- evaluation counts (the speed targets in evaluations, not seconds) ---------------------

def _evals(model):
    from gradcheck import probes
    from gradcheck.session import prepare

    s = prepare(model)
    ev = probes.Evidence(s)
    ev.items["forward"] = probes.load("forward").run(s, ev)
    g = ev.items["gradients"] = probes.load("gradients").run(s, ev)
    total = g.evals
    try:
        p = ev.items["gradient_patterns"] = probes.load("gradient_patterns").run(s, ev)
        total += p.evals
    except probes.ProbeSkipped:
        pass
    return total, ev


def test_correct_784_100_10_is_verified_in_at_most_8_evaluations():
    n, ev = _evals(mlp(sizes=(784, 100, 10)))
    assert ev["gradients"].failed == [] and n <= 8


def test_one_wrong_tensor_localised_and_classified_in_at_most_60_evaluations():
    n, ev = _evals(mlp(sizes=(784, 100, 10), bug=lambda g, *a: g.__setitem__("W1", 0.5 * g["W1"])))
    assert ev["gradients"].failed == ["W1"]
    assert ev["gradient_patterns"].explanations["W1"].cause == "gradient-scale"
    assert n <= 60


def test_one_wrong_entry_localised_in_at_most_60_evaluations():
    def bug(g, *a):
        g["W1"][400, 17] += 0.05 * np.abs(g["W1"]).max()
    n, ev = _evals(mlp(sizes=(784, 100, 10), bug=bug))
    assert ev["gradients"].blocks["W1"].entries[0].index == (400, 17)
    assert n <= 60


@pytest.mark.parametrize("seed", range(10))
def test_halved_first_layer_never_missed(seed):
    r = check(mlp(sizes=(784, 100, 10), seed=seed, bug=lambda g, *a: g.__setitem__("W1", 0.5 * g["W1"])), seed=seed)
    assert first(r) == ("gradient-scale", "W1")
