"""The user's model laid onto the reference network.

The input size is the data's feature count and the output size the forward's;
``reference.map_params`` lays the user's parameters out as layers, and
``reference.identify`` runs the user's forward and the reference on the same
weights to find the activations (or where the forward departs). A forward that
scales its own inputs (``x / 255``, ``x / 255 * 0.99 + 0.01``, to [-1, 1]) is
a standard network on the scaled inputs: those scalings (``INPUT_MAPS``) are
tried when the raw inputs match nothing, and the reference then sees the inputs
as the user's first layer does. The loss is the
family the gradient probe decided; for a custom loss function the reference
uses the family whose exact gradient points most nearly where the user's does
(and the gradient comparison is then only indicative).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from gradcheck import losses
from gradcheck.batch import Batch
from gradcheck.reference import (MLP, Architecture, from_reference_grads, identify, map_params,
                                 to_reference_params)


@dataclass(frozen=True)
class Wiring:
    """The user's network as a reference MLP: architecture, loss and conversions."""

    architecture: Architecture
    loss: str
    """The reference's loss family (one of ``gradcheck.losses.FAMILIES``)."""
    loss_exact: bool
    """False when the user's loss is a custom function the reference only approximates."""
    forward_diff: float
    """Largest |user output - reference output| on real data (relative to max(1, |output|))."""
    inputs: tuple[float, float] = (1.0, 0.0)
    """(a, c): the user's forward feeds ``a * x + c`` to its first layer (it scales the inputs itself)."""

    @property
    def mapping(self):
        return self.architecture.mapping

    @property
    def sizes(self) -> tuple[int, ...]:
        return self.architecture.sizes

    @property
    def bias(self) -> list[bool]:
        return [l.bias is not None for l in self.mapping.layers]

    def ref_inputs(self, X) -> np.ndarray:
        """The inputs as the reference's first layer sees them (float64 rows)."""
        a, c = self.inputs
        X = np.asarray(X, dtype=np.float64)
        return X if (a, c) == (1.0, 0.0) else a * X + c

    def to_reference(self, user_params: Mapping[str, Any]) -> list[tuple[np.ndarray, np.ndarray]]:
        """The user's arrays as reference ``[(W (in, out), b (out,)), ...]``."""
        return to_reference_params(self.mapping, user_params)

    def to_user(self, ref: list[tuple[np.ndarray, np.ndarray]]) -> dict[str, np.ndarray]:
        """Reference-shaped pairs (gradients or parameters) in the user's names and shapes."""
        return from_reference_grads(self.mapping, ref)

    def net(self, params: list[tuple[np.ndarray, np.ndarray]]) -> MLP:
        """A reference MLP holding ``params`` (no random draws: cheap enough for every step)."""
        net = MLP.__new__(MLP)
        net.hidden = list(self.architecture.hidden)
        net.output = self.architecture.output
        net.loss_name = self.loss
        net.bias = self.bias
        net.params = [(np.array(W, dtype=np.float64), np.array(b, dtype=np.float64).reshape(-1))
                      for W, b in params]
        return net

    def describe(self) -> str:
        a = self.architecture
        hidden = ", ".join(a.hidden) if a.hidden else "no hidden layer"
        scaled = "" if self.inputs == (1.0, 0.0) else f", inputs scaled by your forward ({_affine(self.inputs)})"
        return (f"{'-'.join(str(s) for s in a.sizes)} network, {hidden} hidden, {a.output} output, "
                f"{self.loss} loss{scaled}")


INPUT_MAPS = ((1 / 255, 0.0), (1 / 256, 0.0), (0.99 / 255, 0.01), (2 / 255, -1.0), (1 / 127.5, -1.0),
              (1 / 128, -1.0))
"""Input scalings people write inside their forward (x / 255, Rashid's x / 255 * 0.99 + 0.01, to [-1, 1]):
tried when no standard network reproduces the forward on the raw inputs."""


def _affine(ac: tuple[float, float]) -> str:
    a, c = ac
    mult = f"x / {1 / a:.6g}" if a < 1 else f"{a:.6g} x"
    return mult + (f" + {c:g}" if c > 0 else f" - {-c:g}" if c < 0 else "")


def wire(session, n_out: int, batch: Batch | None = None) -> Wiring:
    """Map and identify the user's network; raises ``MappingError`` when no chain of layers fits.

    ``batch``: real data to compare the forwards on (and to fit a custom loss to a family).
    """
    params = session.params()
    n_in = int(np.shape(session.data.X)[1])
    mapping = map_params(params, session.model.layout, n_in, n_out)
    fwd = session.forward_rows
    arch = identify(mapping, fwd, params=params, seed=session.seed)
    inputs = (1.0, 0.0)
    if not arch.matched and arch.departs in ("hidden-layers", "output-layer"):
        for a, c in INPUT_MAPS:  # a forward that scales its own inputs is still a standard network
            scaled = identify(mapping, lambda Xp, a=a, c=c: fwd((Xp - c) / a), params=params, seed=session.seed)
            if scaled.matched:
                arch, inputs = scaled, (a, c)
                break
    wiring = Wiring(arch, "mse", True, float("nan"), inputs)
    diff = float("nan")
    if batch is not None:
        user = fwd(np.asarray(batch.X))
        ref = arch.reference("mse", params).forward(wiring.ref_inputs(batch.X))
        if user.shape == ref.shape:
            diff = float(np.max(np.abs(user - ref)) / max(1.0, float(np.max(np.abs(user)))))
    loss, exact = session.loss, True
    if loss not in losses.FAMILIES:
        exact = False
        loss = _closest_family(session, wiring, params, batch)
    return Wiring(arch, loss, exact, diff, inputs)


def _closest_family(session, wiring: Wiring, params, batch: Batch | None) -> str:
    """The loss family that moves like the user's loss function when the output moves.

    The user's loss and each family are evaluated on the reference's output and on
    four perturbations of it; the family whose changes are proportional to the
    user's (smallest relative residual) wins. A constant factor (1/m) and terms
    that do not depend on the output (an L2 penalty on the weights) cancel out.
    """
    from gradcheck.probes.gradients import _scorer

    if batch is None:
        return "mse"
    X, Y = wiring.ref_inputs(batch.X), batch.Y
    out0 = wiring.architecture.reference("mse", params).forward(X)
    rng = np.random.default_rng([session.seed, 9])
    outs = [out0] + [out0 + 0.05 * rng.normal(size=out0.shape) for _ in range(4)]
    if np.all(out0 > 0) and np.all(out0 < 1):
        outs = [np.clip(o, 1e-3, 1 - 1e-3) for o in outs]
    score = _scorer(session, batch, ["custom"])
    try:
        user = np.array([score(o)["custom"] for o in outs], dtype=np.float64)
    except Exception:  # noqa: BLE001 - the user's loss function may refuse our outputs
        return "mse"
    du = user[1:] - user[0]
    best, best_resid = "mse", np.inf
    for f in losses.applicable(out0, Y):
        fam = np.array([losses.FUNCS[f](o, Y) for o in outs])
        df = fam[1:] - fam[0]
        if not np.all(np.isfinite(df)) or not df @ df:
            continue
        c = (du @ df) / (df @ df)
        resid = float(np.linalg.norm(du - c * df) / max(np.linalg.norm(du), 1e-300))
        if c > 0 and resid < best_resid:
            best, best_resid = f, resid
    return best
