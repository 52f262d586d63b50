"""Map a user's parameters onto the reference network, from their shapes.

A user's ``{name: array}`` becomes a chain of layers: starting at the input
size, each weight matrix takes the current size to the next one (stored as
``(in, out)`` or ``(out, in)``), each optionally followed by a bias of the new
size (``(out,)``, ``(out, 1)`` or ``(1, out)``), until the output size. Every
array must be used. Names only break ties (``W2`` before ``b2``, ``wih``
before ``who``), as does the layout (rows code multiplies ``x @ W``, column
code ``W @ x``).

``to_reference_params`` turns the user's arrays into the reference's
``[(W (in, out), b (out,)), ...]``; ``from_reference_grads`` turns reference
gradients back into the user's names, shapes and orientations.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

ORIENTATIONS = ("in_out", "out_in")
"""``in_out``: W is (in, out) and the code computes ``x @ W``; ``out_in``: W is (out, in), ``W @ x``."""

_MAX_NODES = 20000  # search budget; shapes that need more are pathological


class MappingError(ValueError):
    """The parameters do not form a chain of layers from the input size to the output size."""


@dataclass(frozen=True)
class LayerMap:
    """One layer of the user's network as the reference sees it."""

    weight: str
    """Name of the weight array."""
    bias: str | None
    """Name of the bias array, or None (no bias, as in Rashid's network)."""
    n_in: int
    n_out: int
    orientation: str
    """"in_out" or "out_in" (see ``ORIENTATIONS``)."""
    weight_shape: tuple[int, ...]
    bias_shape: tuple[int, ...] | None


@dataclass(frozen=True)
class ParamMap:
    """The user's parameters laid out as reference layers (first layer first)."""

    layers: tuple[LayerMap, ...]
    layout: str
    notes: tuple[str, ...] = ()
    """How ties were broken, when the shapes alone allowed several mappings."""
    snapshot: dict[str, np.ndarray] = field(default_factory=dict, compare=False, repr=False)
    """float64 copies of the parameters at mapping time (used when no params are given later)."""

    @property
    def sizes(self) -> tuple[int, ...]:
        """Layer sizes, input first."""
        return (self.layers[0].n_in,) + tuple(l.n_out for l in self.layers)

    @property
    def orientations(self) -> tuple[str, ...]:
        return tuple(l.orientation for l in self.layers)

    @property
    def bias_shapes(self) -> tuple[tuple[int, ...] | None, ...]:
        return tuple(l.bias_shape for l in self.layers)

    @property
    def names(self) -> tuple[tuple[str, str | None], ...]:
        """``(weight name, bias name or None)`` per layer."""
        return tuple((l.weight, l.bias) for l in self.layers)

    @property
    def has_bias(self) -> bool:
        return any(l.bias is not None for l in self.layers)


# -- names: tie-breaking only ---------------------------------------------------

def _role(name: str) -> str | None:
    """"weight", "bias" or None, from the last word of the name that says which."""
    for t in reversed(re.findall(r"[a-z]+", name.lower())):
        if t in ("b", "bias", "biases") or t.startswith("bias"):
            return "bias"
        if t in ("w", "weight", "weights", "theta") or t.startswith("weight") or (t[0] == "w" and len(t) <= 3):
            return "weight"  # w, W1, wih, who, whh
    return None


def _numbers(name: str) -> tuple[int, ...]:
    return tuple(int(d) for d in re.findall(r"\d+", name))


def _bias_size(shape: tuple[int, ...]) -> int | None:
    if len(shape) == 1:
        return shape[0]
    if len(shape) == 2 and 1 in shape:
        return shape[0] * shape[1]
    return None


# -- the search -----------------------------------------------------------------

def _solutions(shapes: dict[str, tuple[int, ...]], n_in: int, n_out: int | None,
               orientation: str | None = None, bias: bool | None = None):
    """Chains of layers from ``n_in`` (to ``n_out``): ``([(weight, bias, orientation), ...], unused)``.

    ``orientation`` and ``bias`` (True: every layer has one, False: none) restrict
    the search; None leaves each layer free. Returns the chains and whether the
    search ran out of budget.
    """
    names = list(shapes)
    pos = {k: i for i, k in enumerate(names)}
    orients = [orientation] if orientation else list(ORIENTATIONS)

    def pick(cands: list[str], role: str) -> list[str]:
        """One array per distinct shape: identically shaped arrays are interchangeable,
        so the one whose name fits ``role``, then lowest number, then first, stands for them."""
        best: dict[tuple, str] = {}
        for k in sorted(cands, key=lambda k: (_role(k) not in (role, None), _role(k) != role,
                                              _numbers(k), pos[k])):
            best.setdefault(shapes[k], k)
        return list(best.values())

    found: list[tuple[list, set]] = []
    nodes = 0

    def extend(size: int, used: frozenset, layers: list) -> None:
        nonlocal nodes
        nodes += 1
        if nodes > _MAX_NODES:
            return
        if layers and (size == n_out or (n_out is None and len(used) == len(names))):
            found.append((layers, set(names) - used))
        free = [k for k in names if k not in used]
        for w in pick([k for k in free if len(shapes[k]) == 2], "weight"):
            a, b = shapes[w]
            for orient in orients:
                i, o = (a, b) if orient == "in_out" else (b, a)
                if i != size:
                    continue
                if bias is not True:
                    extend(o, used | {w}, layers + [(w, None, orient)])
                if bias is not False:
                    for bname in pick([k for k in free if k != w and _bias_size(shapes[k]) == o], "bias"):
                        extend(o, used | {w, bname}, layers + [(w, bname, orient)])

    extend(n_in, frozenset(), [])
    return found, nodes > _MAX_NODES


def _search(shapes: dict[str, tuple[int, ...]], n_in: int, n_out: int | None):
    """Consistent networks first (one orientation, biases everywhere or nowhere); a free search
    only when none of those uses every array. Keeps the search linear in the usual cases."""
    found, truncated = [], False
    for orientation in ORIENTATIONS:
        for bias in (True, False):
            f, t = _solutions(shapes, n_in, n_out, orientation, bias)
            found, truncated = found + f, truncated or t
    if not any(not unused for _, unused in found):
        f, t = _solutions(shapes, n_in, n_out)
        found, truncated = found + f, truncated or t
    return found, truncated


def _score(layers: list, unused: set, layout: str) -> tuple:
    """Lower is better: complete, consistent, then agreeing with names and layout.

    (The order among identically shaped arrays is already settled by ``pick``.)
    """
    prior = "in_out" if layout == "rows" else "out_in"
    with_bias = {b is not None for _, b, _ in layers}
    orients = {o for _, _, o in layers}
    conflicts = sum(_role(w) == "bias" for w, _, _ in layers) + sum(_role(b) == "weight" for _, b, _ in layers if b)
    unpaired = sum(bool(_numbers(w)) and bool(_numbers(b)) and _numbers(w) != _numbers(b) for w, b, _ in layers if b)
    return (len(unused), len(with_bias) - 1, len(orients) - 1, conflicts,
            sum(o != prior for _, _, o in layers), unpaired)


_TIE_BREAKS = ("parameter names", "the layout", "the numbers in the names")


def map_params(params: Mapping[str, Any], layout: str = "rows", n_in: int | None = None,
               n_out: int | None = None) -> ParamMap:
    """Lay the user's ``{name: array}`` out as reference layers.

    Args:
        params: the user's parameters in their order (ndarray, np.matrix, any float dtype).
        layout: "rows", "columns" or "sample" (the orientation prior for square weights).
        n_in: the input size (e.g. 784); required.
        n_out: the output size (e.g. 10); None accepts any chain that uses every array.

    Raises:
        MappingError: when no chain of weights leads from ``n_in`` to ``n_out``.
    """
    if n_in is None:
        raise MappingError("map_params needs the input size (n_in), e.g. 784 for MNIST.")
    shapes = {k: tuple(int(d) for d in np.shape(v)) for k, v in params.items()}
    odd = [f"{k} {s}" for k, s in shapes.items() if len(s) > 2 or len(s) == 0]
    if odd:
        raise MappingError(f"parameters must be 1-D or 2-D arrays; got {', '.join(odd)}.")
    found, truncated = _search(shapes, int(n_in), n_out)
    if not found:
        listing = ", ".join(f"{k} {s}" for k, s in shapes.items())
        target = f" to {n_out} outputs" if n_out else ""
        raise MappingError(f"no chain of weight matrices leads from {n_in} inputs{target}: the parameters "
                           f"are {listing}. Is a bias folded into a weight matrix, or the input size wrong?")
    scored = sorted(found, key=lambda s: _score(s[0], s[1], layout))
    layers, unused = scored[0]
    best = _score(layers, unused, layout)
    notes = []
    if unused:
        notes.append(f"not part of the network: {', '.join(sorted(unused))}.")
    rivals = [_score(l, u, layout) for l, u in scored[1:]]
    rivals = [r for r in rivals if r[:3] == best[:3]]
    if rivals:
        decided = next((i for i in range(3, len(best)) if any(r[i] != best[i] for r in rivals)), None)
        how = _TIE_BREAKS[decided - 3] if decided is not None else "the first one found (a true tie)"
        notes.append(f"{len(rivals) + 1} mappings fit the shapes; chose by {how}.")
    for w, b, _ in layers:
        if b is not None and shapes[w] == shapes[b]:
            notes.append(f"{w} and {b} have the same shape {shapes[w]}; took {w} as the weight "
                         f"(by {'its name' if _role(w) or _role(b) else 'their order'}).")
    if truncated:
        notes.append("the search for a mapping was cut short; the result may not be the best one.")
    out = tuple(_layer(w, b, o, shapes) for w, b, o in layers)
    snapshot = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    return ParamMap(out, layout, tuple(notes), snapshot)


def _layer(w: str, b: str | None, orient: str, shapes: dict) -> LayerMap:
    a, c = shapes[w]
    n_in, n_out = (a, c) if orient == "in_out" else (c, a)
    return LayerMap(w, b, n_in, n_out, orient, shapes[w], shapes[b] if b else None)


# -- conversions ----------------------------------------------------------------

def to_reference_params(mapping: ParamMap, user_params: Mapping[str, Any] | None = None
                        ) -> list[tuple[np.ndarray, np.ndarray]]:
    """The user's arrays as reference ``[(W (in, out), b (out,)), ...]`` float64 copies.

    Layers without a bias get zeros. ``user_params`` defaults to the mapping's snapshot.
    """
    p = mapping.snapshot if user_params is None else user_params
    out = []
    for l in mapping.layers:
        W = np.array(p[l.weight], dtype=np.float64)
        if W.shape != l.weight_shape:
            raise MappingError(f"{l.weight} has shape {W.shape}; it was {l.weight_shape} when mapped.")
        W = W if l.orientation == "in_out" else W.T
        b = np.zeros(l.n_out) if l.bias is None else np.array(p[l.bias], dtype=np.float64).reshape(-1)
        out.append((np.ascontiguousarray(W), b))
    return out


def from_reference_grads(mapping: ParamMap, grads: Sequence[tuple[np.ndarray, np.ndarray]]
                         ) -> dict[str, np.ndarray]:
    """Reference ``[(dW, db), ...]`` as ``{user name: array}`` in the user's shapes.

    Works for any per-layer pair in reference shapes (gradients, variants, parameters).
    Gradients of biases the user does not have are dropped.
    """
    out: dict[str, np.ndarray] = {}
    for l, (dW, db) in zip(mapping.layers, grads):
        dW = np.asarray(dW, dtype=np.float64)
        out[l.weight] = (dW if l.orientation == "in_out" else dW.T).reshape(l.weight_shape)
        if l.bias is not None:
            out[l.bias] = np.asarray(db, dtype=np.float64).reshape(l.bias_shape)
    return out
