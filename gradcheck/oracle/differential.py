"""Differential diagnosis: the first quantity where the user's network departs from the reference.

With the user's own weights in the reference, three kinds of quantity are
compared, in the order a training step computes them:

1. ``forward``: the output (``identify`` on probe inputs, then the real batch);
2. ``gradient``: each parameter's gradient, in backprop order (output layer
   first, weight before bias), the user's analytic gradient against the
   reference's exact one times the global scale ``c`` the gradient probe found
   (a ``1/n`` or a learning rate folded into the backward is not a difference);
3. ``update``: one step of the user's own update against plain SGD on the user's
   own gradient, with one learning rate for every parameter. The fit
   ``Δθ ≈ α·θ + β·g`` over all parameters gives the learning rate (``-β``) and
   any rescaling of the weights (``α``, e.g. momentum applied to the weights).

The first quantity that differs is where the bug starts: everything computed
after it inherits the difference. A differing gradient is also compared with
the named wrong-but-plausible gradients of ``reference.variants``.

Thresholds: a gradient differs when ``|g_user - c·g_ref| / max(|g_user|, |c·g_ref|)``
exceeds the gradient probe's tolerance for the parameter's dtype (1e-4 for
float64: correct code agrees to ~1e-12; 3e-2 for float32). The forward differs
when it differs from every standard network by more than 1e-6 of max(1, |output|)
(1e-3 for float32 weights). An update differs from plain SGD when its relative
residual exceeds 1e-3 (1e-2 for float32): an update computed with float32 weights
is rounded to ~1e-7, a real difference (a skipped parameter, momentum on the
weights, a per-parameter learning rate) is of order 1.

The learning rate of the reference is the user's: ``-β·c`` with a backward (the
step size along the true gradient of the summed loss), else
``lr = -<Δθ, g_ref> / |g_ref|²`` from the step alone.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradcheck import numerics, state
from gradcheck.batch import Batch
from gradcheck.oracle.wiring import Wiring
from gradcheck.reference import DEPARTURES, VARIANTS

UPDATE_TOLERANCE = {np.dtype(np.float64): 1e-3, np.dtype(np.float32): 1e-2, np.dtype(np.float16): 1e-1}


@dataclass(frozen=True)
class Quantity:
    """One compared quantity of the user's network against the reference."""

    kind: str
    """"forward", "gradient" or "update"."""
    name: str
    """"output", or the parameter's name."""
    layer: int | None
    """1-based layer (layer 1 is the first weight matrix)."""
    ok: bool
    rel_error: float
    """Relative difference from the reference (see the module docstring)."""
    ratio: float = float("nan")
    """<user, reference> / |reference|², over c for gradients: 1 when the sizes agree."""
    cosine: float = float("nan")
    """Cosine between the user's and the reference's quantity (1: same direction)."""
    variant: str | None = None
    """The named wrong gradient (``reference.variants``) the user's equals, if any."""
    note: str = ""

    def describe(self) -> str:
        """One phrase: ``the gradient of W1 (layer 1)``."""
        if self.kind == "forward":
            return "the forward output"
        what = "gradient" if self.kind == "gradient" else "update"
        layer = f" (layer {self.layer})" if self.layer else ""
        return f"the {what} of {self.name}{layer}"


@dataclass(frozen=True)
class Differential:
    """Every compared quantity and the learning rate read from the user's update."""

    quantities: tuple[Quantity, ...]
    scale: float
    """Global gradient scale c (user = c · reference) used for the gradients."""
    gradients_comparable: bool
    """False for a custom loss the reference approximates: gradients are then not judged."""
    lr: float
    """Learning rate for the reference's plain SGD on the *summed* loss of one step's data."""
    lr_source: str
    """How ``lr`` was found ("your update and your gradient", "your update", "standard")."""
    lr_projected: float = float("nan")
    """``-<Δθ, g_ref> / |g_ref|²`` (the step along the true gradient)."""
    rescale: float = 0.0
    """α of ``Δθ ≈ α·θ + β·g``: the update also multiplies the weights by 1 + α."""
    update_fit: float = float("nan")
    """R² of that fit (1: the update is exactly that rule)."""
    user_lr: float = float("nan")
    """Learning rate of the user's step on the user's own gradient (-β): plain SGD on that gradient."""
    user_scale: float = float("nan")
    """Without a step: |g_user| / |g_ref| on one update's data (1/n for a correct mean gradient); plain
    SGD on the user's gradient then takes steps as long as the reference's."""

    @property
    def first(self) -> Quantity | None:
        """The first quantity that differs, or None when the user's network is the reference's."""
        for q in self.quantities:
            if not q.ok and (q.kind != "gradient" or self.gradients_comparable):
                return q
        return None

    def get(self, kind: str, name: str) -> Quantity | None:
        return next((q for q in self.quantities if q.kind == kind and q.name == name), None)

    def differing(self, kind: str) -> list[Quantity]:
        return [q for q in self.quantities if q.kind == kind and not q.ok]


def _rel(u: np.ndarray, r: np.ndarray) -> float:
    den = max(float(np.linalg.norm(u)), float(np.linalg.norm(r)))
    return float(np.linalg.norm(u - r) / den) if den > 0 else 0.0


def _ratio_cos(u: np.ndarray, r: np.ndarray) -> tuple[float, float]:
    u, r = np.ravel(u), np.ravel(r)
    rr, uu = float(r @ r), float(u @ u)
    ratio = float(u @ r / rr) if rr > 0 else float("nan")
    cos = float(u @ r / np.sqrt(uu * rr)) if uu > 0 and rr > 0 else float("nan")
    return ratio, cos


def _order(wiring: Wiring) -> list[tuple[str, int]]:
    """Parameter names in backprop order (last layer first, weight before bias) with 1-based layers."""
    out = []
    for i in reversed(range(len(wiring.mapping.layers))):
        l = wiring.mapping.layers[i]
        out.append((l.weight, i + 1))
        if l.bias is not None:
            out.append((l.bias, i + 1))
    return out


def forward_quantity(wiring: Wiring) -> Quantity:
    a = wiring.architecture
    if not a.matched:
        return Quantity("forward", "output", None, False, a.max_diff,
                        note=f"{a.departs}: " + DEPARTURES.get(a.departs or "", "").format(k=a.sizes[-1]))
    tol = 1e-3 if any(np.dtype(np.asarray(v).dtype).itemsize < 8 for v in a.mapping.snapshot.values()) else 1e-6
    if wiring.forward_diff > tol:
        return Quantity("forward", "output", None, False, wiring.forward_diff,
                        note="real-data: the forward matches a standard network on probe inputs but not on "
                             "your data (integer inputs overflowing? a cached value?)")
    return Quantity("forward", "output", None, True, max(a.max_diff, wiring.forward_diff if wiring.forward_diff
                                                         == wiring.forward_diff else 0.0))


PARALLEL = {np.dtype(np.float64): 1e-6, np.dtype(np.float32): 1e-3, np.dtype(np.float16): 1e-2}
"""1 - cosine below which a parameter's gradient counts as parallel to the reference's (a vote for c)."""


def common_scale(user: dict[str, np.ndarray], ref: dict[str, np.ndarray], names: list[str],
                 params: dict) -> float | None:
    """The scale c most parameters agree on (user = c·reference), or None when none is parallel.

    Only parameters whose gradient is parallel to the reference's vote (a one-entry
    parameter is always parallel and does not); ``names`` in backprop order, so a tie
    goes to the output layer, where backprop starts, like ``numerics.global_scale``.
    """
    votes = []
    for k in names:
        u = np.ravel(user[k])
        if u.size < 2:
            continue
        ratio, cos = _ratio_cos(u, ref[k])
        if np.isfinite(cos) and cos >= 1 - PARALLEL.get(np.asarray(params[k]).dtype, 1e-6):
            votes.append(ratio)
    if not votes:
        return None
    agree = [sum(abs(v - w) <= 1e-3 * abs(w) for v in votes) for w in votes]
    return float(votes[int(np.argmax(agree))])


def gradient_quantities(session, wiring: Wiring, probe_scale: float, batch: Batch,
                        user_grads: dict[str, np.ndarray]) -> tuple[list[Quantity], float]:
    """Each parameter's gradient against the reference's, and the scale c used."""
    params = session.params()
    X, Y = wiring.ref_inputs(batch.X), batch.Y
    net = wiring.net(wiring.to_reference(params))
    ref = wiring.to_user(net.gradients(X, Y))
    order = _order(wiring)
    # a negative global scale is not a convention but gradient ascent: compare with its size
    scale = common_scale(user_grads, ref, [k for k, _ in order], params) or abs(probe_scale) or 1.0
    variants = None
    out = []
    for name, layer in order:
        u, r = user_grads[name], scale * ref[name]
        tol = numerics.tolerance(np.asarray(params[name]))
        rel = _rel(u, r)
        ratio, cos = _ratio_cos(u, ref[name])
        variant = None
        if rel > tol:
            if variants is None:
                variants = {k: wiring.to_user(fn(net, X, Y)) for k, fn in VARIANTS.items()}
            variant = next((k for k, v in variants.items() if _rel(u, scale * v[name]) <= tol), None)
        out.append(Quantity("gradient", name, layer, rel <= tol, rel, ratio / scale, cos, variant))
    return out, scale


def _flat(d: dict[str, np.ndarray], keys: list[str]) -> np.ndarray:
    return np.concatenate([np.ravel(d[k]) for k in keys])


@dataclass(frozen=True)
class _Update:
    quantities: list[Quantity]
    lr: float
    source: str
    lr_projected: float
    alpha: float = 0.0
    fit: float = float("nan")
    user_lr: float = float("nan")
    user_scale: float = float("nan")


def update_quantities(session, wiring: Wiring, chunk: Batch, scale: float) -> _Update:
    """One user step against plain SGD, and the learning rates read from it."""
    model = session.model
    names = [k for k, _ in _order(wiring)]
    params = session.params()
    theta0 = {k: np.array(params[k], dtype=np.float64) for k in names}
    X = wiring.ref_inputs(chunk.X)
    g_ref = wiring.to_user(wiring.net(wiring.to_reference(params)).gradients(X, chunk.Y))
    with state.preserved(model):
        session.step(chunk)
        after = {k: np.array(v, dtype=np.float64) for k, v in session.params().items()}
    layers = dict(_order(wiring))
    reshaped = [k for k in names if k not in after or after[k].shape != theta0[k].shape]
    if reshaped:  # nothing to compare entry by entry (the shape causes say why)
        qs = [Quantity("update", k, layers[k], False, float("nan"),
                       note=f"your step changes its shape from {theta0[k].shape} to "
                            f"{after[k].shape if k in after else 'nothing'}") for k in reshaped]
        return _Update(qs, float("nan"), "none (your step changes the shape of a parameter)", float("nan"))
    delta = {k: after[k] - theta0[k] for k in names}
    d, gr = _flat(delta, names), _flat(g_ref, names)
    lr_projected = float(-(d @ gr) / (gr @ gr)) if gr @ gr > 0 else float("nan")
    if model.backward is None:  # the step is the gradient: -Δθ = lr·g for the parameters it gets right
        c = common_scale({k: -v for k, v in delta.items()}, g_ref, names, params)
        if c is not None:
            return _Update([], c, "your update", lr_projected)
        return _Update([], lr_projected, "your update, projected on the correct gradient", lr_projected)
    g_user = session.gradients(chunk)
    gu, th = _flat(g_user, names), _flat(theta0, names)
    A = np.stack([th, gu], axis=1)
    (alpha, beta), *_ = np.linalg.lstsq(A, d, rcond=None)
    dd = float(d @ d)
    fit = float(1 - np.sum((A @ [alpha, beta] - d) ** 2) / dd) if dd > 0 else float("nan")
    if abs(alpha) * np.linalg.norm(th) < 1e-9 * max(np.linalg.norm(d), 1e-300):
        alpha = 0.0
    lr_user = -float(beta)
    out = []
    for name, layer in _order(wiring):
        dp, gp, tp = delta[name], g_user[name], theta0[name]
        sgd = -lr_user * gp
        rel = _rel(dp, sgd)
        tol = UPDATE_TOLERANCE.get(np.asarray(params[name]).dtype, 1e-3)
        ratio, cos = _ratio_cos(dp, sgd)
        ok = rel <= tol and lr_user > 0
        note = "" if ok else _describe_update(dp, gp, tp, lr_user) if rel > tol else (
            "your step moves it up its gradient" if lr_user < 0 else "your step does not change it")
        out.append(Quantity("update", name, layer, ok, rel, ratio, cos, note=note))
    # the user's gradient on this data is c·g_ref (c = 1/n for a mean over n samples): lr = lr_user·c
    # (no gradient parallel to the reference's: the global scale c of the gradient comparison)
    c = common_scale(g_user, g_ref, names, params) or scale
    if lr_user > 0:
        return _Update(out, lr_user * c, "your update and your gradient", lr_projected, float(alpha), fit, lr_user)
    return _Update(out, lr_projected, "your update, projected on the correct gradient", lr_projected,
                   float(alpha), fit, lr_user)


def _describe_update(dp: np.ndarray, gp: np.ndarray, tp: np.ndarray, lr: float) -> str:
    """What the update of one parameter does instead of ``-lr·g``."""
    if not np.any(dp):
        return "your step does not change it"
    A = np.stack([np.ravel(tp), np.ravel(gp)], axis=1)
    (a, b), *_ = np.linalg.lstsq(A, np.ravel(dp), rcond=None)
    resid = _rel(np.ravel(dp), A @ [a, b])
    if resid < 1e-3 and abs(a) * np.linalg.norm(tp) > 1e-3 * np.linalg.norm(dp):
        return (f"it is multiplied by {1 + a:.4g} as well as moved by {-b:.3g} x its gradient "
                f"(plain SGD: x 1, and {lr:.3g} x the gradient)")
    if resid < 1e-3 and lr:
        if b / -lr < 0:
            return f"it moves up its gradient ({-b:.3g} x the gradient, where the others use {lr:.3g})"
        return f"its learning rate is {-b:.3g}, {(-b) / lr:.3g} x that of the other parameters"
    return "its update is not a step along its gradient"


def compare(session, wiring: Wiring, probe_scale: float, batch: Batch, user_grads: dict[str, np.ndarray],
            chunk: Batch | None) -> Differential:
    """The differential of the user's model (see the module docstring).

    ``batch``: where the gradients are compared (``user_grads`` is the user's gradient on
    it); ``chunk``: the data of one user step (one sample in the sample layout), or None
    when the model has no step. ``probe_scale`` is used when no gradient is parallel to
    the reference's.
    """
    qs = [forward_quantity(wiring)]
    grads, scale = gradient_quantities(session, wiring, probe_scale, batch, user_grads)
    qs += grads
    up = _Update([], float("nan"), "none", float("nan"))
    if chunk is not None and session.model.step is not None:
        up = update_quantities(session, wiring, chunk, scale)
        qs += up.quantities
    elif chunk is not None:
        # no step: the user's gradient is trained with plain SGD, its step as long as the reference's
        # (|g_user| / |g_ref| on one update's data: 1/n for a correct mean gradient; an approximate
        # gradient gets a fair step, not one its own size inflates)
        names = [k for k, _ in _order(wiring)]
        params = session.params()
        g_ref = wiring.to_user(wiring.net(wiring.to_reference(params)).gradients(wiring.ref_inputs(chunk.X),
                                                                                chunk.Y))
        gu, gr = _flat(session.gradients(chunk), names), _flat(g_ref, names)
        c = float(np.linalg.norm(gu) / np.linalg.norm(gr)) if np.any(gr) and np.any(gu) else scale
        up = _Update([], float("nan"), "none", float("nan"), user_scale=c)
    return Differential(tuple(qs), scale, wiring.loss_exact, up.lr, up.source, up.lr_projected, up.alpha,
                        up.fit, up.user_lr, up.user_scale)
