"""label-encoding: class targets read from the user's own data()."""
import os

import numpy as np
import pytest

import gradcheck
from gradcheck import api, datasets
from gradcheck.causes.data.label_encoding import encoding
from conftest import ROOT
from nets import mlp

DATA = os.path.join(ROOT, "fixtures", "data")


def test_dropped_digit_is_reported_first_at_the_data_function():
    (r,) = api.check_file(os.path.join(DATA, "label_encoding_digit0_dropped.py"))
    f = r.findings[0]
    assert f.cause == "label-encoding" and f.severity == "error"
    assert f.evidence["kind"] == "no_class" and f.evidence["share"] == pytest.approx(0.1)
    assert f.where.function == "load"


def test_smoothed_one_hot_control_is_clean():
    (r,) = api.check_file(os.path.join(DATA, "label_encoding_ok_smoothed.py"))
    assert "label-encoding" not in r.causes() and r.errors == []


def test_encoding_reads_rows():
    Y = np.eye(4)[[0, 1, 2, 3, 1]]
    Y[1, 3] = 1.0                      # two classes
    Y[2] = 0.0                         # no class
    e = encoding(Y)
    assert e["several"].tolist() == [False, True, False, False, False]
    assert e["no_class"].tolist() == [False, False, True, False, False]
    assert not e["constant"]


@pytest.mark.parametrize("targets,kind", [
    (lambda lab: np.tile(np.eye(10)[3], (len(lab), 1)), "constant"),
    (lambda lab: np.eye(10)[lab] + np.eye(10)[(lab + 1) % 10], "several"),
])
def test_planted_encodings_in_user_data(targets, kind):
    X, labels = datasets.bundled()
    m = mlp(layout="rows", loss="mse")
    m.data = lambda: (X[:400], targets(labels[:400]))
    r = gradcheck.check(m)
    f = next(f for f in r.findings if f.cause == "label-encoding")
    assert f.severity == "error"
    assert kind == "constant" and "same row" in f.title or f.evidence.get("kind") == kind


def test_integer_labels_and_bundled_data_are_not_judged():
    X, labels = datasets.bundled()
    m = mlp(layout="rows")
    m.data = lambda: (X[:400], labels[:400])
    assert "label-encoding" not in gradcheck.check(m).causes()
    assert "label-encoding" not in gradcheck.check(mlp(layout="columns")).causes()
