"""Batches of data, and moving them between gradcheck's rows and the user's layout.

Internally a batch is always *rows*: ``X`` is (n, features) in the user's own
dtype and values, ``Y`` is (n, k) float targets. ``to_layout`` gives what the
user's functions take: rows, columns (features, n), or a list of (features, 1)
samples.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np


class BadData(ValueError):
    """The data cannot be understood: a bad-input error."""


@dataclass
class Batch:
    X: np.ndarray
    """(n, features), the user's dtype and values."""
    Y: np.ndarray
    """(n, k) float64 targets (one-hot, or the user's own floats)."""
    labels: np.ndarray
    """(n,) integer classes (argmax of Y when targets were given as floats)."""

    @property
    def n(self) -> int:
        return len(self.X)

    def take(self, idx: Any) -> "Batch":
        return Batch(self.X[idx], self.Y[idx], self.labels[idx])

    def inputs(self, layout: str) -> Any:
        return to_layout(self.X, layout)

    def targets(self, layout: str) -> Any:
        return to_layout(self.Y, layout)


def to_layout(rows: np.ndarray, layout: str) -> Any:
    if layout == "rows":
        return rows
    if layout == "columns":
        return np.ascontiguousarray(rows.T)
    return [r.reshape(-1, 1) for r in rows]


def _as_rows_X(X: Any, layout: str, input_sizes: Sequence[int]) -> np.ndarray:
    if isinstance(X, (list, tuple)):
        X = np.stack([np.asarray(x).reshape(-1) for x in X])
    X = np.asarray(X)
    if X.ndim == 1:
        X = X.reshape(1, -1)
    if X.ndim > 2:
        X = X.reshape(X.shape[0], -1)
    if layout == "columns":
        return X.T
    if layout == "sample" and input_sizes:
        if X.shape[1] not in input_sizes and X.shape[0] in input_sizes:
            return X.T
    return X


def _as_rows_y(y: Any, n: int, layout: str) -> np.ndarray:
    if isinstance(y, (list, tuple)):
        y = np.stack([np.asarray(v).reshape(-1) for v in y]) if np.ndim(y[0]) > 0 else np.asarray(y)
    y = np.asarray(y)
    if y.ndim == 2 and 1 in y.shape:
        y = y.reshape(-1) if y.size == n else y
    if y.ndim == 2 and y.shape[0] != n and y.shape[1] == n:
        y = y.T
    if y.ndim == 3:
        y = y.reshape(y.shape[0], -1)
    return y


def make_batch(X: Any, y: Any, layout: str, n_out: int | None, input_sizes: Sequence[int] = ()) -> Batch:
    """Normalise ``data()``'s (X, y) into a rows Batch.

    ``y`` holds integer class labels (one-hot encoded to ``n_out`` classes) or a
    float array of targets used as they are.
    """
    Xr = _as_rows_X(X, layout, input_sizes)
    yr = _as_rows_y(y, len(Xr), layout)
    if len(yr) != len(Xr):
        raise BadData(f"data() returned {len(Xr)} inputs but {len(yr)} targets.")
    if yr.ndim == 1:
        if not np.all(np.isfinite(yr.astype(float))) or not np.allclose(yr, np.round(yr)):
            k = n_out or 1
            if k != 1:
                raise BadData("data() returned 1-D targets that are not integer class labels.")
            Y = yr.astype(np.float64).reshape(-1, 1)
            return Batch(Xr, Y, np.zeros(len(Xr), dtype=int))
        labels = yr.astype(int)
        k = n_out or int(labels.max()) + 1
        if labels.min() < 0 or labels.max() >= k:
            raise BadData(f"labels range {labels.min()}..{labels.max()} but the network has {k} outputs.")
        Y = np.eye(k)[labels]
        return Batch(Xr, Y, labels)
    Y = yr.astype(np.float64)
    return Batch(Xr, Y, np.argmax(Y, axis=1))
