"""Activations, inputs, initialisation, capacity and sample leakage: the right cause, and silence on correct nets."""
import functools
import os

import numpy as np
import pytest

import gradcheck
from gradcheck import api, probes
from gradcheck.causes import all_causes
from gradcheck.session import prepare
from conftest import ROOT
from nets import mlp

DYN = os.path.join(ROOT, "fixtures", "dynamics")
SEEDS = os.path.join(ROOT, "fixtures", "seeds")

OURS = {"saturated-activations", "dead-relu", "unnormalized-inputs", "integer-overflow", "target-range",
        "positive-init", "symmetric-init", "init-scale", "bottleneck-layer", "softmax-axis"}

# fixture::model -> (the cause it plants, must that cause rank first?, other causes that must be reported)
PLANTED = {
    "saturated_bias.py::biased_sigmoids": ("saturated-activations", True, ()),
    "dead_relu.py::model": ("dead-relu", True, ()),
    "unnormalized_inputs.py::model": ("unnormalized-inputs", True, ("saturated-activations",)),
    "integer_overflow.py::model": ("integer-overflow", True, ()),
    "target_range.py::sigmoid_toward_minus_one": ("target-range", True, ()),
    "target_range.py::tanh_regression": ("target-range", True, ()),
    "positive_init.py::neuralNetwork": ("positive-init", True, ("saturated-activations",)),
    "symmetric_init.py::zeros": ("symmetric-init", True, ()),
    "symmetric_init.py::constant": ("symmetric-init", True, ()),
    "init_scale.py::too_large": ("init-scale", True, ("saturated-activations",)),
    "init_scale.py::too_small": ("init-scale", True, ()),
    "bottleneck.py::model": ("bottleneck-layer", True, ()),
    "softmax_axis.py::over_batch": ("softmax-axis", True, ()),
    "softmax_axis.py::single_column": ("softmax-axis", True, ()),
}
CONTROLS = ["control_rows.py", "control_columns.py", "control_sample.py", "control_rescale_inside.py"]


@functools.lru_cache(maxsize=None)
def report(target):
    (r,) = api.check_file(target)
    return r


def our_errors(r):
    return [(f.cause, f.where.param) for f in r.findings if f.cause in OURS and f.severity == "error"]


@pytest.mark.parametrize("target", sorted(PLANTED))
def test_planted_cause_is_reported(target):
    cause, first, also = PLANTED[target]
    r = report(os.path.join(DYN, target))
    causes = [f.cause for f in r.findings if f.severity == "error"]
    assert cause in causes, r
    if first:
        assert r.findings[0].cause == cause, r
    for c in also:
        assert c in r.causes(), r


@pytest.mark.parametrize("name", CONTROLS)
def test_dynamics_controls_are_silent(name):
    r = report(os.path.join(DYN, name))
    # a control written with np.matrix rightly keeps its matrix-type warning
    assert our_errors(r) == [] and [f for f in r.findings if f.cause != "matrix-type"] == [], r


@pytest.mark.parametrize("path", ["fixtures/core/nielsen_ok.py", "fixtures/core/rows_mlp.py",
                                  "fixtures/seeds/seed002_rashid.py"])
def test_correct_fixtures_get_no_error_from_these_causes(path):
    assert our_errors(report(os.path.join(ROOT, path))) == []


@pytest.mark.parametrize("layout", ["rows", "columns", "sample"])
@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_correct_nets_get_no_finding_from_these_causes(layout, hidden, loss):
    r = gradcheck.check(mlp(layout=layout, hidden=hidden, loss=loss))
    assert [f.cause for f in r.findings if f.cause in OURS] == [], r


def test_seed000_unnormalized_inputs_first_with_saturation_and_positive_init():
    r = report(os.path.join(SEEDS, "seed000_raw_pixels.py"))
    assert r.findings[0].cause == "unnormalized-inputs", r
    assert {"saturated-activations", "positive-init"} <= set(r.causes())
    sat = next(f for f in r.findings if f.cause == "saturated-activations")
    assert sat.evidence["layer"] == 1 and sat.evidence["saturated_fraction"] > 0.95
    assert "%" in sat.title and "0..255" in sat.title
    assert {f.where.param for f in r.findings if f.cause == "positive-init"} >= {"w_hidden"}


def test_seed003_symmetric_init_and_bottleneck():
    r = report(os.path.join(SEEDS, "seed003_momentum_on_weights.py"))
    assert {"symmetric-init", "bottleneck-layer"} <= set(r.causes()), r
    b = next(f for f in r.findings if f.cause == "bottleneck-layer")
    assert b.evidence["units"] == 1 and b.evidence["outputs"] == 10


def test_nielsen_book_init_is_a_warning_not_an_error():
    r = report(os.path.join(ROOT, "fixtures/core/nielsen_ok.py"))
    scale = [f for f in r.findings if f.cause == "init-scale"]
    assert scale and all(f.severity == "warning" for f in scale)
    assert scale[0].where.param == "W1" and scale[0].evidence["ratio"] > 20


def test_every_cause_here_is_documented():
    causes = all_causes()
    for name in OURS:
        doc = causes[name].doc
        for section in ("## What it does", "## Why is this bad?", "## Example", "Use instead:", "onfidence"):
            assert section in doc, (name, section)


# -- probes ---------------------------------------------------------------------

def run_probes(model, upto):
    s = prepare(model)
    ev = probes.Evidence(s)
    for name in probes.PROBES:
        mod = probes.load(name)
        if all(r in ev for r in mod.REQUIRES):
            try:
                ev.items[name] = mod.run(s, ev)
            except probes.ProbeSkipped:
                pass
        if name == upto:
            break
    return s, ev


@pytest.mark.parametrize("layout", ["rows", "columns", "sample"])
@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu"])
def test_activations_captured_from_user_arrays_without_the_reference(layout, hidden):
    """With the reference out of the picture, the kind comes from the user's own arrays."""
    from gradcheck.probes import activations

    s, ev = run_probes(mlp(layout=layout, hidden=hidden), "init")
    arch = ev["architecture"]
    ev.items["architecture"] = type(arch)(**{**arch.__dict__, "matched": False, "architecture": None})
    acts = activations.run(s, ev)
    (L,) = acts.layers
    assert (L.layer, L.size, L.kind, L.source) == (1, 20, hidden, "captured")
    assert L.kind_from in ("pairing", "values")
    net = s.model.net
    X = np.asarray(s.batch(acts.n).X, dtype=np.float64)
    z = X @ net.W1 + net.b1 if layout == "rows" else (net.W1 @ X.T + net.b1).T
    np.testing.assert_allclose(L.a, net.f(z), rtol=1e-12)


def test_reference_activations_agree_with_captured_ones():
    s, ev = run_probes(mlp(layout="columns", hidden="tanh"), "activations")
    (L,) = ev["activations"].layers
    assert (L.kind, L.kind_from, L.source) == ("tanh", "reference", "captured")


def test_classify_by_values():
    from gradcheck.probes.activations import classify

    z = np.random.default_rng(0).normal(size=(50, 8))
    assert classify(1 / (1 + np.exp(-z))) == "sigmoid"
    assert classify(np.tanh(z)) == "tanh"
    assert classify(np.maximum(z, 0)) == "relu"
    assert classify(3 * z) is None
    assert classify(np.ones((5, 3))) == "sigmoid"       # saturated
    assert classify(np.zeros((5, 3))) is None           # cannot tell


@pytest.mark.parametrize("layout", ["rows", "columns"])
def test_fan_in_from_shapes_not_names(layout):
    m = mlp(layout=layout, sizes=(784, 30, 10))
    net = m.net
    m.params = lambda: {"alpha": net.W1, "beta": net.b1, "gamma": net.W2, "delta": net.b2}

    def bwd(X, Y):
        g = net.backward(X, Y)
        return {"alpha": g["W1"], "beta": g["b1"], "gamma": g["W2"], "delta": g["b2"]}

    m.backward = bwd
    _, ev = run_probes(m, "init")
    w = ev["init"].weights
    assert list(w) == ["alpha", "gamma"]
    assert (w["alpha"].fan_in, w["alpha"].units, w["gamma"].fan_in, w["gamma"].units) == (784, 30, 30, 10)
    assert 0.8 < w["alpha"].scale_ratio < 1.2


def test_no_leak_on_a_correct_batch_network():
    _, ev = run_probes(mlp(layout="rows"), "leakage")
    lk = ev["leakage"]
    assert lk.leak == 0.0 and not lk.batch_sums_to_one and lk.input_change > 0


def test_uint8_inputs_handled_exactly_are_only_a_warning():
    X, y = gradcheck.datasets.bundled(scale=False)
    m = mlp(layout="rows", data=lambda: (X[:200].astype(np.uint8), y[:200]))
    inner = m.forward
    m.forward = lambda A: inner(A / 255.0)

    def bwd(A, Y):
        return m.net.backward(A / 255.0, Y)

    m.backward = bwd
    r = gradcheck.check(m)
    found = {f.cause: f for f in r.findings}
    assert found["integer-overflow"].severity == "warning"
    assert "unnormalized-inputs" not in found, r
    assert our_errors(r) == []


def test_integer_overflow_fixture_names_the_forward():
    r = report(os.path.join(DYN, "integer_overflow.py"))
    f = r.findings[0]
    assert f.where.function and f.where.function.endswith("forward")
    assert f.evidence["output_diff"] > 1e-3


def with_unmappable_param(m):
    """A 0-D parameter stops the layer mapping: only the forward's own arrays are left."""
    net, temp, bk = m.net, np.array(1.0), m.net.backward
    m.params = lambda: {**net.params(), "temp": temp}
    m.backward = lambda X, Y: {**bk(X, Y), "temp": np.array(0.0)}
    return m


@pytest.mark.parametrize("layout", ["rows", "sample"])
def test_dead_relu_found_from_captured_arrays_when_layers_cannot_be_mapped(layout):
    m = with_unmappable_param(mlp(layout=layout, hidden="relu"))
    m.net.b1[...] = -3.0
    r = gradcheck.check(m)
    f = next(f for f in r.findings if f.cause == "dead-relu")
    assert f.severity == "error" and f.evidence["dead_units"] == 20 and f.evidence["source"] == "captured"
    assert any("read from the arrays the forward computes" in n for n in r.notes)


def test_saturation_found_from_captured_arrays_when_layers_cannot_be_mapped():
    m = with_unmappable_param(mlp(layout="columns", hidden="tanh"))
    m.net.W1 *= 200
    r = gradcheck.check(m)
    f = next(f for f in r.findings if f.cause == "saturated-activations")
    assert f.severity == "error" and f.evidence["saturated_fraction"] > 0.9
    assert f.evidence["source"] == "captured" and f.evidence["kind_from"] in ("pairing", "values")
