"""Inputs probe: the inputs and targets exactly as the model's data gives them.

Measures, over all the data gradcheck holds for the model (up to 2,000
samples): the dtype, range, mean, spread and 99th percentile of ``|x|`` of the
inputs, whether they hold whole numbers (0-255 pixels), and the same for the
targets. For integer inputs (uint8 pixels) it also runs the forward, and the
gradient, once on the batch as given and once on the same values as float64:
integer arithmetic that wraps (``x - 128`` on uint8) or truncates
(``x // 255``) makes the two differ.

Cost: nothing for float inputs; two forwards and two gradients for integer ones.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradcheck.batch import Batch

NAME = "inputs"
REQUIRES = ("forward",)


@dataclass(frozen=True)
class ValueStats:
    dtype: str
    n: int
    """Samples measured."""
    features: int
    min: float
    max: float
    mean: float
    std: float
    abs_p99: float
    """99th percentile of |value|: the scale of the values, robust to a few outliers."""
    whole_numbers: bool
    """Every value is a whole number (pixels 0-255, class indices)."""
    frac_zero: float
    finite: bool

    @property
    def range_text(self) -> str:
        def f(v: float) -> str:
            return f"{v:.0f}" if float(v).is_integer() and abs(v) < 1e6 else f"{v:.3g}"
        return f"{f(self.min)}..{f(self.max)}"


def stats(a: np.ndarray) -> ValueStats:
    a = np.asarray(a)
    x = a.astype(np.float64, copy=False).reshape(len(a), -1) if a.size else np.zeros((0, 0))
    fin = x[np.isfinite(x)]
    if fin.size == 0:
        nan = float("nan")
        return ValueStats(str(a.dtype), x.shape[0], x.shape[1] if x.ndim == 2 else 0, nan, nan, nan, nan, nan,
                          False, 0.0, False)
    rows = x[:: max(1, x.shape[0] // 400)]  # the percentile on ~400 evenly spaced samples is plenty
    sub = rows[np.isfinite(rows)]
    return ValueStats(
        dtype=str(a.dtype), n=x.shape[0], features=x.shape[1], min=float(fin.min()), max=float(fin.max()),
        mean=float(fin.mean()), std=float(fin.std()), abs_p99=float(np.percentile(np.abs(sub if sub.size else fin), 99)),
        whole_numbers=bool(np.all(fin == np.round(fin))), frac_zero=float(np.mean(fin == 0)),
        finite=bool(fin.size == x.size),
    )


@dataclass(frozen=True)
class InputEvidence:
    source: str
    """Where the data came from: "data()", a file, or the bundled MNIST sample."""
    x: ValueStats
    y: ValueStats
    one_hot: bool
    """The targets are one-hot rows (from integer labels, or given so)."""
    integer_dtype: bool
    """The inputs have an integer (or bool) dtype."""
    dtype_range: tuple[float, float] | None
    """Smallest and largest value the integer dtype holds."""
    float_output_diff: float | None
    """max |forward(X) - forward(X as float64)| relative to the output's size (integer inputs only)."""
    float_grad_diff: float | None
    """The same for the gradient (integer inputs only; None when it could not be computed)."""


def _rel_diff(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return float("inf")
    same_nan = np.isnan(a) & np.isnan(b)
    d = np.abs(np.where(same_nan, 0.0, a - b))
    if not np.all(np.isfinite(d)):
        return float("inf")
    scale = max(1.0, float(np.nanmax(np.abs(b))) if b.size else 1.0)
    return float(d.max() / scale) if d.size else 0.0


def run(session, evidence) -> InputEvidence:
    from gradcheck.session import BadReturn
    from gradcheck.usercode import UserCodeError

    data = session.data
    X = np.asarray(data.X)
    integer = bool(np.issubdtype(X.dtype, np.integer) or X.dtype == bool)
    rng = None
    if integer and X.dtype != bool:
        info = np.iinfo(X.dtype)
        rng = (float(info.min), float(info.max))
    Y = np.asarray(data.Y, dtype=np.float64)
    one_hot = bool(Y.ndim == 2 and Y.shape[1] > 1 and np.all((Y == 0) | (Y == 1)) and np.all(Y.sum(axis=1) == 1))
    out_diff = grad_diff = None
    if integer:
        b = session.batch(8)
        bf = Batch(np.asarray(b.X, dtype=np.float64), b.Y, b.labels)
        try:
            out_diff = _rel_diff(session.output(b), session.output(bf))
        except (UserCodeError, BadReturn):
            out_diff = None
        try:
            g_int, g_float = session.gradients(b), session.gradients(bf)
            grad_diff = max((_rel_diff(g_int[k], g_float[k]) for k in g_float), default=0.0)
        except (UserCodeError, BadReturn, KeyError):
            grad_diff = None
    return InputEvidence(source=session.data_source, x=stats(X), y=stats(Y), one_hot=one_hot,
                         integer_dtype=integer, dtype_range=rng, float_output_diff=out_diff,
                         float_grad_diff=grad_diff)
