"""The training probe and the update causes: each fixture's labelled cause on the right parameter,
and no error finding from these causes on correct networks in every layout."""
import glob
import os
import re

import numpy as np
import pytest

import gradcheck
from conftest import ROOT
from gradcheck import rank
from gradcheck.report import Finding
from nets import mlp

OURS = {"dead-updates", "rescaled-weights", "update-direction", "learning-rate-too-small",
        "learning-rate-too-large", "update-aliasing", "param-shape-changed", "cannot-overfit"}
FIXTURES = sorted(glob.glob(os.path.join(ROOT, "fixtures", "training", "*.py")))
MARK = re.compile(r"#\s*\[([a-z-]+)(?::(\w+))?\]")


def marker(path):
    """The ``# [cause:param]`` marker on the buggy line, or None for a control."""
    with open(path) as f:
        m = MARK.search(f.read())
    return (m.group(1), m.group(2)) if m else None


def our_errors(report):
    return [(f.cause, f.where.param) for f in report.findings if f.severity == "error" and f.cause in OURS]


def params_of(f):
    return {f.where.param, f.evidence.get("param"), *f.evidence.get("params", [])} - {None}


BUGGY = [p for p in FIXTURES if marker(p)]
CONTROLS = [p for p in FIXTURES if not marker(p)]


def test_every_cause_has_a_fixture_and_every_layout_a_control():
    assert {marker(p)[0] for p in BUGGY} == OURS
    layouts = set()
    for p in CONTROLS:
        with open(p) as f:
            layouts |= set(re.findall(r'layout="(\w+)"', f.read()))
    assert layouts == {"rows", "columns", "sample"}


@pytest.mark.parametrize("path", BUGGY, ids=os.path.basename)
def test_fixture_gets_its_cause_on_the_right_parameter(path):
    cause, param = marker(path)
    (r,) = gradcheck.check_file(path)
    hits = [f for f in r.findings if f.cause == cause]
    assert hits, [(f.cause, f.where.param) for f in r.findings]
    if param:
        assert param in params_of(hits[0]), (hits[0].where, hits[0].evidence)
    # it is the first of this module's causes in the ranking (others it explains come after)
    ours = [f.cause for f in r.findings if f.cause in OURS]
    assert ours[0] == cause, ours


@pytest.mark.parametrize("path", CONTROLS, ids=os.path.basename)
def test_control_fixture_has_no_error(path):
    (r,) = gradcheck.check_file(path)
    assert our_errors(r) == [], r


@pytest.mark.parametrize("path", ["seeds/seed002_rashid.py", "core/nielsen_ok.py", "core/rows_mlp.py"])
def test_correct_seed_and_core_fixtures_have_no_error_from_these_causes(path):
    (r,) = gradcheck.check_file(os.path.join(ROOT, "fixtures", path))
    assert our_errors(r) == [], r


def test_seed003_momentum_on_the_weights_is_rescaled_weights():
    (r,) = gradcheck.check_file(os.path.join(ROOT, "fixtures/seeds/seed003_momentum_on_weights.py"))
    f = next(f for f in r.findings if f.cause == "rescaled-weights")
    assert f.severity == "error"
    assert {"W1", "W2"} <= params_of(f)
    assert f.evidence["factor"] == pytest.approx(0.9, abs=0.01)


def test_seed000_full_gradient_step_is_learning_rate_too_large():
    (r,) = gradcheck.check_file(os.path.join(ROOT, "fixtures/seeds/seed000_raw_pixels.py"))
    f = next(f for f in r.findings if f.cause == "learning-rate-too-large")
    assert f.severity == "error" and f.where.param == "w_out"
    assert "no learning rate" in f.title


@pytest.mark.parametrize("layout", ["rows", "columns", "sample"])
@pytest.mark.parametrize("hidden,loss", [("sigmoid", "cross_entropy"), ("tanh", "cross_entropy"),
                                         ("relu", "cross_entropy"), ("sigmoid", "mse")])
def test_correct_test_networks_have_no_error_from_these_causes(layout, hidden, loss):
    assert our_errors(gradcheck.check(mlp(layout=layout, hidden=hidden, loss=loss))) == []


@pytest.mark.parametrize("layout", ["rows", "columns", "sample"])
def test_step_only_and_float32_networks_have_no_error_from_these_causes(layout):
    assert our_errors(gradcheck.check(mlp(layout=layout, with_backward=False))) == []
    assert our_errors(gradcheck.check(mlp(layout=layout, dtype=np.float32))) == []


@pytest.mark.parametrize("layout", ["rows", "columns", "sample"])
def test_planted_ascent_is_update_direction_in_every_layout(layout):
    m = mlp(layout=layout)
    net = m.net

    def ascent(X, Y):
        for k, v in net.backward(X, Y).items():
            setattr(net, k, getattr(net, k) + net.lr * v)
    m.step = ascent
    r = gradcheck.check(m)
    f = next(f for f in r.findings if f.cause == "update-direction")
    assert f.severity == "error"


def test_loss_curves_are_in_the_report_extras_and_initial_loss_is_noted():
    r = gradcheck.check(mlp())
    loss, acc = r.extras["loss_curve"]["user"], r.extras["accuracy_curve"]["user"]
    assert len(loss) == len(acc) > 10 and all(np.isfinite(loss))
    assert loss[-1] < loss[0]
    assert any("ln 10" in n for n in r.notes)


def test_training_leaves_the_weights_and_the_optimiser_state_as_found():
    path = os.path.join(ROOT, "fixtures/training/control_adamw_dict.py")
    (found,) = gradcheck.api.discover.find(path)
    m = gradcheck.api.discover.build(found)
    net = m.step.__self__
    before = {k: v.copy() for k, v in net.p.items()}
    gradcheck.check(m)
    assert net.t == 0 and all(np.array_equal(before[k], net.p[k]) for k in before)
    assert all(not v.any() for v in net.m.values())


def test_params_given_as_a_stale_dict_are_noted_not_reported_dead():
    m = mlp()
    m.params = m.net.params()          # the step rebinds the attributes: this dict goes stale
    r = gradcheck.check(m)
    assert "dead-updates" not in r.causes()
    assert any("params does not return" in n for n in r.notes)


def test_cannot_overfit_is_dropped_when_a_specific_cause_explains_it():
    def f(cause, severity="error"):
        return Finding(cause=cause, severity=severity, confidence=0.9, title=cause, fix="")
    assert [x.cause for x in rank.rank([f("cannot-overfit"), f("dead-updates")])] == ["dead-updates"]
    assert [x.cause for x in rank.rank([f("cannot-overfit"), f("saturated-activations", "warning")])] == [
        "saturated-activations"]
    assert [x.cause for x in rank.rank([f("cannot-overfit")])] == ["cannot-overfit"]


def test_every_update_cause_is_documented_with_thresholds_and_confidence():
    from gradcheck.causes import all_causes
    for name in OURS:
        doc = all_causes()[name].doc
        for section in ("## What it does", "## Why is this bad?", "## Example", "## Confidence"):
            assert section in doc, (name, section)
        assert "Use instead" in doc and ("## Thresholds" in doc or "Thresholds" in doc), name


def planted(kind, layout):
    """A correct tests/nets.py network whose step has one planted update bug."""
    m = mlp(layout=layout, hidden="tanh")
    net, acc = m.net, {}

    def rescaled(X, Y):
        for k, v in net.backward(X, Y).items():
            setattr(net, k, 0.9 * getattr(net, k) - net.lr * v)

    def biases_left_out(X, Y):
        g = net.backward(X, Y)
        for k in ("W1", "W2"):
            setattr(net, k, getattr(net, k) - net.lr * g[k])

    def accumulated(X, Y):
        for k, v in net.backward(X, Y).items():
            acc[k] = acc.get(k, 0) + v
            setattr(net, k, getattr(net, k) - net.lr * acc[k])

    if kind == "learning-rate-too-small":
        net.lr = m.learning_rate = 1e-7
    elif kind == "learning-rate-too-large":
        net.lr = m.learning_rate = 20.0 if layout == "sample" else 50.0
    else:
        m.step = {"rescaled-weights": rescaled, "dead-updates": biases_left_out, "update-aliasing": accumulated}[kind]
    return m


@pytest.mark.parametrize("layout", ["rows", "columns", "sample"])
@pytest.mark.parametrize("kind", ["rescaled-weights", "dead-updates", "update-aliasing", "learning-rate-too-small",
                                  "learning-rate-too-large"])
def test_planted_update_bug_is_the_first_update_cause_in_every_layout(kind, layout):
    r = gradcheck.check(planted(kind, layout))
    ours = [f for f in r.findings if f.cause in OURS]
    assert ours and ours[0].cause == kind, [(f.cause, f.severity) for f in ours]
    if kind == "dead-updates":
        assert set(ours[0].evidence["params"]) == {"b1", "b2"}
    if kind == "learning-rate-too-small":
        # a summed gradient on batches of 16 may be right for bigger batches: only a warning there
        assert ours[0].severity == ("error" if layout == "sample" else "warning")
        assert ours[0].evidence["healthy_learning_rate"][0] > 1e-5
