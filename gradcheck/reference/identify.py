"""Which activations does the user's forward compute? Run it and the reference on the same weights.

Every hidden activation (per hidden layer, for up to three hidden layers) and
every output activation is tried on the user's own weights and the same
inputs; the candidate whose output equals the user's is the architecture. When
none does, the comparison still says, as far as the output alone can tell,
where the user's forward departs from a correct one.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from gradcheck.losses import softmax
from gradcheck.reference import activations as act
from gradcheck.reference.mapping import ParamMap, to_reference_params
from gradcheck.reference.mlp import MLP

DEPARTURES = {
    "output-shape": "the forward's output does not have one row of {k} outputs per sample",
    "non-finite": "the forward's output contains NaN or inf",
    "constant-output": "the forward gives the same output for every input",
    "softmax-axis": "the output is a softmax taken over the samples instead of over the classes "
                    "(with one sample at a time: every output is 1.0)",
    "output-activation": "the hidden layers agree with the reference, but the output activation is none of "
                         "identity, sigmoid or softmax",
    "hidden-layers": "no choice of hidden activations reproduces the output: a hidden layer (or the way the "
                     "weights are applied) departs",
    "output-layer": "the single layer's output matches no activation of x @ W + b",
}
"""What each value of ``Architecture.departs`` means."""


@dataclass(frozen=True)
class Candidate:
    """One tried architecture and how far its output is from the user's."""

    hidden: tuple[str, ...]
    output: str
    max_diff: float


@dataclass(frozen=True)
class Architecture:
    """The user's network as the reference understands it."""

    mapping: ParamMap = field(repr=False)
    """Names, shapes and orientations of the user's parameters, per layer."""
    hidden: tuple[str, ...]
    """Activation of each hidden layer (the closest candidate when not ``matched``)."""
    output: str
    """Output activation (the closest candidate when not ``matched``)."""
    matched: bool
    """True when a candidate reproduces the user's output within tolerance."""
    max_diff: float
    """Largest absolute difference between the user's output and the chosen candidate's."""
    departs: str | None = None
    """When not matched: a key of ``DEPARTURES`` saying where the user's forward departs."""
    candidates: tuple[Candidate, ...] = ()
    """The closest candidates, best first (at most five)."""
    notes: tuple[str, ...] = ()

    @property
    def sizes(self) -> tuple[int, ...]:
        return self.mapping.sizes

    @property
    def orientations(self) -> tuple[str, ...]:
        return self.mapping.orientations

    @property
    def bias_shapes(self) -> tuple[tuple[int, ...] | None, ...]:
        return self.mapping.bias_shapes

    @property
    def names(self) -> tuple[tuple[str, str | None], ...]:
        return self.mapping.names

    def reference(self, loss: str = "mse", params: Mapping[str, Any] | None = None) -> MLP:
        """A reference MLP with this architecture and the user's weights (default: the mapped snapshot)."""
        return MLP.from_params(to_reference_params(self.mapping, params), hidden=self.hidden,
                               output=self.output, loss=loss,
                               bias=[l.bias is not None for l in self.mapping.layers])

    def __str__(self) -> str:
        hidden = ",".join(self.hidden) or "-"
        verdict = "matched" if self.matched else f"not matched ({self.departs})"
        return f"{list(self.sizes)} hidden={hidden} output={self.output}: {verdict}, max diff {self.max_diff:.3g}"


def probe_inputs(n_in: int, seed: int = 0, n: int = 8) -> np.ndarray:
    """Rows that tell activations apart: standard normal, pixel-like [0, 1] and small inputs."""
    rng = np.random.default_rng(seed)
    return np.vstack([rng.normal(size=(n, n_in)), rng.uniform(size=(n, n_in)), 0.1 * rng.normal(size=(n, n_in))])


def _tolerance(mapping: ParamMap, params: Mapping[str, Any] | None) -> float:
    p = mapping.snapshot if params is None else params
    names = [n for pair in mapping.names for n in pair if n is not None]
    low = any(np.asarray(p[n]).dtype.itemsize < 8 for n in names)
    return 1e-3 if low else 1e-6


def identify(mapping: ParamMap, forward_rows: Callable[[np.ndarray], Any],
             params: Mapping[str, Any] | None = None, X: np.ndarray | None = None,
             seed: int = 0, rtol: float | None = None) -> Architecture:
    """Find the hidden and output activations that reproduce the user's forward.

    Args:
        mapping: from ``map_params``.
        forward_rows: the user's forward on rows, ``(n, inputs) -> (n, outputs)``.
        params: the user's parameters now (default: the snapshot taken by ``map_params``).
        X: inputs to compare on (default: ``probe_inputs``).
        rtol: match tolerance relative to ``max(1, |output|)`` (default 1e-6, or 1e-3
            when a parameter is float32 or smaller).
    """
    ref = to_reference_params(mapping, params)
    X = probe_inputs(mapping.sizes[0], seed) if X is None else np.asarray(X, dtype=np.float64)
    user = np.asarray(forward_rows(X), dtype=np.float64)
    n_hidden, k = len(ref) - 1, mapping.sizes[-1]
    combos = (list(itertools.product(act.HIDDEN, repeat=n_hidden)) if n_hidden <= 3
              else [(h,) * n_hidden for h in act.HIDDEN])
    scores = {h: MLP.from_params(ref, hidden=h, output="identity").forward(X) for h in combos}

    def unmatched(departs: str, best: Candidate | None = None, hidden=None, cands=(), notes=()) -> Architecture:
        best = best or Candidate(combos[0], "identity", float("inf"))
        return Architecture(mapping, tuple(hidden or best.hidden), best.output, False, best.max_diff,
                            departs, tuple(cands), (DEPARTURES[departs].format(k=k),) + tuple(notes))

    if user.shape != (len(X), k):
        return unmatched("output-shape", notes=(f"got shape {user.shape} for {len(X)} rows",))
    if not np.all(np.isfinite(user)):
        return unmatched("non-finite")
    cands = sorted((Candidate(h, o, float(np.max(np.abs(act.apply(o, z) - user))))
                    for h, z in scores.items() for o in act.OUTPUT), key=lambda c: c.max_diff)
    best, tol = cands[0], (rtol or _tolerance(mapping, params)) * max(1.0, float(np.max(np.abs(user))))
    if best.max_diff <= tol:
        twins = [c for c in cands[1:] if c.max_diff <= tol]
        notes = ()
        if twins:
            notes = (f"{len(twins)} other candidates fit as well (e.g. hidden={','.join(twins[0].hidden)} "
                     f"output={twins[0].output}): the inputs could not tell them apart (saturated units?)",)
        return Architecture(mapping, best.hidden, best.output, True, best.max_diff, None, tuple(cands[:5]), notes)
    departs, hidden = _departure(scores, user, tol, n_hidden)
    return unmatched(departs, best, hidden, cands[:5])


def _departure(scores: dict, user: np.ndarray, tol: float, n_hidden: int) -> tuple[str, tuple | None]:
    """Where the user's output departs from every candidate, and the hidden activations that still fit."""
    if np.all(np.ptp(user, axis=0) <= tol):
        # all exactly 1: a softmax over the only sample of a (features, 1) column
        return ("softmax-axis" if np.allclose(user, 1.0) else "constant-output"), None
    for h, z in scores.items():
        if np.max(np.abs(softmax(z, axis=0) - user)) <= tol:
            return "softmax-axis", h
    for h, z in scores.items():
        if _monotone_columns(z, user, tol):
            return "output-activation", h
    return ("hidden-layers" if n_hidden else "output-layer"), None


def _monotone_columns(z: np.ndarray, out: np.ndarray, tol: float) -> bool:
    """True when each output column is a monotone function of the same column of scores ``z``."""
    for j in range(z.shape[1]):
        d = np.diff(out[np.argsort(z[:, j], kind="stable"), j])
        if not (np.all(d >= -tol) or np.all(d <= tol)):
            return False
    return True
