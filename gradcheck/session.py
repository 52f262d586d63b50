"""A session: one model, its data, and safe calls of its functions in gradcheck's terms.

Probes never call user code directly; they ask the session for the output of
a batch as (n, k) float64 rows, the gradient as ``{name: float64 array}``, or
one training step. The session handles the layout, the time budget, and turns
what the user's code returns into arrays or into a ``BadReturn`` that names
what is wrong with it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from gradcheck import usercode
from gradcheck.batch import Batch, make_batch
from gradcheck.model import Model, source_location


class BadReturn(Exception):
    """User code returned something gradcheck cannot use (None, wrong shape, missing key)."""

    def __init__(self, role: str, kind: str, message: str, **info: Any):
        super().__init__(message)
        self.role, self.kind, self.info = role, kind, info


@dataclass
class Session:
    model: Model
    data: Batch
    """All the data gradcheck may use for this model (rows)."""
    seed: int = 0
    budget: float = 10.0
    """Seconds one call of the user's code may take."""
    rng: np.random.Generator = field(init=False)
    calls: dict[str, int] = field(default_factory=dict)
    loss: str | None = None
    """The loss family the gradient belongs to, once the gradient probe decided it."""
    check_batch: int | None = None
    """Batch size of the gradient check (None: the probe's default; shape exploration varies it)."""
    explore_seconds: float = 0.0
    """Time budget of shape exploration (0: off)."""
    reshaped: dict[str, tuple[tuple, tuple]] = field(default_factory=dict)
    """Gradients backward returned in another shape with the same entries (``(h,)`` for an
    ``(h, 1)`` parameter), which the session reshaped: {name: (gradient shape, param shape)}."""
    data_source: str = "the bundled MNIST sample"
    """Where ``data`` came from: "data()" (the user's own, exactly as their code feeds it),
    a ``--data`` file path, or the bundled MNIST sample (pixels scaled to [0, 1])."""

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng(self.seed)

    # -- locations -------------------------------------------------------
    def location(self, role: str) -> tuple[str | None, int | None]:
        fn = self.model.user_function(role)
        return source_location(fn) if fn is not None else (None, None)

    @property
    def source(self) -> str | None:
        """The user's file (looked up once: ``inspect`` tokenises the file every time it is asked)."""
        if "_source" not in self.__dict__:
            self.__dict__["_source"] = self.model.source or self.location("forward")[0]
        return self.__dict__["_source"]

    def param_map(self):
        """The user's parameters as reference layers (``reference.mapping.ParamMap``), or None.

        Computed once per session from the shapes, the data's feature count and the
        number of outputs.
        """
        if "_param_map" not in self.__dict__:
            from gradcheck.reference.mapping import MappingError, map_params

            try:
                self.__dict__["_param_map"] = map_params(self.params(), self.model.layout,
                                                         int(np.shape(self.data.X)[1]), int(self.data.Y.shape[1]))
            except (MappingError, ValueError, IndexError):
                self.__dict__["_param_map"] = None
        return self.__dict__["_param_map"]

    def layer_of(self, name: str) -> int | None:
        """1-based layer of parameter ``name`` (None when the network cannot be mapped)."""
        pm = self.param_map()
        if pm is None:
            return None
        for i, layer in enumerate(pm.layers, 1):
            if name in (layer.weight, layer.bias):
                return i
        return None

    # -- calling ---------------------------------------------------------
    def _call(self, role: str, fn: Callable, *args: Any) -> Any:
        self.calls[role] = self.calls.get(role, 0) + 1
        return usercode.call(role, fn, *args, budget=self.budget, prefer_file=self.source)

    def params(self) -> dict[str, Any]:
        return self.model.get_params()

    def batch(self, n: int, offset: int = 0) -> Batch:
        idx = (np.arange(n) + offset) % self.data.n
        return self.data.take(idx)

    def forward_rows(self, X: np.ndarray) -> np.ndarray:
        """The network's output for input rows ``X`` (n, features) as (n, k) float64 rows.

        The user's forward on inputs that are not a batch of the data (the
        reference's probe inputs, rescaled inputs): no targets are needed.
        """
        n = len(X)
        return self.output(Batch(np.asarray(X), np.zeros((n, 1)), np.zeros(n, dtype=int)))

    def output(self, b: Batch) -> np.ndarray:
        """The network's output for ``b`` as (n, k) float64 rows."""
        layout = self.model.layout
        if layout == "sample":
            outs = []
            for x in b.inputs("sample"):
                o = self._call("forward", self.model.forward, x)
                outs.append(self._vector(o, "forward"))
            k = {o.size for o in outs}
            if len(k) != 1:
                raise BadReturn("forward", "shape", f"forward returned outputs of different sizes {sorted(k)}.")
            return np.stack(outs)
        raw = self._call("forward", self.model.forward, b.inputs(layout))
        out = self._array(raw, "forward")
        n = b.n
        if layout == "columns":
            if out.ndim == 1 and n == 1:
                out = out.reshape(-1, 1)
            if out.ndim != 2 or out.shape[1] != n:
                raise BadReturn("forward", "shape",
                                f"forward returned shape {out.shape} for a batch of {n} columns; "
                                f"expected (outputs, {n}).", shape=out.shape, n=n)
            return out.T.astype(np.float64)
        if out.ndim == 1 and out.shape[0] == n:
            out = out.reshape(n, 1)
        if out.ndim != 2 or out.shape[0] != n:
            raise BadReturn("forward", "shape",
                            f"forward returned shape {out.shape} for a batch of {n} rows; expected ({n}, outputs).",
                            shape=out.shape, n=n)
        return out.astype(np.float64)

    def _array(self, raw: Any, role: str) -> np.ndarray:
        if raw is None:
            raise BadReturn(role, "none", f"{role} returned None.")
        if isinstance(raw, tuple) and len(raw) >= 1 and role == "forward":
            raw = raw[0] if isinstance(raw[0], np.ndarray) and raw[0].ndim >= 1 else raw[-1]
        try:
            a = np.asarray(raw, dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise BadReturn(role, "type", f"{role} returned {type(raw).__name__}, not an array: {e}") from e
        return a

    def _vector(self, raw: Any, role: str) -> np.ndarray:
        return self._array(raw, role).reshape(-1)

    def gradients(self, b: Batch) -> dict[str, np.ndarray]:
        """The user's gradient for ``b``, float64, keyed and shaped as the params.

        Per-sample layouts are summed over the batch. A model with only a step
        gives ``-(θ_after - θ_before)``, which is the gradient up to a global scale.
        """
        params = self.params()
        if self.model.backward is None:
            return self._gradients_from_step(b, params)
        if self.model.layout == "sample":
            total: dict[str, np.ndarray] | None = None
            for x, y in zip(b.inputs("sample"), b.targets("sample")):
                g = self._grad_dict(self._call("backward", self.model.backward, x, y), params, 1)
                total = g if total is None else {k: total[k] + g[k] for k in total}
            return total or {}
        raw = self._call("backward", self.model.backward, b.inputs(self.model.layout), b.targets(self.model.layout))
        return self._grad_dict(raw, params, b.n)

    def _grad_dict(self, raw: Any, params: dict[str, Any], n: int = 1) -> dict[str, np.ndarray]:
        """``raw`` as ``{name: float64 array}``; ``n`` is the batch size of the call (named in shape errors)."""
        names = list(params)
        if raw is None:
            raise BadReturn("backward", "none", "backward returned None instead of {name: gradient}.")
        if isinstance(raw, (list, tuple)) and not isinstance(raw, dict):
            if len(raw) != len(names):
                raise BadReturn("backward", "keys",
                                f"backward returned a {type(raw).__name__} of {len(raw)} gradients for "
                                f"{len(names)} parameters ({', '.join(names)}).", missing=names[len(raw):])
            raw = dict(zip(names, raw))
        if not isinstance(raw, dict):
            raise BadReturn("backward", "type", f"backward returned {type(raw).__name__}, not a dict {{name: gradient}}.")
        missing = [k for k in names if k not in raw or raw[k] is None]
        if missing:
            raise BadReturn("backward", "keys", f"backward returned no gradient for {', '.join(missing)}.",
                            missing=missing)
        out = {}
        wrong: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {}
        for k in names:
            g = np.asarray(raw[k], dtype=np.float64)
            shape = np.shape(params[k])
            if g.shape != shape:
                if g.size == int(np.prod(shape)) and g.squeeze().shape == np.empty(shape).squeeze().shape:
                    self.reshaped.setdefault(k, (tuple(g.shape), tuple(shape)))
                    g = g.reshape(shape)
                else:
                    wrong[k] = (tuple(g.shape), tuple(shape))
            out[k] = g
        if wrong:
            k, (gs, ps) = next(iter(wrong.items()))
            raise BadReturn("backward", "shape", f"the gradient for {k} has shape {gs} but {k} has shape {ps}.",
                            param=k, grad_shape=gs, param_shape=ps, shapes=wrong, n=n)
        return out

    def _gradients_from_step(self, b: Batch, params: dict[str, Any]) -> dict[str, np.ndarray]:
        from gradcheck.state import preserved

        before = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
        total = {k: np.zeros_like(v) for k, v in before.items()}
        chunks = ([b.take([i]) for i in range(b.n)] if self.model.layout == "sample" else [b])
        for c in chunks:
            with preserved(self.model):
                self.step(c)
                after = self.params()
                for k in total:
                    a = np.asarray(after[k], dtype=np.float64)
                    if a.shape != before[k].shape:
                        raise BadReturn("step", "shape", f"step changed the shape of {k} from "
                                        f"{before[k].shape} to {a.shape}.", param=k,
                                        grad_shape=tuple(a.shape), param_shape=tuple(before[k].shape), n=c.n)
                    total[k] += before[k] - a
        return total

    def step(self, b: Batch) -> None:
        """One training step of the user's own update (sample layout: one call per sample)."""
        if self.model.step is None:
            raise BadReturn("step", "missing", "the model has no step.")
        if self.model.layout == "sample":
            for x, y in zip(b.inputs("sample"), b.targets("sample")):
                self._call("step", self.model.step, x, y)
        else:
            self._call("step", self.model.step, b.inputs(self.model.layout), b.targets(self.model.layout))

    def evaluate(self, b: Batch) -> Any:
        if self.model.evaluate is None:
            return None
        layout = self.model.layout
        X = b.inputs(layout)
        return self._call("evaluate", self.model.evaluate, X, b.labels.copy())


def first_weight_sizes(params: dict[str, Any]) -> list[int]:
    """Candidate input sizes: the dimensions of the first 2-D parameter."""
    for v in params.values():
        s = np.shape(v)
        if len(s) == 2:
            return list(s)
    return []


def prepare(model: Model, *, seed: int = 0, data_path: str | None = None, budget: float = 10.0,
            max_samples: int = 2000) -> Session:
    """Build the session's data: the model's own ``data()``, a ``--data`` file, or the bundled sample."""
    from gradcheck import datasets

    t0 = time.perf_counter()
    params = model.get_params()
    sizes = first_weight_sizes(params)
    if model.data is not None and data_path is None:
        raw = usercode.call("data", model.data, budget=max(budget, 60.0))
        if not (isinstance(raw, (tuple, list)) and len(raw) == 2):
            raise BadReturn("data", "type", "data() must return (X, y).")
        X, y = raw
        layout = model.layout
    else:
        X, y = datasets.load(data_path) if data_path else datasets.bundled()
        layout = "rows"  # files and the bundled sample hold one sample per row
    rng = np.random.default_rng(seed)
    probe_batch = make_batch(X, y, layout, None, sizes)
    n_out = _output_size(model, probe_batch, budget)
    batch = make_batch(X, y, layout, n_out, sizes)
    if batch.n > max_samples:
        batch = batch.take(np.sort(rng.choice(batch.n, max_samples, replace=False)))
    source = "data()" if model.data is not None and data_path is None else (data_path or "the bundled MNIST sample")
    s = Session(model, batch, seed=seed, budget=budget, data_source=source)
    s.calls["prepare_seconds"] = int(1000 * (time.perf_counter() - t0))
    return s


def _output_size(model: Model, b: Batch, budget: float) -> int | None:
    """Number of outputs, from one forward call on one sample (None when it cannot tell)."""
    try:
        return int(Session(model, b, budget=budget).output(b.take([0])).shape[1])
    except Exception:  # noqa: BLE001 - the probes report forward failures properly
        return None
