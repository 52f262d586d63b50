"""The oracle: mapping the user's model onto the reference, the differential, side-by-side
training, counterfactuals on the reference and fixes confirmed on the user's own model."""
import functools
import os

import numpy as np
import pytest

import gradcheck
from gradcheck import discover, pipeline, probes, rank, state
from gradcheck.oracle import runs
from gradcheck.reference import MLP
from gradcheck.session import prepare
from conftest import ROOT
from nets import mlp

ORACLE_CAUSES = ("training-fails", "forward-mismatch")


def fixture_model(path: str, seed: int = 0):
    (found,) = discover.find(os.path.join(ROOT, path))
    return discover.build(found, seed=seed)


def evidence_of(model, seed: int = 0) -> probes.Evidence:
    """Every probe's evidence, as the pipeline gathers it (model restored afterwards)."""
    with state.preserved(model):
        np.random.seed(seed)
        session = prepare(model, seed=seed)
        ev = probes.Evidence(session)
        for name in probes.PROBES:
            mod = probes.load(name)
            if all(r in ev for r in mod.REQUIRES):
                try:
                    ev.items[name] = mod.run(session, ev)
                except probes.ProbeSkipped:
                    pass
    return ev


@functools.lru_cache(maxsize=None)
def fixture(path: str):
    """(evidence, ranked findings) of a fixture, computed once per test session."""
    ev = evidence_of(fixture_model(path))
    return ev, rank.rank(pipeline.judge(ev))


def judged(path: str, cause: str):
    """The findings of one cause on a fixture, as the cause judged them (before ranking)."""
    return [f for f in pipeline.judge(fixture(path)[0]) if f.cause == cause]


def oracle(path: str):
    return fixture(path)[0]["oracle"]


def errors(findings, causes=ORACLE_CAUSES):
    return [f for f in findings if f.severity == "error" and f.cause in causes]


# -- mapping the user's network onto the reference ----------------------------------

@pytest.mark.parametrize("path, sizes, orient, biases, hidden, output, loss", [
    ("fixtures/seeds/seed000_raw_pixels.py", (784, 10, 10), "in_out", (None, None), ("sigmoid",), "sigmoid", "mse"),
    ("fixtures/seeds/seed001_eval_broadcast.py", (400, 25, 10), "in_out", ((1, 25), (1, 10)), ("sigmoid",),
     "sigmoid", "mse"),
    ("fixtures/seeds/seed002_rashid.py", (784, 100, 10), "out_in", (None, None), ("sigmoid",), "sigmoid", "mse"),
    ("fixtures/seeds/seed003_momentum_on_weights.py", (784, 1, 10), "out_in", ((1, 1), (10, 1)), ("sigmoid",),
     "identity", "cross_entropy"),
    ("fixtures/core/rows_mlp.py", (784, 30, 10), "in_out", ((30,), (10,)), ("sigmoid",), "identity",
     "cross_entropy"),
    ("fixtures/core/nielsen_ok.py", (784, 30, 10), "out_in", ((30, 1), (10, 1)), ("sigmoid",), "sigmoid", "mse"),
    ("fixtures/oracle/control_columns_relu.py", (784, 32, 10), "out_in", ((32, 1), (10, 1)), ("relu",), "sigmoid",
     "mse"),
])
def test_seed_and_core_fixtures_map_onto_the_reference(path, sizes, orient, biases, hidden, output, loss):
    o = oracle(path)
    a = o.architecture
    assert a.sizes == sizes and set(a.orientations) == {orient} and a.bias_shapes == biases
    assert a.matched and o.matched and a.hidden == hidden and a.output == output
    assert o.wiring.loss == loss


def test_a_custom_loss_is_fitted_to_the_family_it_scales():
    # seed 001: penalised_mse = mse / m + an L2 term that does not depend on the output
    o = oracle("fixtures/seeds/seed001_eval_broadcast.py")
    assert o.wiring.loss == "mse" and not o.wiring.loss_exact
    assert not o.differential.gradients_comparable and o.differential.first is None


def test_the_reference_reproduces_the_users_training_exactly_for_correct_code():
    d = oracle("fixtures/core/rows_mlp.py").diagnosis
    assert d.verdict == "ok"
    assert d.user.accuracy == d.reference.accuracy and d.user.final_accuracy > 0.8
    assert np.allclose(d.user.loss, d.reference.loss, rtol=1e-9)


def test_unmappable_parameters_skip_the_oracle_with_a_reason():
    p = {"W": np.ones((5, 3))}  # uses 5 of the 7 input features: no chain of layers from 7 inputs
    m = gradcheck.Model(params=p, forward=lambda X: X[:, :5] @ p["W"],
                        backward=lambda X, Y: {"W": X[:, :5].T @ (X[:, :5] @ p["W"] - Y)}, loss="mse",
                        data=lambda: (np.random.default_rng(0).normal(size=(120, 7)), np.arange(120) % 3))
    r = gradcheck.check(m)
    (c,) = [c for c in r.checks if c.name == "oracle"]
    assert c.status == "skipped" and "do not map" in c.note


# -- the differential ---------------------------------------------------------------

@pytest.mark.parametrize("path, kind, name, variant", [
    ("fixtures/oracle/code_hidden_delta_sign.py", "gradient", "W1", "sign-flipped"),
    ("fixtures/oracle/code_step_rescales.py", "update", "W2", None),
    ("fixtures/seeds/seed003_momentum_on_weights.py", "gradient", "W2", None),
    ("fixtures/seeds/seed002_rashid.py", "gradient", "wih", "no-output-activation-slope"),
    ("fixtures/oracle/forward_sigmoid_twice.py", "forward", "output", None),
])
def test_differential_names_the_first_quantity_that_differs(path, kind, name, variant):
    first = oracle(path).differential.first
    assert (first.kind, first.name, first.variant) == (kind, name, variant)


def test_differential_keeps_the_correct_quantities_correct():
    d = oracle("fixtures/oracle/code_hidden_delta_sign.py").differential
    assert d.get("gradient", "W2").ok and d.get("gradient", "b2").ok
    assert not d.get("gradient", "b1").ok and d.get("gradient", "W1").ratio == pytest.approx(-1.0)
    assert all(q.ok for q in d.quantities if q.kind == "update")  # the step applies the (wrong) gradient faithfully
    assert d.quantities[0].ok


def test_update_rule_rescaling_the_weights_is_measured():
    d = oracle("fixtures/oracle/code_step_rescales.py").differential
    assert all(q.ok for q in d.quantities if q.kind != "update")
    assert d.rescale == pytest.approx(-0.1) and d.update_fit == pytest.approx(1.0)
    assert "multiplied by 0.9" in d.first.note
    assert d.lr == pytest.approx(0.5 / runs.BATCH)  # 0.5 times the mean gradient of 10 samples


@pytest.mark.parametrize("path", ["fixtures/core/rows_mlp.py", "fixtures/core/nielsen_ok.py",
                                  "fixtures/oracle/control_columns_relu.py", "fixtures/seeds/seed000_raw_pixels.py"])
def test_correct_code_has_no_first_difference(path):
    assert oracle(path).differential.first is None


@pytest.mark.parametrize("path, lr, source", [
    ("fixtures/core/rows_mlp.py", 0.05, "your update and your gradient"),   # 0.5 on the mean of 10
    ("fixtures/core/nielsen_ok.py", 3.0, "your update and your gradient"),  # eta 3, one sample a step
    ("fixtures/seeds/seed002_rashid.py", 0.3, "your update"),                # step only: lr from the update
    ("fixtures/seeds/seed000_raw_pixels.py", 1.0, "your update and your gradient"),  # no learning rate at all
])
def test_learning_rate_is_read_from_the_users_update(path, lr, source):
    d = oracle(path).differential
    assert d.lr == pytest.approx(lr) and d.lr_source == source


def test_one_layer_scaled_gradient_is_the_first_difference_with_its_ratio():
    def bug(g, *a):
        g["W2"] = 3 * g["W2"]

    o = evidence_of(mlp(layout="columns", bug=bug))["oracle"]
    first = o.differential.first
    assert (first.kind, first.name, first.layer) == ("gradient", "W2", 2)
    assert first.ratio == pytest.approx(3.0) and first.cosine == pytest.approx(1.0)


# -- side by side, counterfactuals and confirmed fixes --------------------------------

def test_code_bug_reference_learns_and_the_correct_gradient_fixes_the_users_model():
    o = oracle("fixtures/oracle/code_hidden_delta_sign.py")
    d = o.diagnosis
    assert d.verdict == "code"
    assert d.reference.learns and d.reference.final_accuracy > 0.7
    assert d.user.stuck and d.user.final_accuracy < 0.2
    assert d.fixes["reference-gradient"].learns and not d.fixes["plain-sgd"].learns
    assert o.confirmed("gradient-mismatch") is True and o.confirmed("gradient-sign", param="W1") is True
    assert o.confirmed("gradient-mismatch", param="W2") is False  # W2's gradient is the correct one
    assert o.confirmed("rescaled-weights") is False
    assert o.confirmed("unnormalized-inputs") is None  # nothing about the inputs was tried


def test_step_bug_is_confirmed_by_plain_sgd_on_the_users_own_gradient():
    o = oracle("fixtures/oracle/code_step_rescales.py")
    assert o.verdict == "code"
    assert o.fixes["plain-sgd"].learns
    assert o.confirmed("rescaled-weights") is True and o.confirmed("gradient-mismatch") is False


def test_raw_pixels_settings_verdict_and_scaled_inputs_confirmed_on_the_users_model():
    o = oracle("fixtures/oracle/settings_raw_pixels.py")
    d = o.diagnosis
    assert d.verdict == "settings" and not d.user.learns and not d.reference.learns
    assert d.best == ("scaled-inputs",)
    assert o.counterfactuals["scaled-inputs"].learns and o.counterfactuals["scaled-inputs"].accuracy > 0.7
    assert not o.counterfactuals["fan-in-init"].learns
    assert o.fixes["scaled-inputs"].learns and o.fixes["scaled-inputs"].accuracy > 0.7
    assert o.confirmed("unnormalized-inputs") is True and o.confirmed("saturated-activations") is True
    assert o.confirmed("positive-init") is False  # fan-in initialisation alone does not help
    assert o.confirmed("gradient-mismatch") is None


def test_tiny_learning_rate_settings_verdict_and_a_larger_rate_confirmed():
    o = oracle("fixtures/oracle/settings_tiny_lr.py")
    assert o.verdict == "settings"
    assert o.counterfactuals["lr-x10"].learns and not o.counterfactuals["lr-div10"].learns
    assert o.fixes["lr-x10"].learns  # the user's own step, its update scaled x10
    assert o.confirmed("learning-rate-too-small") is True and o.confirmed("learning-rate-too-large") is False


def test_seed000_needs_scaled_inputs_and_fan_in_init_together():
    o = oracle("fixtures/seeds/seed000_raw_pixels.py")
    d = o.diagnosis
    assert d.verdict == "settings"
    assert not any(t.learns for t in d.counterfactuals.values() if len(t.change) == 1)
    assert set(d.best) == {"scaled-inputs", "fan-in-init"}
    assert d.needed == {"scaled-inputs": True, "fan-in-init": True}
    assert d.fixes["scaled-inputs+fan-in-init"].learns
    assert all(o.confirmed(c) is True for c in ("unnormalized-inputs", "positive-init", "saturated-activations"))


def test_seed003_one_hidden_unit_needs_a_wider_layer_on_the_reference():
    o = oracle("fixtures/seeds/seed003_momentum_on_weights.py")
    d = o.diagnosis
    assert d.verdict == "settings" and "wider-hidden" in d.best and d.needed["wider-hidden"]
    assert o.confirmed("bottleneck-layer") is True  # the reference's word: the model cannot be widened
    assert not any("wider-hidden" in t.change for t in d.fixes.values())


@pytest.mark.parametrize("path", ["fixtures/core/rows_mlp.py", "fixtures/oracle/control_columns_relu.py",
                                  "fixtures/seeds/seed002_rashid.py", "fixtures/oracle/forward_sigmoid_twice.py"])
def test_models_that_learn_have_verdict_ok_and_nothing_to_confirm(path):
    o = oracle(path)
    assert o.verdict == "ok" and o.diagnosis.user.learns
    assert o.fixes == {} and o.counterfactuals == {}
    assert o.confirmed("gradient-mismatch") is None and o.confirmed("unnormalized-inputs") is None


def test_per_sample_reference_step_is_the_reference_sgd_step():
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(20, 12)) * (rng.uniform(size=(20, 12)) > 0.6)  # sparse, like pixels
    Y = np.eye(4)[rng.integers(0, 4, 20)]
    for hidden, output, loss in [("tanh", "identity", "cross_entropy"), ("sigmoid", "sigmoid", "mse"),
                                 ("relu", "softmax", "nll")]:
        a = MLP([12, 7, 5, 4], hidden, output, loss, bias=[True, False, True])
        b = MLP([12, 7, 5, 4], hidden, output, loss, bias=[True, False, True])
        for i in range(len(X)):
            a.sgd_step(X[i:i + 1], Y[i:i + 1], 0.3)
            runs.sgd_sample(b, X[i:i + 1], Y[i:i + 1], 0.3)
        for (Wa, ba), (Wb, bb) in zip(a.params, b.params):
            assert np.allclose(Wa, Wb, atol=1e-12) and np.allclose(ba, bb, atol=1e-12)


# -- findings, curves, reproducibility --------------------------------------------------

def test_code_bug_finding_points_at_the_parameter_and_is_confirmed():
    (f,) = judged("fixtures/oracle/code_hidden_delta_sign.py", "training-fails")
    assert f.severity == "error" and f.confirmed is True and f.confidence >= 0.9  # before ranking
    assert f.where.param == "W1" and f.where.function.endswith("backward")
    assert f"reaches {100 * f.evidence['reference_accuracy']:.0f} %" in f.title and "sign-flipped" in f.title
    assert f.evidence["verdict"] == "code" and f.evidence["first_difference"]["name"] == "W1"


def test_summary_ranks_last_and_backs_the_specific_errors():
    findings = fixture("fixtures/oracle/code_hidden_delta_sign.py")[1]
    assert findings[-1].cause == "training-fails" and findings[-1].severity == "info"
    assert findings[0].severity == "error" and findings[0].where.param == "W1"


def test_settings_finding_says_which_change_makes_it_learn():
    (f,) = judged("fixtures/oracle/settings_raw_pixels.py", "training-fails")
    assert f.severity == "error" and f.confirmed is True
    assert "inputs scaled to [0, 1]" in f.title and "your own model" in f.title
    assert f.fix == "use inputs scaled to [0, 1]"
    (g,) = judged("fixtures/oracle/settings_tiny_lr.py", "training-fails")
    assert g.severity == "warning"  # only the learning rate: a batch-size dependent verdict


def test_forward_departure_is_the_root_when_the_backward_is_standard():
    findings = fixture("fixtures/oracle/forward_sigmoid_twice.py")[1]
    assert findings[0].cause == "forward-mismatch" and findings[0].severity == "error"
    assert findings[0].evidence["departs"] == "output-activation"


@pytest.mark.parametrize("path", ["fixtures/core/rows_mlp.py", "fixtures/core/nielsen_ok.py",
                                  "fixtures/oracle/control_columns_relu.py", "fixtures/seeds/seed002_rashid.py"])
def test_correct_controls_get_no_oracle_error(path):
    assert errors(fixture(path)[1]) == []


@pytest.mark.parametrize("layout", ["rows", "columns", "sample"])
@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu"])
def test_correct_test_networks_get_no_oracle_error(layout, hidden):
    ev = evidence_of(mlp(layout=layout, hidden=hidden, loss="mse"))
    assert errors(pipeline.judge(ev)) == []


def test_report_extras_hold_the_side_by_side_curves():
    r = gradcheck.check(fixture_model("fixtures/core/rows_mlp.py"))
    for name in ("loss_curve", "accuracy_curve"):
        curve = r.extras[name]
        assert set(curve) == {"user", "reference"} and len(curve["user"]) == len(curve["reference"]) > 2
    assert r.extras["accuracy_curve"]["user"][-1] > 0.8


def test_runs_are_reproducible_and_leave_the_model_untouched():
    m = fixture_model("fixtures/oracle/settings_raw_pixels.py")
    before = state.fingerprint(m.get_params())
    a, b = evidence_of(m)["oracle"], evidence_of(m)["oracle"]
    assert state.fingerprint(m.get_params()) == before
    assert a.diagnosis.user.accuracy == b.diagnosis.user.accuracy
    assert {k: t.accuracy for k, t in a.fixes.items()} == {k: t.accuracy for k, t in b.fixes.items()}


def test_explain_documents_the_oracle_causes():
    for name in ORACLE_CAUSES:
        doc = gradcheck.api.explain(name)
        for section in ("## What it does", "## Why is this bad?", "## Example", "Use instead:", "## Confidence"):
            assert section in doc, (name, section)


# -- the API other causes use, and unusual models -------------------------------------

def test_module_level_confirmed_and_effect():
    from gradcheck.probes.oracle import confirmed

    ev = fixture("fixtures/oracle/settings_raw_pixels.py")[0]
    assert confirmed(ev, "unnormalized-inputs") is True
    assert confirmed(probes.Evidence(None), "unnormalized-inputs") is None  # no oracle evidence
    before, after = ev["oracle"].effect("scaled-inputs")
    assert before < 0.2 and after > 0.7
    assert ev["oracle"].effect("wider-hidden") == (before, None)  # not tried


def _plain_net(**kw):
    from nets import Net

    return Net((784, 20, 10), "rows", "sigmoid", "cross_entropy", 0, np.float64, None, **kw)


def test_a_model_without_step_is_trained_with_plain_sgd_on_its_backward():
    net = _plain_net()
    o = evidence_of(gradcheck.Model(params=net.params, forward=net.forward, backward=net.backward,
                                    loss="cross_entropy"))["oracle"]
    assert o.differential.lr_source == "none" and o.verdict == "ok"
    assert o.diagnosis.user.accuracy == o.diagnosis.reference.accuracy  # same SGD, same numbers


def test_a_step_only_rows_model_gives_its_learning_rate():
    net = _plain_net(lr=0.05)
    o = evidence_of(gradcheck.Model(params=net.params, forward=net.forward, step=net.step,
                                    loss="cross_entropy"))["oracle"]
    assert o.differential.lr == pytest.approx(0.05) and o.verdict == "ok"


def test_regression_targets_are_judged_by_the_held_out_loss():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 5))
    y = np.sin(X[:, 0]) + 0.5 * X[:, 1]
    p = {"W1": rng.normal(0, 0.5, (5, 16)), "b1": np.zeros(16), "W2": rng.normal(0, 0.25, (16, 1)), "b2": np.zeros(1)}

    def forward(X):
        return np.tanh(X @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]

    def backward(X, Y):
        h = np.tanh(X @ p["W1"] + p["b1"])
        d2 = (h @ p["W2"] + p["b2"] - Y) / len(X)
        d1 = d2 @ p["W2"].T * (1 - h ** 2)
        return {"W1": X.T @ d1, "b1": d1.sum(0), "W2": h.T @ d2, "b2": d2.sum(0)}

    def step(X, Y):
        for k, g in backward(X, Y).items():
            p[k] -= 0.1 * g

    o = evidence_of(gradcheck.Model(params=p, forward=forward, backward=backward, step=step, loss="mse",
                                    data=lambda: (X, y)))["oracle"]
    d = o.diagnosis
    assert not d.user.classification and d.user.final_accuracy is None
    assert d.verdict == "ok" and d.user.final_loss < 0.5 * d.user.loss[0]


def test_a_step_that_raises_mid_run_is_reported_as_code_raises():
    net = _plain_net()
    calls = [0]

    def step(X, Y):
        calls[0] += 1
        if calls[0] > 60:
            raise RuntimeError("index out of range after a while")
        net.step(X, Y)

    r = gradcheck.check(gradcheck.Model(params=net.params, forward=net.forward, backward=net.backward, step=step,
                                        loss="cross_entropy"))
    assert "code-raises" in [f.cause for f in r.errors]


def test_the_pipeline_marks_other_causes_confirmed_from_the_oracle():
    findings = {f.cause: f for f in fixture("fixtures/oracle/settings_raw_pixels.py")[1]}
    if "unnormalized-inputs" in findings:  # reported by the inputs probe
        assert findings["unnormalized-inputs"].confirmed is True
    findings = {f.cause: f for f in fixture("fixtures/oracle/code_hidden_delta_sign.py")[1]}
    assert any(f.confirmed is True for c, f in findings.items() if c.startswith("gradient-"))


def test_headline_of_a_code_verdict_names_the_stage_it_points_at():
    from gradcheck.rank import headline

    (f,) = judged("fixtures/oracle/code_step_rescales.py", "training-fails")
    assert headline([f]).startswith("Your update rule is wrong")
    (g,) = judged("fixtures/oracle/settings_raw_pixels.py", "training-fails")
    assert headline([g]).startswith("Your input data is the problem")
