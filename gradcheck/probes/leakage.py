"""Leakage probe: does one sample's output depend on the other samples of the batch?

A network maps each sample to its output on its own. The probe runs the
forward on a batch of 8, again on the same batch (to learn the forward's own
noise: dropout, random state), then on the batch with sample 0 replaced by a
different sample, and measures how much the outputs of samples 1..7 moved.
It also records whether the outputs sum to 1 over the *samples* (a softmax
taken over the batch axis) rather than over the classes.

In the ``sample`` layout there is no batch axis to leak over; a softmax over
the axis of a single ``(classes, 1)`` column makes every output exactly 1,
which the probe records instead.

Cost: three forward passes on 8 samples (8 calls each for ``sample``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NAME = "leakage"
REQUIRES = ("forward",)


@dataclass(frozen=True)
class LeakageEvidence:
    layout: str
    n: int
    leak: float | None
    """Largest change of another sample's output when sample 0 changes, relative to the output size."""
    noise: float | None
    """Largest change between two identical calls (relative): the forward's own randomness."""
    input_change: float | None
    """How much sample 0 changed (relative max |x0' - x0|)."""
    batch_sums_to_one: bool
    """Every output column sums to 1 over the samples (and not every row over the classes)."""
    rows_sum_to_one: bool
    all_ones: bool
    """Every output entry is exactly 1 (with more than one output): a softmax over a single column."""
    leaking_outputs: int = 0
    """Samples (other than 0) whose output moved beyond the noise."""


def _rel(a: np.ndarray, b: np.ndarray, scale: float) -> float:
    if a.shape != b.shape:
        return float("inf")
    d = np.abs(a - b)
    if not np.all(np.isfinite(d)):
        return float("inf")
    return float(d.max() / scale) if d.size else 0.0


def run(session, evidence) -> LeakageEvidence:
    layout = session.model.layout
    n = 8
    b = session.batch(n)
    out = session.output(b)
    k = out.shape[1]
    all_ones = bool(k > 1 and out.size and np.all(out == 1.0))
    finite = bool(np.all(np.isfinite(out)))
    rows1 = bool(finite and k > 1 and np.allclose(out.sum(axis=1), 1.0, atol=1e-6))
    cols1 = bool(finite and n > 1 and np.allclose(out.sum(axis=0), 1.0, atol=1e-6) and not rows1)
    if layout == "sample" or not finite:
        return LeakageEvidence(layout, n, None, None, None, cols1, rows1, all_ones)
    again = session.output(b)
    scale = max(1e-12, float(np.max(np.abs(out))))
    noise = _rel(out, again, scale)
    # a replacement for sample 0 that differs from it: the most different of a few candidates
    cands = session.batch(8, offset=n)
    x0 = np.asarray(b.X[0], dtype=np.float64)
    dist = [float(np.max(np.abs(np.asarray(c, dtype=np.float64) - x0))) for c in cands.X]
    j = int(np.argmax(dist))
    X2 = b.X.copy()
    X2[0] = cands.X[j]
    from gradcheck.batch import Batch

    b2 = Batch(X2, b.Y, b.labels)
    out2 = session.output(b2)
    moved = np.max(np.abs(out2[1:] - out[1:]), axis=1) / scale if out2.shape == out.shape else np.array([np.inf])
    leak = float(np.max(moved)) if moved.size else 0.0
    x_scale = max(1e-12, float(np.max(np.abs(np.asarray(b.X, dtype=np.float64)))))
    change = dist[j] / x_scale
    leaking = int(np.sum(moved > max(1e-9, 10 * noise)))
    return LeakageEvidence(layout, n, leak, noise, change, cols1, rows1, all_ones, leaking)
