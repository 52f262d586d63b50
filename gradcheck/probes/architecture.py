"""Architecture probe: the user's parameters as layers, and the activations the forward computes.

The parameters are laid out as a chain of layers by their shapes
(``reference.map_params``: input size -> ... -> output size, each weight stored
(in, out) or (out, in), biases attached), then the hidden and output
activations are identified by running the user's forward and the reference
network on the same weights (``reference.identify``). Names never decide
anything here; they only break ties between identically shaped arrays.

It also measures whether the forward consumes its inputs as ``data()`` gives
them: the reference fed the raw batch must reproduce the user's output. When
the inputs are large (max |x| > 1.5) and the plain comparison fails, the
usual in-forward normalisations are tried: ``(X - m) / s`` for (m, s) = (0, 255),
(0, 256), (0, max), (127.5, 127.5), (128, 128) and (mean, std) of the data.
One that reproduces the output means the forward normalises its inputs itself
(``input_transform = (m, s)``).

Cost: one identification (about 24 rows through the forward) and two or three
forward passes on a batch. Probes that need layer sizes, fan-ins or the
reference network read this evidence; when the parameters cannot be mapped
it still records the 2-D parameters so they can fall back on shapes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


NAME = "architecture"
REQUIRES = ("forward",)


@dataclass(frozen=True)
class ArchitectureEvidence:
    sizes: tuple[int, ...]
    """Layer sizes, input first (empty when the parameters could not be mapped)."""
    weights: tuple[str, ...]
    """Weight parameter of each layer, first layer first."""
    biases: tuple[str | None, ...]
    """Bias parameter of each layer (None: the layer has none)."""
    fan_in: dict[str, int]
    """Inputs per unit of each weight parameter."""
    orientation: dict[str, str]
    """"in_out" (x @ W) or "out_in" (W @ x) per weight parameter."""
    hidden: tuple[str, ...]
    """Hidden activation per hidden layer ("sigmoid", "tanh", "relu"); empty when not identified."""
    output: str | None
    """Output activation ("identity", "sigmoid", "softmax"; "tanh" or "relu" found outside the
    reference's set, with ``matched`` False), None when not identified."""
    matched: bool
    """The reference with these activations reproduces the user's forward."""
    matched_on_data: bool
    """...also on the batch exactly as the data gives it (not only on gradcheck's probe inputs)."""
    input_transform: tuple[float, float] | None
    """(m, s) when the forward computes on ``(X - m) / s`` itself (e.g. (0, 255)); None otherwise."""
    departs: str | None
    """When not matched: where the forward departs (a key of ``reference.DEPARTURES``)."""
    n_in: int
    n_out: int
    notes: tuple[str, ...] = ()
    mapping: Any = field(default=None, repr=False, compare=False)
    """The ``reference.ParamMap`` (None when unmapped)."""
    architecture: Any = field(default=None, repr=False, compare=False)
    """The ``reference.Architecture`` (None when unmapped or the forward failed)."""

    @property
    def mapped(self) -> bool:
        return self.mapping is not None

    def reference(self, params: dict[str, Any] | None = None, loss: str = "mse"):
        """A reference MLP with the identified activations and the user's weights (None if unknown)."""
        if self.architecture is None or not self.matched:
            return None
        return self.architecture.reference(loss=loss, params=params)

    def layer_of(self, weight: str) -> int | None:
        """1-based layer index of a weight parameter."""
        return self.weights.index(weight) + 1 if weight in self.weights else None


def _tolerance(params: dict[str, Any], out: np.ndarray) -> float:
    low = any(np.asarray(v).dtype.itemsize < 8 for v in params.values())
    return (1e-3 if low else 1e-6) * max(1.0, float(np.max(np.abs(out))) if out.size else 1.0)


def run(session, evidence) -> ArchitectureEvidence:
    from gradcheck.reference import MappingError, identify, map_params
    from gradcheck.session import BadReturn
    from gradcheck.usercode import UserCodeError

    fw = evidence["forward"]
    params = session.params()
    n_in, n_out = int(session.data.X.shape[1]), int(fw.outputs)
    notes: list[str] = []
    try:
        mapping = map_params(params, session.model.layout, n_in=n_in, n_out=n_out)
    except MappingError as e:
        notes.append(f"parameters not mapped onto layers: {e}")
        evidence.notes.append(f"layer sizes unknown ({e}); activations and initialisation are judged from "
                              f"the shapes and the forward's own arrays")
        return ArchitectureEvidence((), (), (), {}, {}, (), None, False, False, None, None, n_in, n_out,
                                    tuple(notes))
    notes += list(mapping.notes)
    weights = tuple(l.weight for l in mapping.layers)
    biases = tuple(l.bias for l in mapping.layers)
    fan_in = {l.weight: l.n_in for l in mapping.layers}
    orient = {l.weight: l.orientation for l in mapping.layers}
    base = dict(sizes=tuple(mapping.sizes), weights=weights, biases=biases, fan_in=fan_in, orientation=orient,
                n_in=n_in, n_out=n_out)
    fwd = session.forward_rows
    b = session.batch(16)
    X = np.asarray(b.X, dtype=np.float64)
    scale = float(np.max(np.abs(X))) if X.size else 0.0
    data = np.asarray(session.data.X, dtype=np.float64)
    transforms = []
    if scale > 1.5 and np.all(np.isfinite(X)):
        cands = [(0.0, 255.0), (0.0, 256.0), (0.0, scale), (127.5, 127.5), (128.0, 128.0),
                 (float(data.mean()), float(data.std()))]
        transforms = list(dict.fromkeys((m, s) for m, s in cands if s > 0))
    try:
        arch = identify(mapping, fwd, params, seed=session.seed)
        transform = None
        if not arch.matched:
            for m, s in transforms:
                alt = identify(mapping, lambda Xr, m=m, s=s: fwd(Xr * s + m), params, seed=session.seed)
                if alt.matched:
                    arch, transform = alt, (m, s)
                    break
        on_data = False
        if arch.matched:
            ref = arch.reference(params=params)
            user = fwd(X)
            tol = _tolerance(params, user)
            m, s = transform or (0.0, 1.0)
            on_data = bool(np.max(np.abs(ref.forward((X - m) / s) - user)) <= tol)
            if not on_data and transform is None:
                for m, s in transforms:
                    if np.max(np.abs(ref.forward((X - m) / s) - user)) <= tol:
                        transform = (m, s)
                        break
    except (UserCodeError, BadReturn) as e:
        notes.append(f"activations not identified: the forward failed on gradcheck's probe inputs ({e})")
        return ArchitectureEvidence(hidden=(), output=None, matched=False, matched_on_data=False,
                                    input_transform=None, departs=None, notes=tuple(notes), mapping=mapping, **base)
    notes += list(arch.notes)
    output = arch.output if arch.matched else None
    if arch.departs == "output-activation":
        output = _other_output(arch, fwd, params, session.seed, n_in)
        if output:
            notes.append(f"the output activation is {output} (outside the reference network's identity, "
                         f"sigmoid and softmax)")
    if transform:
        m, s = transform
        notes.append(f"the forward normalises its inputs itself: (x - {m:g}) / {s:g}")
        evidence.notes.append(notes[-1])
    known = arch.matched or arch.departs == "output-activation"  # the hidden layers agree with the reference
    return ArchitectureEvidence(hidden=tuple(arch.hidden) if known else (), output=output, matched=arch.matched,
                                matched_on_data=on_data, input_transform=transform, departs=arch.departs,
                                notes=tuple(notes), mapping=mapping, architecture=arch, **base)


def _other_output(arch, fwd, params, seed: int, n_in: int) -> str | None:
    """"tanh" or "relu" when the user's output is that function of the reference's output scores."""
    from gradcheck.reference import MLP, probe_inputs, to_reference_params

    X = probe_inputs(n_in, seed)
    ref = MLP.from_params(to_reference_params(arch.mapping, params), hidden=arch.hidden, output="identity",
                          bias=[l.bias is not None for l in arch.mapping.layers])
    z = ref.forward(X)
    user = fwd(X)
    tol = _tolerance(params, user)
    for name, f in (("tanh", np.tanh), ("relu", lambda v: np.maximum(v, 0.0))):
        if user.shape == z.shape and np.max(np.abs(f(z) - user)) <= tol:
            return name
    return None
