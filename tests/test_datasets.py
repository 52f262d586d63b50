"""Data: the bundled sample and the user's own files (--data), nothing downloaded."""
import gzip
import json
import os
import pickle

import numpy as np
import pytest
from typer.testing import CliRunner

from gradcheck import datasets
from gradcheck.batch import BadData
from gradcheck.cli import app
from conftest import ROOT


def test_bundled_sample():
    X, y = datasets.bundled()
    assert X.shape == (2000, 784) and X.min() == 0 and X.max() == 1
    assert sorted(np.bincount(y)) == [200] * 10
    raw, _ = datasets.bundled(scale=False)
    assert raw.dtype == np.uint8 and raw.max() == 255


@pytest.fixture
def digits():
    X, y = datasets.bundled(scale=False)
    return X[:50], y[:50]


def test_label_first_csv(tmp_path, digits):
    X, y = digits
    p = tmp_path / "mnist_train.csv"
    np.savetxt(p, np.column_stack([y, X]), fmt="%d", delimiter=",")
    Xl, yl = datasets.load(p)
    assert np.array_equal(yl, y) and np.allclose(Xl, X / 255.0)


def test_label_last_csv_gz(tmp_path, digits):
    X, y = digits
    p = tmp_path / "digits.csv.gz"
    with gzip.open(p, "wt") as f:
        np.savetxt(f, np.column_stack([X, y]), fmt="%d", delimiter=",")
    Xl, yl = datasets.load(p)
    assert np.array_equal(yl, y) and Xl.shape == (50, 784)


def test_nielsen_pickle(tmp_path, digits):
    X, y = digits
    p = tmp_path / "mnist.pkl.gz"
    split = (X / 255.0).astype(np.float32), y
    with gzip.open(p, "wb") as f:
        pickle.dump((split, split, split), f)
    Xl, yl = datasets.load(p)
    assert np.array_equal(yl, y) and np.allclose(Xl, X / 255.0, atol=1e-6)


def test_npz(tmp_path, digits):
    X, y = digits
    p = tmp_path / "d.npz"
    np.savez(p, x_train=X.reshape(-1, 28, 28), y_train=y)
    Xl, yl = datasets.load(p)
    assert Xl.shape == (50, 784) and np.array_equal(yl, y)


@pytest.mark.parametrize("content,name", [("not,a\n", "bad.csv"), ("", "x.unknown")])
def test_bad_data_files(tmp_path, content, name):
    p = tmp_path / name
    p.write_text(content)
    with pytest.raises(BadData):
        datasets.load(p)


def test_cli_data_option(tmp_path, digits):
    X, y = digits
    p = tmp_path / "mnist_train.csv"
    np.savetxt(p, np.column_stack([y, X]), fmt="%d", delimiter=",")
    r = CliRunner().invoke(app, ["run", os.path.join(ROOT, "fixtures/core/rows_mlp.py"), "--data", str(p),
                                 "--format", "json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["checks"][0]["note"] == "50 samples"
    r = CliRunner().invoke(app, ["run", os.path.join(ROOT, "fixtures/core/rows_mlp.py"), "--data", "nope.csv"])
    assert r.exit_code == 2 and "does not exist" in r.output
