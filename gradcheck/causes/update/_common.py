"""Shared pieces of the update causes: the training evidence, medians, names, where, learning rates."""
from __future__ import annotations

import math
from typing import Iterable

import numpy as np

from gradcheck.causes._where import fmt, user_function

HEALTHY_RATIO = 1e-3
"""The update-to-weight ratio |Δθ|/|θ| of a healthy SGD step is about 1e-3 per step (Karpathy's rule of
thumb, CS231n "ratio of weights:updates"); per-sample steps of small networks run up to ~1e-2."""


def med(xs: Iterable[float]) -> float:
    v = [x for x in xs if x == x and not math.isinf(x)]
    return float(np.median(v)) if v else float("nan")


def names(ks: list[str]) -> str:
    """``b1``, ``b1 and b2``, ``W1, b1 and b2``."""
    ks = list(ks)
    if len(ks) <= 1:
        return "".join(ks)
    return ", ".join(ks[:-1]) + " and " + ks[-1]


def shape(t) -> str:
    return "(" + ", ".join(str(d) for d in t) + ("," if len(t) == 1 else "") + ")"


def where(ev, param: str | None = None, role: str | None = None):
    tr = ev["training"]
    role = role or ("step" if tr.user_step else "backward")
    layer = ev.session.layer_of(param) if param is not None else None
    return user_function(ev.session, role, param=param, layer=layer)


def weights(tr) -> list[str]:
    """The weight matrices (2-D, both sides > 1); all multi-entry parameters when there are none."""
    w = [k for k, p in tr.params.items() if len(p.shape) >= 2 and min(p.shape) > 1]
    return w or [k for k, p in tr.params.items() if int(np.prod(p.shape)) > 1]


def ratio_perp(p) -> list[float]:
    """|Δθ|/|θ| without the part of Δθ along θ (a rescaling is judged by rescaled-weights, not here)."""
    out = []
    for r, c in zip(p.ratio, p.cos_theta):
        out.append(r * math.sqrt(max(0.0, 1.0 - c * c)) if c == c else r)
    return out


def user_lr(ev) -> tuple[float | None, str]:
    """The learning rate of the user's step and where the number comes from."""
    tr = ev["training"]
    lr = ev.session.model.learning_rate
    if lr:
        return float(lr), "declared"
    vals = [v for p in tr.params.values() for v in p.lr_eff if v == v and v > 0]
    if len(vals) >= 3:
        m = float(np.median(vals))
        if all(abs(v - m) <= 1e-3 * m for v in vals):
            return m, "measured"
    return None, ""


def sweep_range(sweep) -> tuple[float, float, float] | None:
    """(lowest, highest, best) scale of the user's step that gets >= 75 % of the best improvement."""
    if sweep is None or not sweep.scales:
        return None
    loss = np.array([x if x == x else np.inf for x in sweep.loss])
    i = int(np.argmin(loss))
    best = float(loss[i])
    gain = sweep.initial - best
    if not math.isfinite(best) or gain <= 0:
        return None
    ok = [s for s, l in zip(sweep.scales, loss) if l <= best + 0.25 * gain]
    return min(ok), max(ok), sweep.scales[i]


def scale_of(sweep, s: float) -> float:
    for sc, l in zip(sweep.scales, sweep.loss):
        if sc == s:
            return l
    return float("nan")


def lr_advice(ev, lo: float, hi: float, open_end: bool = False) -> str:
    """'a learning rate of 0.003-0.03' (or 'steps 0.01-0.1 times the size of yours' when the rate is
    unknown); ``open_end``: the best scale was the largest (or smallest) tried, so the range may go on."""
    lr, src = user_lr(ev)
    more = " or more" if open_end and hi >= 1 else " or less" if open_end else ""
    if lr:
        rng = f"about {_num(lr * lo)}" if lo == hi else f"{_num(lr * lo)}-{_num(lr * hi)}"
        return f"a learning rate of {rng}{more} (yours: {_num(lr)}{', measured' if src == 'measured' else ''})"
    rng = f"about {_num(lo)}" if lo == hi else f"{_num(lo)}-{_num(hi)}"
    return f"steps {rng}{more} times the size of yours"


def _num(x: float) -> str:
    return f"{x:.2g}"


def curve(xs: list[float], k: int = 6) -> str:
    """A few values of a curve, evenly spaced: '2.30 2.10 1.90 ... 1.20'."""
    if not xs:
        return ""
    idx = sorted(set(np.linspace(0, len(xs) - 1, min(k, len(xs))).round().astype(int)))
    return " ".join(fmt(xs[i]) for i in idx)
