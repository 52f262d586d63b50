"""Finite differences: directional checks, per-parameter ratios and localisation.

The loss is a function of the live parameter arrays, evaluated by perturbing
them *in place* and restoring them bit for bit. Each evaluation runs the
user's forward once and scores the output under every candidate loss family,
so inferring the loss costs no extra forward passes.

Fast path (``check_blocks``): one random-sign direction per parameter, two
evaluations each. For parameter p with random signs r, the numeric directional
derivative y = (L(θ+τr) - L(θ-τr)) / 2τ is compared with the analytic <g, r>.
A correct gradient gives <g, r> = c·y with one global scale c for every
parameter (1/n, 0.5 or a learning rate folded into the user's backward). The
mismatch is normalised by |g|, the typical size of a random-sign projection,
so a tiny gradient cannot raise a false alarm and a single wrong entry among
78,400 still shows (it moves the projection by 1/sqrt(size) of its scale,
far above the ~1e-8 of finite-difference noise).

Slow path, only for a parameter that failed: a few per-entry central
differences (is the error dense?), else bisection over random-sign halves,
which finds a single wrong entry in O(log P) evaluations. Kinks (ReLU, max)
are told apart from bugs by re-checking with a ten times smaller step and
fresh signs: a kink crossing does not survive that, a wrong gradient does.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

# Relative tolerance on the normalised mismatch, by the dtype of the parameter.
# float64 finite differences are good to ~1e-8 here; float32 forwards to ~1e-3.
TOLERANCE = {np.dtype(np.float64): 1e-4, np.dtype(np.float32): 3e-2, np.dtype(np.float16): 2e-1}
# Per-entry step, relative to max(1, rms of the parameter).
STEP = {np.dtype(np.float64): 1e-6, np.dtype(np.float32): 3e-3, np.dtype(np.float16): 3e-2}


def _dtype(a: np.ndarray) -> np.dtype:
    d = np.asarray(a).dtype
    return d if d in TOLERANCE else np.dtype(np.float64)


def tolerance(a: np.ndarray) -> float:
    return TOLERANCE[_dtype(a)]


class Objective:
    """L(θ) for every candidate loss family, over the live parameter arrays.

    ``losses()`` runs the forward once and returns ``{family: value}``.
    """

    def __init__(self, params: dict[str, np.ndarray], output: Callable[[], np.ndarray],
                 score: Callable[[np.ndarray], dict[str, float]]):
        self.params = params
        self._output = output
        self._score = score
        self.evals = 0
        self._base: dict[str, float] | None = None
        self.first_output: np.ndarray | None = None
        """The output of the first evaluation (to tell which loss families apply, at no extra cost)."""

    def losses(self) -> dict[str, float]:
        self.evals += 1
        out = self._output()
        if self.first_output is None:
            self.first_output = out
        return self._score(out)

    def base(self) -> dict[str, float]:
        """Losses at the unperturbed parameters, computed on first use (only localisation needs them)."""
        if self._base is None:
            self._base = self.losses()
        return self._base

    def along(self, name: str, idx: Any, delta: np.ndarray) -> tuple[dict[str, float], dict[str, float], np.ndarray]:
        """Losses at θ+δ and θ-δ on ``params[name][idx]``, and the δ actually applied.

        The applied δ is measured after rounding to the array's dtype, so the
        difference quotient stays exact for float32 parameters.
        """
        arr = self.params[name]
        view = np.asarray(arr)  # np.matrix -> ndarray view of the same memory
        orig = view[idx].copy()
        try:
            view[idx] = orig + delta
            plus_applied = view[idx].astype(np.float64, copy=False) - orig
            lp = self.losses()
            view[idx] = orig - delta
            minus_applied = view[idx].astype(np.float64, copy=False) - orig
            lm = self.losses()
        finally:
            view[idx] = orig
        return lp, lm, (plus_applied - minus_applied) / 2.0


@dataclass
class EntryCheck:
    """Analytic vs numeric derivative of one entry."""

    index: tuple[int, ...]
    analytic: float
    numeric: float
    rel_error: float
    kink: bool = False


@dataclass
class BlockCheck:
    """One parameter's directional check and, when it failed, its localisation."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    analytic_dot: dict[str, float] = field(default_factory=dict)
    """<g, r> (one value, the same for each family)."""
    numeric_dot: dict[str, float] = field(default_factory=dict)
    """y per loss family."""
    grad_norm: float = 0.0
    ok: bool = True
    mismatch: float = 0.0
    """|<g,r>/c - y| / (|g|/c): 0 for a correct gradient."""
    ratio: float = float("nan")
    """<g,r> / y: the scale of this parameter's gradient."""
    kinks_excluded: int = 0
    entries: list[EntryCheck] = field(default_factory=list)
    dense: bool | None = None
    """True: most sampled entries are wrong; False: a few sparse entries (found by bisection)."""
    direction: np.ndarray | None = field(default=None, repr=False, compare=False)
    """The random signs r of the directional check (reused by bisection and by the classifiers)."""
    tau: float = 0.0
    """The step along ``direction``."""


def _signs(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Random ±1 of ``shape``, one random bit each (ten times faster than ``rng.choice``)."""
    n = int(np.prod(shape, dtype=np.int64))
    bits = np.unpackbits(np.frombuffer(rng.bytes((n + 7) // 8), dtype=np.uint8), count=n)
    r = bits.astype(np.float64)
    r *= 2.0
    r -= 1.0
    return r.reshape(shape)


def _step(arr: np.ndarray) -> float:
    a = np.asarray(arr, dtype=np.float64)
    rms = float(np.sqrt(np.mean(a * a))) if a.size else 0.0
    return STEP[_dtype(arr)] * max(1.0, rms)


def directional(obj: Objective, name: str, g: np.ndarray, r: np.ndarray, tau: float,
                idx: Any = Ellipsis) -> tuple[float, dict[str, float]]:
    """(<g, δ>/τ, {family: (L+ - L-)/2τ}) along δ = τ r on ``params[name][idx]``."""
    lp, lm, applied = obj.along(name, idx, tau * r)
    ana = float(np.sum(np.asarray(g)[idx] * applied)) / tau
    num = {f: (lp[f] - lm[f]) / (2 * tau) for f in lp}
    return ana, num


def check_blocks(obj: Objective, grads: dict[str, np.ndarray], rng: np.random.Generator) -> dict[str, BlockCheck]:
    """The fast path: one random-sign directional derivative per parameter."""
    out = {}
    for name, g in grads.items():
        arr = obj.params[name]
        r = _signs(rng, np.shape(arr))
        tau = _step(arr)
        ana, num = directional(obj, name, g, r, tau)
        bc = BlockCheck(name, tuple(np.shape(arr)), str(np.asarray(arr).dtype), direction=r, tau=tau)
        bc.analytic_dot = {f: ana for f in num}
        bc.numeric_dot = num
        bc.grad_norm = float(np.linalg.norm(g))
        out[name] = bc
    return out


def global_scale(blocks: dict[str, BlockCheck], family: str, nice: tuple[float, ...] = ()) -> float:
    """The scale c most parameters agree on (analytic = c · numeric).

    Each parameter gives a ratio <g,r>/y; c is the ratio of the largest group
    of parameters whose ratios agree within tolerance. Ties go to a group whose
    ratio is one of the ``nice`` scales people fold into a backward (1, 1/n,
    2, the learning rate), then to a positive scale (a negative one is a sign
    error unless every parameter shares it), then to the group with more entries (the weights,
    where a bias averaged by mistake is the other group), then to the
    parameters listed last (the output layer, where backprop starts).
    """
    ratios = []
    for b in blocks.values():
        y = b.numeric_dot[family]
        a = b.analytic_dot[family]
        if abs(y) > 0 and np.isfinite(y) and abs(a) > 0:
            ratios.append((a / y, int(np.prod(b.shape))))
    if not ratios:
        return 1.0
    best, best_key = 1.0, (-1, False, False, -1, -1)
    for i, (ri, _) in enumerate(ratios):
        members = [(rj, sj) for rj, sj in ratios if abs(rj - ri) <= 1e-3 * max(abs(ri), abs(rj))]
        group = [rj for rj, _ in members]
        is_nice = any(abs(abs(ri) - v) <= 1e-3 * v for v in nice if v > 0)
        # then the group holding more entries (weights over biases), then the output side
        key = (len(group), is_nice, ri > 0, sum(sj for _, sj in members), i)
        if key > best_key:
            best, best_key = float(np.median(group)), key
    return best


def judge_blocks(blocks: dict[str, BlockCheck], family: str, c: float) -> None:
    """Set ok / mismatch / ratio on every block, for loss ``family`` and scale ``c``."""
    for b in blocks.values():
        a, y = b.analytic_dot[family], b.numeric_dot[family]
        b.ratio = a / y if y else float("inf") if a else float("nan")
        scale = b.grad_norm / abs(c) if c else b.grad_norm
        if not np.isfinite(a) or not np.isfinite(y):
            b.mismatch, b.ok = float("inf"), False
            continue
        if scale == 0.0:
            # analytic gradient is all zero: wrong iff the numeric derivative is not
            b.mismatch = float("inf") if abs(y) > 1e-9 * max(1.0, abs(y)) and abs(y) > 1e-10 else 0.0
            b.ok = b.mismatch == 0.0
            continue
        b.mismatch = abs(a / c - y) / scale
        b.ok = b.mismatch <= TOLERANCE[np.dtype(b.dtype) if np.dtype(b.dtype) in TOLERANCE else np.dtype(np.float64)]
        if b.ok and ratio_off(a, y, c, scale, b.dtype):
            b.ok = False


def ratio_off(a: float, y: float, c: float, scale: float, dtype) -> bool:
    """A small projection can hide a scale error from the mismatch: judge its ratio too (float64 only).

    When the random direction happens to be nearly orthogonal to the gradient,
    <g, r> is small and a parameter scaled by 1 % moves the mismatch by 1 % of
    a small number. The ratio a / (c y) still shows the 1 %, as long as y is
    far above finite-difference noise (~1e-9 absolute in float64): y must be
    at least 1e-5 |g|, and the ratio is wrong beyond 1e-3.
    """
    if np.dtype(dtype) != np.dtype(np.float64) or not c:
        return False
    d = abs(a / c - y)
    return abs(y) > 1e-5 * scale and d > 1e-3 * abs(y) and d > 1e-8 * scale


def recheck(obj: Objective, name: str, g: np.ndarray, family: str, c: float, rng: np.random.Generator,
            bc: BlockCheck) -> bool:
    """Re-run a failed parameter with a 10x smaller step and fresh signs.

    Returns True when the failure does not survive (a kink was crossed), and
    counts it in ``kinks_excluded``.
    """
    arr = obj.params[name]
    scale = bc.grad_norm / abs(c) if c else bc.grad_norm
    if scale == 0.0 or bc.mismatch >= 50 * tolerance(arr):
        return False  # far beyond what a kink crossing does: no need to spend evaluations
    r = _signs(rng, np.shape(arr))
    ana, num = directional(obj, name, g, r, _step(arr) / 10)
    y = num[family]
    mis = abs(ana / c - y) / scale
    if mis <= tolerance(arr) and not ratio_off(ana, y, c, scale, _dtype(arr)):
        bc.kinks_excluded += 1
        bc.ok, bc.mismatch = True, mis
        return True
    return False


def entry_derivative(obj: Objective, name: str, index: tuple[int, ...], family: str, base: float) -> tuple[float, bool]:
    """Central difference of one entry, and whether a kink lies inside the step.

    A kink shows as one-sided slopes that disagree far more than smooth
    curvature allows over so small a step.
    """
    arr = obj.params[name]
    h = _step(arr)
    lp, lm, applied = obj.along(name, index, np.float64(h))
    d = float(applied) if np.ndim(applied) == 0 else float(np.asarray(applied).reshape(-1)[0])
    if d == 0:
        return 0.0, False
    fwd, bwd = (lp[family] - base) / d, (base - lm[family]) / d
    num = (lp[family] - lm[family]) / (2 * d)
    slope = max(abs(fwd), abs(bwd), 1e-12)
    kink = abs(fwd - bwd) > 0.1 * slope and abs(fwd - bwd) > 1e3 * tolerance(arr) * abs(h) * max(1.0, abs(base))
    return num, kink


def rel_error(a: float, n: float, floor: float) -> float:
    return abs(a - n) / max(abs(a), abs(n), floor)


def localise(obj: Objective, name: str, g: np.ndarray, family: str, c: float, rng: np.random.Generator,
             bc: BlockCheck, base: float | None = None, sample: int = 6) -> None:
    """Find the wrong entries of a failed parameter.

    First a few per-entry central differences on the largest and some random
    entries: if most disagree the error is dense (report the worst). If they
    agree, the error is sparse: bisect random-sign halves, carrying the
    mismatch of the untested half by linearity, until one entry is left.
    """
    arr = obj.params[name]
    shape = np.shape(arr)
    flat_g = np.asarray(g).reshape(-1)
    size = flat_g.size
    if base is None:
        base = obj.base()[family]
    floor = 1e-2 * (float(np.sqrt(np.mean(flat_g ** 2))) / abs(c) if c else 0.0) + 1e-12
    top = list(np.argsort(-np.abs(flat_g))[: sample // 2])
    rest = [i for i in rng.permutation(size)[: sample] if i not in top][: sample - len(top)]
    tol = 10 * tolerance(arr)
    entries = []
    for i in top + rest:
        idx = np.unravel_index(int(i), shape)
        num, kink = entry_derivative(obj, name, idx, family, base)
        a = float(flat_g[i]) / c
        entries.append(EntryCheck(tuple(int(j) for j in idx), a, num, rel_error(a, num, floor), kink))
    valid = [e for e in entries if not e.kink]
    bc.kinks_excluded += len(entries) - len(valid)
    wrong = [e for e in valid if e.rel_error > tol]
    if len(wrong) >= max(1, len(valid) // 3) or size <= sample:
        bc.dense = True
        bc.entries = sorted(entries, key=lambda e: -e.rel_error)
        return
    bc.dense = False
    found = _bisect(obj, name, flat_g, family, c, rng, shape, bc)
    if found is not None:
        idx = np.unravel_index(found, shape)
        num, kink = entry_derivative(obj, name, idx, family, base)
        a = float(flat_g[found]) / c
        bc.entries = [EntryCheck(tuple(int(j) for j in idx), a, num, rel_error(a, num, floor), kink)]
    else:
        bc.entries = sorted(entries, key=lambda e: -e.rel_error)


def _bisect(obj: Objective, name: str, flat_g: np.ndarray, family: str, c: float, rng: np.random.Generator,
            shape: tuple[int, ...], bc: BlockCheck | None = None) -> int | None:
    arr = obj.params[name]
    reuse = bc is not None and bc.direction is not None and bc.tau > 0
    tau = bc.tau if reuse else _step(arr)
    candidates = np.arange(flat_g.size)
    r_full = bc.direction.reshape(-1) if reuse else _signs(rng, (flat_g.size,))

    def mismatch(sub: np.ndarray) -> float:
        r = np.zeros(flat_g.size)
        r[sub] = r_full[sub]
        ana, num = directional(obj, name, flat_g.reshape(shape), r.reshape(shape), tau)
        return ana / c - num[family]

    # the directional check already measured the whole direction: no need to re-measure it
    total = bc.analytic_dot[family] / c - bc.numeric_dot[family] if reuse else mismatch(candidates)
    noise = 1e-6 * (np.linalg.norm(flat_g) / abs(c)) + 1e-12
    if abs(total) <= noise:
        return None
    while candidates.size > 1:
        half = candidates[: candidates.size // 2]
        m_half = mismatch(half)
        m_other = total - m_half
        if abs(m_half) >= abs(m_other):
            candidates, total = half, m_half
        else:
            candidates, total = candidates[candidates.size // 2:], m_other
    return int(candidates[0])
