"""Record the arrays a user's forward computes, without hooks in the user's code.

While the forward runs, ``sys.setprofile`` sees every Python function of the
user's return. At each return, the returned value, the function's local
variables and the attributes of its ``self`` (one level; lists and tuples of
arrays included) are offered; float arrays whose shape is a hidden layer's
(``(n, h)`` or ``(h, n)`` for a batch of n samples, ``(h, 1)``, ``(1, h)`` or
``(h,)`` for one sample) are copied. Library code (numpy, scipy, gradcheck) is
skipped by file, so ``np.tanh`` used directly is seen only through the
variable the user stores it in.

Each copy is keyed by its *site*: the function, the slot (``<return>``, a local
name, ``self.attr``, ``name[i]``), the size and how many times that site was
seen during the call. Sites are stable from call to call, which lines up the
per-sample calls of the ``sample`` layout. Sites holding the same values are
one *quantity* (``a1`` returned by ``sigmoid`` and stored as ``self.a1``).
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from gradcheck import usercode

_MAX_SITES = 400
_MAX_BYTES = 64 * 2 ** 20


@dataclass
class Quantity:
    """One array of a hidden size that the forward computed, as (n, h) rows."""

    size: int
    values: np.ndarray
    order: int
    """When it was first seen (smaller: earlier in the forward)."""
    sites: list[str] = field(default_factory=list)
    """Where it was seen, e.g. ``"sigmoid: <return>"`` or ``"MLP.forward: self.h"``."""


class Recorder:
    """Context manager recording hidden-sized arrays during one call of the forward."""

    def __init__(self, sizes: set[int], n: int | None, skip: tuple = ()):
        self.sizes, self.n = set(sizes), n
        self._skip = {id(a) for a in skip}
        self._keep = list(skip)  # the skipped objects stay alive, so their ids stay theirs
        self._lib: dict[str, bool] = {}
        self.records: dict[tuple, np.ndarray] = {}
        self.order: dict[tuple, int] = {}
        self._occ: dict[tuple, int] = {}
        self._bytes = 0
        self._old: Any = None
        self._seq = 0

    def __enter__(self) -> "Recorder":
        self._old = sys.getprofile()
        sys.setprofile(self._profile)
        return self

    def __exit__(self, *exc: Any) -> None:
        sys.setprofile(self._old)

    def _is_library(self, filename: str) -> bool:
        lib = self._lib.get(filename)
        if lib is None:
            lib = self._lib[filename] = usercode._is_library(os.path.abspath(filename))
        return lib

    def _profile(self, frame, event, arg) -> None:
        if event != "return":
            return
        code = frame.f_code
        if self._is_library(code.co_filename):
            return
        fn = getattr(code, "co_qualname", code.co_name)
        try:
            self._offer(fn, "<return>", arg, 0)
            for name, v in list(frame.f_locals.items()):
                if name == "self" and hasattr(v, "__dict__") and not isinstance(v, type):
                    for attr, av in list(vars(v).items()):
                        self._offer(fn, f"self.{attr}", av, 0)
                else:
                    self._offer(fn, name, v, 0)
        except Exception:  # noqa: BLE001 - recording must never break the user's forward
            return

    def _shape_rows(self, a: np.ndarray) -> np.ndarray | None:
        """``a`` as (n, h) rows (batch) or (h,) (one sample), when its shape is a hidden layer's."""
        s = a.shape
        if self.n is None:  # one sample
            if len(s) == 2 and 1 in s and max(s) in self.sizes:
                return a.reshape(-1)
            if len(s) == 1 and s[0] in self.sizes:
                return a
            return None
        if len(s) != 2:
            return None
        if s[0] == self.n and s[1] in self.sizes:
            return a
        if s[1] == self.n and s[0] in self.sizes:
            return a.T
        return None

    def _offer(self, fn: str, slot: str, v: Any, depth: int) -> None:
        if isinstance(v, np.ndarray):
            if (v.dtype.kind != "f" or id(v) in self._skip or len(self.records) >= _MAX_SITES
                    or self._bytes > _MAX_BYTES):
                return
            r = self._shape_rows(np.asarray(v))
            if r is None:
                return
            h = r.shape[-1]
            base = (fn, slot, h)
            occ = self._occ.get(base, 0)
            self._occ[base] = occ + 1
            key = base + (occ,)
            copy = np.array(r, dtype=np.float64)
            self.records[key] = copy
            self._bytes += copy.nbytes
            self.order[key] = self._seq
            self._seq += 1
        elif isinstance(v, (list, tuple)) and depth == 0 and 0 < len(v) <= 64:
            for i, e in enumerate(v):
                if isinstance(e, np.ndarray):
                    self._offer(fn, f"{slot}[{i}]", e, 1)


def record(call: Callable[[], Any], sizes: set[int], n: int | None, skip: tuple = ()) -> Recorder:
    """Run ``call()`` (one forward) and return what was recorded (``skip``: arrays to ignore, the
    parameters: a bias has a hidden layer's shape but is not an activation)."""
    rec = Recorder(sizes, n, skip)
    with rec:
        call()
    return rec


def quantities(recs: list[Recorder], n: int) -> list[Quantity]:
    """Distinct (n, h) arrays from one batch call, or from n per-sample calls (stacked by site)."""
    if not recs:
        return []
    if len(recs) == 1 and recs[0].n is not None:
        stacked = dict(recs[0].records)
        order = dict(recs[0].order)
    else:
        common = set(recs[0].records)
        for r in recs[1:]:
            common &= set(r.records)
        stacked = {}
        for k in common:
            parts = [r.records[k] for r in recs]
            if len({p.shape for p in parts}) == 1:
                stacked[k] = np.stack(parts)
        order = {k: recs[0].order[k] for k in stacked}
    out: dict[tuple, Quantity] = {}
    for k in sorted(stacked, key=lambda k: order[k]):
        v = stacked[k]
        if v.shape[0] != n:
            continue
        content = (v.shape, v.tobytes())
        q = out.get(content)
        label = f"{k[0]}: {k[1]}"
        if q is None:
            out[content] = Quantity(v.shape[1], v, order[k], [label])
        elif label not in q.sites:
            q.sites.append(label)
    return sorted(out.values(), key=lambda q: q.order)
