"""The finite-difference check: right verdicts, right parameter, in every layout."""
import numpy as np
import pytest

import gradcheck
from nets import finding_causes, mlp

LAYOUTS = ["rows", "columns", "sample"]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu"])
def test_correct_network_has_no_error(layout, hidden):
    r = gradcheck.check(mlp(layout=layout, hidden=hidden))
    assert finding_causes(r) == [], r


@pytest.mark.parametrize("layout", LAYOUTS)
def test_one_wrong_gradient_is_localised_to_its_parameter(layout):
    def bug(g, net, X, Y):
        g["W2"] = g["W2"] + 0.3 * np.abs(g["W2"]).max() * np.sign(np.sin(np.arange(g["W2"].size))).reshape(g["W2"].shape)
    r = gradcheck.check(mlp(layout=layout, bug=bug))
    errs = finding_causes(r)
    assert errs and all(p == "W2" for _, p in errs), errs
    assert errs[0][0] == "gradient-mismatch"


def test_scale_on_one_parameter_is_gradient_scale():
    r = gradcheck.check(mlp(bug=lambda g, *a: g.__setitem__("W1", g["W1"] * 0.5)))
    f = r.findings[0]
    assert (f.cause, f.where.param) == ("gradient-scale", "W1")
    assert f.evidence["ratio"] == pytest.approx(0.5, rel=1e-3)


def test_global_scale_is_information_not_a_bug():
    def everything_times_3(g, *a):
        for k in list(g):
            g[k] = g[k] * 3.0
    r = gradcheck.check(mlp(bug=everything_times_3))
    assert finding_causes(r) == []
    assert any("global gradient scale" in n and "3" in n for n in r.notes)


def test_zero_bias_gradient_is_missing():
    r = gradcheck.check(mlp(bug=lambda g, *a: g.__setitem__("b1", np.zeros_like(g["b1"]))))
    assert finding_causes(r) == [("gradient-missing", "b1")]


def test_missing_key_is_a_finding_not_a_crash():
    r = gradcheck.check(mlp(bug=lambda g, *a: g.pop("b2")))
    assert ("gradient-missing", "b2") in finding_causes(r)
    assert r.exit_code == 1


def test_wrong_gradient_shape_is_a_finding():
    r = gradcheck.check(mlp(bug=lambda g, *a: g.__setitem__("W1", g["W1"][:, :5])))
    assert finding_causes(r)[0] == ("gradient-shape", "W1")


def test_reversed_gradient_shape_is_gradient_transposed():
    r = gradcheck.check(mlp(bug=lambda g, *a: g.__setitem__("W1", g["W1"].T)))
    assert finding_causes(r)[0] == ("gradient-transposed", "W1")


def test_single_wrong_entry_found_by_bisection():
    def bug(g, *a):
        g["W1"][123, 7] += 1.0
    r = gradcheck.check(mlp(bug=bug))
    f = r.findings[0]
    assert f.where.param == "W1"
    assert f.evidence["worst"][0]["index"] == [123, 7]


@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_auto_loss_is_inferred_and_reported(loss):
    r = gradcheck.check(mlp(loss=loss, declared=False))
    assert finding_causes(r) == []
    family = "cross_entropy" if loss == "cross_entropy" else "mse"
    assert any(f"loss inferred from the gradient: {family}" in n for n in r.notes)


def test_float32_parameters_no_false_alarm_and_bug_found():
    assert finding_causes(gradcheck.check(mlp(dtype=np.float32))) == []
    r = gradcheck.check(mlp(dtype=np.float32, bug=lambda g, *a: g.__setitem__("W1", g["W1"] * 0.5)))
    assert [p for _, p in finding_causes(r)] == ["W1"]


def test_np_matrix_parameters():
    m = mlp(layout="columns")
    net = m.net
    for k in ("W1", "b1", "W2", "b2"):
        setattr(net, k, np.asmatrix(getattr(net, k)))
    assert finding_causes(gradcheck.check(m)) == []


def test_step_only_model_gradient_from_update():
    assert finding_causes(gradcheck.check(mlp(with_backward=False))) == []
    r = gradcheck.check(mlp(with_backward=False, bug=lambda g, *a: g.__setitem__("W1", g["W1"] * 0.5)))
    assert [p for _, p in finding_causes(r)] == ["W1"]


def test_params_as_plain_dict():
    m = mlp()
    m.params = m.net.params()
    assert finding_causes(gradcheck.check(m)) == []


@pytest.mark.parametrize("seed", range(5))
def test_relu_kinks_never_raise_false_alarms(seed):
    r = gradcheck.check(mlp(hidden="relu", seed=seed), seed=seed)
    assert finding_causes(r) == []


def test_fast_path_costs_two_evaluations_per_parameter():
    from gradcheck import probes
    from gradcheck.session import prepare

    s = prepare(mlp())
    ev = probes.Evidence(s)
    ev.items["forward"] = probes.load("forward").run(s, ev)
    g = probes.load("gradients").run(s, ev)
    assert g.failed == []
    assert g.evals <= 2 * len(g.order) + 1
