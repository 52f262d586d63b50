"""Activations probe: the hidden activations of the user's forward on the first batch.

No hooks are needed in the user's code. The forward runs once on a batch
(``sample`` layout: once per sample) while ``_capture`` records every array of
a hidden layer's size that the user's functions return, keep in local
variables or store on ``self``. Each recorded quantity is then tied to a layer:

1. When the architecture probe matched the user's forward to the reference
   network, the reference computes every layer's pre-activation ``z`` and
   activation ``a`` on the user's weights; a recorded array equal to one of
   them is that layer's (``source="captured"``), otherwise the reference's
   values stand in (``source="reference"``). The activation kind is the one
   the identification proved.
2. Otherwise the recorded arrays speak for themselves: a pair with
   ``a == f(z)`` for f in sigmoid, tanh, relu names the activation; a lone
   array is classified by its values (``classify``): within [0, 1] without
   exact zeros is a sigmoid, within [-1, 1] with negatives a tanh, non-negative
   with exact zeros a ReLU.

With the reference it also measures what drives each layer's saturation (or
dead ReLUs) by recomputing the layer with one thing changed: the inputs scaled
to [0, 1], the layer's bias set to 0, its weights centred on zero, its weights
redrawn at ``normal(0, 1/sqrt(fan_in))``, and inputs and weights fixed together.

Cost: one forward pass on the batch under the profiler (n calls for the
``sample`` layout), plus reference forwards (no user code) for the drivers.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gradcheck.batch import Batch
from gradcheck.probes import _capture

NAME = "activations"
REQUIRES = ("architecture",)

MARGIN = 0.01
"""A sigmoid within 0.01 of 0 or 1 (tanh: of ±1) is *saturated*: its slope is below 1 % (2 %) of its
largest value, so the gradient through it is cut by 100x. This is the measurement convention the
activation causes document."""

_BATCH_SIZES = (40, 41, 43, 47, 53, 59, 61, 67, 71, 73)
_FUNCS = {
    "sigmoid": lambda z: 0.5 * (1.0 + np.tanh(0.5 * z)),
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
}


@dataclass(frozen=True)
class LayerActivations:
    layer: int
    """1-based hidden layer (1 = after the first weight matrix)."""
    size: int
    kind: str | None
    """"sigmoid", "tanh", "relu", or None when it cannot be told."""
    kind_from: str
    """How the kind was decided: "reference", "pairing" (a == f(z) in the user's arrays) or "values"."""
    source: str
    """"captured" (the user's own arrays) or "reference" (recomputed on the user's weights)."""
    a: np.ndarray = field(repr=False)
    """(n, units) activations."""
    z: np.ndarray | None = field(default=None, repr=False)
    """(n, units) pre-activations, when known."""
    sites: tuple[str, ...] = ()
    """Where the activations were seen in the user's code."""
    weight: str | None = None
    """The weight parameter feeding the layer."""
    drivers: dict[str, float] = field(default_factory=dict)
    """Saturated (sigmoid/tanh) or dead (relu) fraction when one thing is changed (see the module doc)."""

    @property
    def saturated_fraction(self) -> float:
        """Fraction of (sample, unit) values within MARGIN of a bound (sigmoid/tanh)."""
        return float(np.mean(saturated_mask(self.kind, self.a))) if self.a.size else 0.0

    @property
    def saturated_units(self) -> int:
        """Units saturated on every sample."""
        return int(np.sum(np.all(saturated_mask(self.kind, self.a), axis=0))) if self.a.size else 0

    @property
    def dead_units(self) -> int:
        """Units that output zero (or less) on every sample (relu)."""
        return int(np.sum(np.all(self.a <= 0, axis=0))) if self.a.size else 0


def saturated_mask(kind: str | None, a: np.ndarray) -> np.ndarray:
    if kind == "sigmoid":
        return (a < MARGIN) | (a > 1 - MARGIN)
    if kind == "tanh":
        return np.abs(a) > 1 - MARGIN
    return np.zeros(a.shape, dtype=bool)


def bad_fraction(kind: str | None, a: np.ndarray) -> float:
    """Saturated fraction for sigmoid/tanh, dead-unit fraction for relu."""
    if not a.size:
        return 0.0
    if kind == "relu":
        return float(np.mean(np.all(a <= 0, axis=0)))
    return float(np.mean(saturated_mask(kind, a)))


@dataclass(frozen=True)
class ActivationEvidence:
    n: int
    """Samples in the batch."""
    layers: list[LayerActivations]
    output_kind: str | None
    output: np.ndarray = field(repr=False)
    """(n, k) network output on the same batch."""
    captured: int
    """Distinct hidden-sized arrays recorded in the user's code."""
    input_scale: float
    """max |x| on the batch, as the data gives it."""
    notes: tuple[str, ...] = ()


def classify(a: np.ndarray) -> str | None:
    """The activation a layer's values look like, from their range and pattern alone."""
    if not a.size or not np.all(np.isfinite(a)):
        return None
    lo, hi = float(a.min()), float(a.max())
    zeros = float(np.mean(a == 0))
    ones = float(np.mean(a == 1))
    if lo == hi and lo not in (1.0, -1.0):
        return None                # constant: nothing tells the activation apart (a dead ReLU is told by a == f(z))
    if lo >= 0 and hi <= 1:
        if zeros >= 0.01 and zeros >= ones:
            return "relu"          # exact zeros: a sigmoid reaches 0 only below z = -745
        return "sigmoid"
    if lo >= -1 and hi <= 1 and lo < 0:
        return "tanh" if zeros < 0.01 else None
    if lo >= 0 and zeros > 0:
        return "relu"
    return None


def _pair(qa: np.ndarray, qz: np.ndarray, rtol: float) -> list[str]:
    out = []
    with np.errstate(all="ignore"):
        for kind, f in _FUNCS.items():
            if np.allclose(f(qz), qa, rtol=rtol, atol=rtol * 1e-2):
                out.append(kind)
    return out


def _pick_batch_size(params: dict) -> int:
    dims = {d for v in params.values() for d in np.shape(v)}
    return next(n for n in _BATCH_SIZES if n not in dims)


def _capture_all(session, b: Batch, sizes: set[int]) -> list[_capture.Quantity]:
    layout = session.model.layout
    params = session.params()
    skip = tuple(v for v in params.values() if isinstance(v, np.ndarray))
    if layout == "sample":
        recs = [_capture.record(lambda i=i: session.output(b.take([i])), sizes, None, skip) for i in range(b.n)]
    else:
        recs = [_capture.record(lambda: session.output(b), sizes, b.n, skip)]
    flat = [np.asarray(v, dtype=np.float64).reshape(-1) for v in params.values()]
    # copies of a parameter (a bias broadcast over the batch is constant over the samples) are not activations
    return [q for q in _capture.quantities(recs, b.n)
            if not any(f.size == q.size and np.all(q.values == f) for f in flat)]


def _close(x: np.ndarray, y: np.ndarray, rtol: float) -> bool:
    return x.shape == y.shape and bool(np.allclose(x, y, rtol=rtol, atol=rtol * 1e-2))


def run(session, evidence) -> ActivationEvidence:
    arch = evidence["architecture"]
    params = session.params()
    n = _pick_batch_size(params)
    b = session.batch(n)
    X = np.asarray(b.X, dtype=np.float64)
    low = any(np.asarray(v).dtype.itemsize < 8 for v in params.values())
    rtol = 1e-3 if low else 1e-6
    notes: list[str] = []

    if arch.mapped:
        hidden_sizes = list(arch.sizes[1:-1])
    else:
        dims = {d for v in params.values() if np.ndim(v) == 2 for d in np.shape(v)}
        hidden_sizes = sorted(dims - {arch.n_in, arch.n_out, 1})
    if not hidden_sizes:
        from gradcheck.probes import ProbeSkipped

        raise ProbeSkipped("the network has no hidden layer")
    quants = _capture_all(session, b, set(hidden_sizes))
    output = session.output(b)

    ref = arch.reference(params=params)
    layers: list[LayerActivations] = []
    if ref is not None:
        m, s = arch.input_transform or (0.0, 1.0)
        Xin = (X - m) / s
        _, zs, acts = ref.forward(Xin, return_all=True)
        for l, h in enumerate(hidden_sizes, 1):
            z_ref, a_ref = zs[l - 1], acts[l]
            qa = next((q for q in quants if q.size == h and _close(q.values, a_ref, rtol)), None)
            qz = next((q for q in quants if q.size == h and _close(q.values, z_ref, rtol)), None)
            kind = arch.hidden[l - 1]
            w = arch.weights[l - 1]
            layers.append(LayerActivations(
                layer=l, size=h, kind=kind, kind_from="reference", source="captured" if qa else "reference",
                a=qa.values if qa else a_ref, z=qz.values if qz else z_ref,
                sites=tuple(qa.sites) if qa else (), weight=w,
                drivers=_drivers(ref, arch, params, Xin, l, kind, session.seed)))
    else:
        layers = _from_capture(quants, hidden_sizes, arch, rtol)
        if not layers:
            from gradcheck.probes import ProbeSkipped

            raise ProbeSkipped("no hidden activations found: the parameters do not map onto the reference "
                               "network and the forward keeps no hidden-layer arrays gradcheck can see")
        notes.append("hidden activations read from the arrays the forward computes (not verified by the "
                     "reference network)")
        evidence.notes.append(notes[-1] + ": " + ", ".join(
            f"layer {L.layer} {L.kind or 'unknown'} ({L.sites[0] if L.sites else '?'})" for L in layers))
    return ActivationEvidence(n=b.n, layers=layers, output_kind=arch.output, output=output,
                              captured=len(quants), input_scale=float(np.max(np.abs(X))) if X.size else 0.0,
                              notes=tuple(notes))


def _from_capture(quants: list[_capture.Quantity], sizes: list[int], arch, rtol: float) -> list[LayerActivations]:
    """Layers from the user's own arrays: pairs a == f(z) first, then arrays that look like activations."""
    found: list[tuple[int, _capture.Quantity, _capture.Quantity | None, str | None, str]] = []
    used: set[int] = set()
    for qa in quants:
        for qz in quants:
            if qz is qa or qz.size != qa.size or id(qa) in used or id(qz) in used:
                continue
            kinds = _pair(qa.values, qz.values, rtol)
            if kinds:
                kind = kinds[0] if len(kinds) == 1 else classify(qa.values)
                found.append((qa.order, qa, qz, kind, "pairing"))
                used |= {id(qa), id(qz)}
                break
    for q in quants:
        if id(q) not in used:
            kind = classify(q.values)
            if kind is not None:
                found.append((q.order, q, None, kind, "values"))
                used.add(id(q))
    found.sort(key=lambda t: t[0])
    queue: dict[int, list[int]] = {}
    for l, h in enumerate(sizes, 1):
        queue.setdefault(h, []).append(l)
    layers: list[LayerActivations] = []
    for _, qa, qz, kind, how in found:
        if arch.mapped:
            if not queue.get(qa.size):
                continue
            l = queue[qa.size].pop(0)
            w = arch.weights[l - 1]
        else:
            l, w = len(layers) + 1, None
        layers.append(LayerActivations(layer=l, size=qa.size, kind=kind, kind_from=how, source="captured",
                                       a=qa.values, z=qz.values if qz is not None else None,
                                       sites=tuple(qa.sites), weight=w))
    return sorted(layers, key=lambda L: L.layer)


def _drivers(ref, arch, params: dict, X: np.ndarray, layer: int, kind: str, seed: int) -> dict[str, float]:
    """Saturated/dead fraction of ``layer`` when the inputs or the layer's weights are fixed."""
    from gradcheck.reference import MLP

    if kind not in ("sigmoid", "tanh", "relu"):
        return {}
    base = [(np.array(W), np.array(b)) for W, b in ref.params]
    l = layer - 1
    W, bias = base[l]
    rng = np.random.default_rng(seed + 7919 * layer)
    fan_in = W.shape[0]
    fixed_w = {
        "weights centred": W - W.mean(),
        "weights at 1/sqrt(fan_in)": rng.normal(0.0, 1.0 / np.sqrt(fan_in), W.shape),
    }
    zero_bias = bool(np.any(bias != 0))
    scale = float(np.max(np.abs(X))) if X.size else 1.0
    inputs = {"as given": X}
    if scale > 1.5:
        inputs["inputs scaled to [0, 1]"] = X / scale

    def frac(Xc: np.ndarray, Wc: np.ndarray | None, bc: np.ndarray | None = None) -> float:
        p = list(base)
        if Wc is not None or bc is not None:
            p[l] = (W if Wc is None else Wc, bias if bc is None else bc)
        net = MLP.from_params(p, hidden=ref.hidden, output=ref.output, loss=ref.loss_name, bias=ref.bias)
        _, _, acts = net.forward(Xc, return_all=True)
        return bad_fraction(kind, acts[layer])

    out = {"now": frac(X, None)}
    if zero_bias:
        out["bias at 0"] = frac(X, None, np.zeros_like(bias))
    for iname, Xc in inputs.items():
        if iname != "as given":
            out[iname] = frac(Xc, None)
        for wname, Wc in fixed_w.items():
            label = wname if iname == "as given" else f"{iname} and {wname}"
            out[label] = frac(Xc, Wc)
    return out
