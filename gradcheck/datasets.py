"""Data gradcheck can run a model on: the bundled MNIST sample, or the user's file.

Nothing is ever downloaded. ``bundled()`` reads the 2,000-digit sample shipped in
``gradcheck/_data`` (see its ATTRIBUTION.md). ``load(path)`` reads the formats
people train MNIST networks from: the label-first CSV of ``mnist_train.csv``
(or label-last), Nielsen's ``mnist.pkl.gz``, and ``.npz`` archives.

Pixel data stored as 0-255 is brought to [0, 1], as the common loaders do: to
check a model on inputs exactly as *its* code prepares them, give
``Model(data=...)`` instead.
"""
from __future__ import annotations

import gzip
import os
import pickle
from functools import lru_cache
from importlib import resources

import numpy as np

from gradcheck.batch import BadData


@lru_cache(maxsize=1)
def _bundled_raw() -> tuple[np.ndarray, np.ndarray]:
    with resources.files("gradcheck").joinpath("_data/mnist_sample.npz").open("rb") as f:
        z = np.load(f)
        return z["images"], z["labels"].astype(np.int64)


def bundled(scale: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(X (2000, 784), labels (2000,)): pixels in [0, 1] (or raw uint8 with scale=False)."""
    images, labels = _bundled_raw()
    return (images / 255.0 if scale else images.copy()), labels.copy()


def _scaled(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X)
    if X.size and np.issubdtype(X.dtype, np.number) and X.max() > 1.5 and X.min() >= 0 and X.max() <= 255:
        return X.astype(np.float64) / 255.0
    return X.astype(np.float64)


def load(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """(X (n, features) float64, labels (n,) int) from a data file."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise BadData(f"data file {path} does not exist.")
    name = path.lower()
    try:
        if name.endswith(".pkl.gz") or name.endswith(".pkl") or name.endswith(".pickle"):
            return _load_pickle(path)
        if name.endswith(".npz"):
            return _load_npz(path)
        if name.endswith(".csv") or name.endswith(".csv.gz") or name.endswith(".txt"):
            return _load_csv(path)
    except BadData:
        raise
    except Exception as e:  # noqa: BLE001 - a corrupt file is bad input, not a crash
        raise BadData(f"could not read {path}: {type(e).__name__}: {e}") from e
    raise BadData(f"{path}: unknown data format; use a label-first CSV (mnist_train.csv), "
                  "Nielsen's mnist.pkl.gz or an .npz with arrays X and y.")


def _load_csv(path: str) -> tuple[np.ndarray, np.ndarray]:
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        rows = np.loadtxt(f, delimiter=",", ndmin=2)
    if rows.shape[1] < 2:
        raise BadData(f"{path}: expected a label and pixel values on each line.")
    first, last = rows[:, 0], rows[:, -1]

    def looks_like_labels(c: np.ndarray) -> bool:
        return bool(np.allclose(c, np.round(c)) and c.min() >= 0 and c.max() <= 9)

    if looks_like_labels(first) and not (looks_like_labels(last) and last.max() > first.max()):
        return _scaled(rows[:, 1:]), first.astype(np.int64)
    return _scaled(rows[:, :-1]), last.astype(np.int64)


def _load_pickle(path: str) -> tuple[np.ndarray, np.ndarray]:
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        obj = pickle.load(f, encoding="latin1")
    if isinstance(obj, tuple) and len(obj) == 3 and isinstance(obj[0], tuple):
        obj = obj[0]  # (training, validation, test): take training
    if isinstance(obj, tuple) and len(obj) == 2:
        X, y = obj
        return _scaled(np.asarray(X).reshape(len(X), -1)), np.asarray(y).astype(np.int64).reshape(-1)
    raise BadData(f"{path}: expected (X, y) or Nielsen's (training, validation, test) tuples.")


def _load_npz(path: str) -> tuple[np.ndarray, np.ndarray]:
    z = np.load(path)
    keys = {k.lower(): k for k in z.files}
    xk = next((keys[k] for k in ("x", "x_train", "images", "data", "inputs") if k in keys), None)
    yk = next((keys[k] for k in ("y", "y_train", "labels", "targets", "target") if k in keys), None)
    if xk is None or yk is None:
        raise BadData(f"{path}: an .npz needs arrays named X (or x_train, images) and y (or y_train, labels); "
                      f"it has {', '.join(z.files)}.")
    X = np.asarray(z[xk])
    y = np.asarray(z[yk])
    if y.ndim == 2:
        y = y.argmax(axis=1)
    return _scaled(X.reshape(len(X), -1)), y.astype(np.int64)
