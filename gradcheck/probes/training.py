"""Training probe: a short, seeded, time-bounded slice of the user's own training.

Everything runs inside ``state.preserved(model)``, so later probes (and the
user) see the initial weights again. Six measurements, each in its own
preserved block so each starts from the user's fresh state:

1. **run**: ``STEPS`` steps of the user's ``step`` on small batches
   (``BATCH`` rows or columns; one sample per step in the sample layout), or,
   without a step, plain gradient descent with the user's gradient. Per step:
   the loss and accuracy on a fixed monitor batch, and per parameter its norm,
   the update Δθ, cos(Δθ, θ), the factor α = <Δθ,θ>/|θ|² it is multiplied by,
   the shape, and (with a backward) the gradient at that step, the effective
   learning rate -<Δθ,g>/|g|² and the least-squares split Δθ ≈ aθ + bg.
   On the first ``SLOPE_STEPS`` steps, the directional derivative of the
   batch loss along Δθ (central differences at θ ± εΔθ, ε small): negative
   for a step that descends, positive for one that climbs.
2. **repeat**: the user's step applied ``REPEATS`` times to the *same* batch
   from the *same* weights (only the weights are reset between calls; the
   user's other state, e.g. momentum or gradient buffers, is kept), so the
   growth of |Δθ| from call to call shows state that accumulates.
3. **sweep**: the user's update direction scaled by 10^-3 .. 10^3 for a few
   steps each (θ ← θ + s·Δθ(θ), Δθ from the user's step at θ, three passes
   over a small pool of batches, scored on that pool): which scale of the
   user's own step trains best.
4. **overfit**: up to ``OVERFIT_STEPS`` steps on one tiny batch: a working
   model drives the loss on it toward zero.
5. **summed**: the gradient of a batch holding every sample twice, against the
   batch's own: twice as large for a summed gradient (the step then grows with
   the batch size), the same for a mean.
6. **initial loss** against its expected value (ln k for k-class cross-entropy).

Losses are per sample, in the family the gradient probe decided
(``session.loss``), else the model's declared loss, else by output range:
outputs in (0, 1) summing to 1 → nll, in (0, 1) → mse, else cross-entropy.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gradcheck import losses, state
from gradcheck.batch import Batch, to_layout
from gradcheck.session import BadReturn
from gradcheck.usercode import UserCodeError, UserCodeTimeout

NAME = "training"
REQUIRES = ("forward",)

STEPS = 40
"""Steps of the main run: enough to see a trend and a geometric factor (0.9^40 = 0.015)."""
BATCH = 16
"""Rows/columns per step (sample layout: one sample per step, as the user's loop does)."""
MONITOR = {"rows": 64, "columns": 64, "sample": 24}
"""Samples the loss/accuracy is measured on after every step (sample layout: one forward call each)."""
SLOPE_STEPS = 4
"""Steps whose direction is checked with central differences (early: optimiser state is fresh)."""
REPEATS = 6
"""Calls of the step on one batch from the same weights, for accumulating state."""
SWEEP_SCALES = (1e-3, 1e-2, 1e-1, 1.0, 1e1, 1e2, 1e3)
"""Scales of the user's update tried by the sweep; extended (by decades, to 1e-6 .. 1e8) so that the scales
bringing the update-to-weight ratio to 1e-4 .. 3e-2 are always among them (a learning rate 1e5 too small
still gets a scale that would train)."""
SWEEP_STEPS = {"rows": 12, "columns": 12, "sample": 24}
SWEEP_POOL = {"rows": 4, "columns": 4, "sample": 8}
"""The sweep cycles over this many batches (3 passes) and scores the loss on them: optimisation, not
generalisation, is what the step size decides."""
OVERFIT_N = 4
OVERFIT_STEPS = 300
TIME = {"run": 1.0, "repeat": 0.3, "sweep": 0.8, "overfit": 0.6}
"""Seconds each part may take (checked between calls; one call may overrun by up to session.budget)."""
REL_EPS = 1e-3
"""Directional checks move θ by 1e-3 of |θ| along Δθ: far above float32 rounding, far below curvature."""


# -- evidence ---------------------------------------------------------------------------------------
@dataclass
class ParamTrace:
    """One parameter over the run. Lists are per step unless noted."""

    name: str
    shape: tuple
    dtype: str
    norm: list[float] = field(default_factory=list)
    """|θ| before each step, plus after the last (steps + 1 values)."""
    update: list[float] = field(default_factory=list)
    """|Δθ|."""
    changed: list[bool] = field(default_factory=list)
    """The step changed at least one entry (bitwise)."""
    cos_theta: list[float] = field(default_factory=list)
    """cos(Δθ, θ): +1 grows θ along itself, -1 shrinks it."""
    alpha: list[float] = field(default_factory=list)
    """<Δθ, θ>/|θ|²: the step multiplies the θ-component by (1 + α)."""
    grad: list[float] = field(default_factory=list)
    """|g| at θ before the step (nan without a backward)."""
    lr_eff: list[float] = field(default_factory=list)
    """-<Δθ, g>/|g|²."""
    cos_grad: list[float] = field(default_factory=list)
    """cos(Δθ, -g): +1 is plain gradient descent."""
    fit_alpha: list[float] = field(default_factory=list)
    """a in the least-squares fit Δθ ≈ a·θ + b·g (nan when θ and g are (nearly) parallel or size < 2)."""
    fit_beta: list[float] = field(default_factory=list)
    fit_resid: list[float] = field(default_factory=list)
    """|Δθ - aθ - bg| / |Δθ|."""

    @property
    def ratio(self) -> list[float]:
        """Update-to-weight ratio |Δθ|/|θ| per step."""
        return [u / n if n > 0 else float("nan") for u, n in zip(self.update, self.norm)]


@dataclass
class SlopeCheck:
    """Directional derivative of the step's own batch loss along the step, at θ before it."""

    step: int
    base: float
    """Batch loss at θ (per sample)."""
    after: float
    """Batch loss after the full step."""
    total: float
    """Directional derivative (L(θ+εΔ) - L(θ-εΔ)) / 2ε along Δ, all parameters moved together
    (ε: |εΔ| = 1e-3 |θ|): the loss change a full step would make if the loss were linear."""
    per_param: dict[str, float] = field(default_factory=dict)
    """The same, moving one parameter only."""
    rel: dict[str, float] = field(default_factory=dict)
    """(L(θ+εΔ) - L(θ-εΔ)) / 2|L| per parameter and under "*" for all together: compare with the
    loss's rounding noise (about 1e-12 in float64, 1e-5 with float32 parameters)."""


@dataclass
class RepeatRun:
    """The step applied repeatedly to one batch from the same weights."""

    norms: dict[str, list[float]]
    """|Δθ_i| per call."""
    increments: dict[str, list[float]]
    """|Δθ_{i+1} - Δθ_i|."""
    cos_first: dict[str, list[float]]
    """cos(Δθ_i, Δθ_1)."""


@dataclass
class ZeroStep:
    """One step (fresh state, initial weights) with targets equal to the network's own output
    (softmax of it for cross-entropy on scores): the loss is at its minimum for these targets, so a
    correct gradient is zero and plain SGD, momentum and Adam all leave θ unchanged."""

    update: dict[str, float]
    """|Δθ| per parameter."""
    alpha: dict[str, float]
    """<Δθ, θ>/|θ|²."""
    cos_theta: dict[str, float]
    """cos(Δθ, θ)."""
    norm: dict[str, float]
    """|θ| before the step."""


@dataclass
class Sweep:
    """Monitor loss after ``steps`` steps of θ ← θ + s·Δθ(θ), for each scale s of the user's update."""

    steps: int
    scales: list[float]
    loss: list[float]
    """Per scale; inf when the run blew up."""
    initial: float


@dataclass
class OverfitRun:
    n: int
    steps: int
    at: list[int]
    loss: list[float]
    accuracy: list[float]
    seconds: float
    stopped: str = ""
    const_loss: float = float("nan")
    """Loss of the best constant output on the batch (the label frequencies): what fitting must beat."""

    @property
    def initial(self) -> float:
        return self.loss[0] if self.loss else float("nan")

    @property
    def final(self) -> float:
        return self.loss[-1] if self.loss else float("nan")


@dataclass
class TrainingEvidence:
    family: str
    """Loss family the losses below are measured in."""
    user_step: bool
    """True: the user's step was run; False: gradcheck's plain gradient descent."""
    lr: float | None
    """The learning rate of gradcheck's gradient descent (None when the user's step ran)."""
    batch_size: int
    monitor_size: int
    steps: int
    """Steps completed in the main run."""
    loss: list[float]
    """Monitor loss before the first step and after each step."""
    accuracy: list[float]
    """Monitor accuracy (argmax of the output) before and after each step."""
    user_accuracy: tuple | None
    """The user's evaluate on the monitor batch (before, after the run), when it has one."""
    params: dict[str, ParamTrace]
    order: list[str]
    batch_before: list[float]
    """Loss of each step's own batch at θ before the step."""
    batch_after: list[float]
    """Loss of the same batch after the step (higher than before: the step overshot)."""
    slopes: list[SlopeCheck]
    shape_changes: list[dict]
    """{step, param, before, after} for every step that changed a parameter's shape."""
    stopped: str
    """Why the run ended early: "", "time", "nonfinite", "shape", "error"."""
    error: Any = None
    """The user-code error that ended the run, if any."""
    stale: list[str] = field(default_factory=list)
    """Parameters no step changed whose exposed array the forward no longer reads after the run (the step
    replaced the network's array with a new one that ``params`` does not return): not dead, just unseen."""
    repeat: RepeatRun | None = None
    zero: ZeroStep | None = None
    sweep: Sweep | None = None
    overfit: OverfitRun | None = None
    initial_loss: float = float("nan")
    expected_initial_loss: float | None = None
    classes: int = 0
    has_gradient: bool = False
    summed: bool | None = None
    """True when the update grows with the batch (a summed, not averaged, gradient): the same samples
    twice in one batch give twice the update. None when it could not be measured."""
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)


# -- helpers ----------------------------------------------------------------------------------------
def _f64(params: dict[str, Any]) -> dict[str, np.ndarray]:
    return {k: np.array(v, dtype=np.float64) for k, v in params.items()}


def _raw(params: dict[str, Any]) -> dict[str, np.ndarray]:
    return {k: np.array(np.asarray(v), copy=True) for k, v in params.items()}


def write(session, values: dict[str, np.ndarray]) -> bool:
    """Write ``values`` into the live parameter arrays in place; False when one cannot be written."""
    live = session.params()
    for k, v in values.items():
        if k not in live or not isinstance(live[k], np.ndarray):
            return False
        a = np.asarray(live[k])
        if a.shape != np.shape(v) or not a.flags.writeable:
            return False
        np.copyto(a, v, casting="unsafe")
    return True


def _norm(a: np.ndarray) -> float:
    return float(np.sqrt(np.sum(a * a))) if a.size else 0.0


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    na, nb = _norm(a), _norm(b)
    return float(np.sum(a * b) / (na * nb)) if na > 0 and nb > 0 else float("nan")


def family(session, out: np.ndarray) -> str:
    m = session.model
    if callable(m.loss):
        return "custom"
    if session.loss in losses.FUNCS:
        return session.loss
    if m.loss in losses.FUNCS:
        return m.loss
    if out.size and np.all(out > 0) and np.all(out < 1):
        return "nll" if out.shape[1] > 1 and np.allclose(out.sum(axis=1), 1.0, atol=1e-3) else "mse"
    return "cross_entropy"


def batch_loss(session, fam: str, out: np.ndarray, b: Batch) -> float:
    """Per-sample loss of output rows ``out`` on ``b``; inf when the output is not finite."""
    if out.shape != b.Y.shape or not np.all(np.isfinite(out)):
        return float("inf")
    with np.errstate(all="ignore"):
        if fam == "custom":
            m = session.model
            if m.layout == "sample":
                v = sum(float(m.loss(o.reshape(-1, 1), y.reshape(-1, 1))) for o, y in zip(out, b.Y))
            else:
                v = float(m.loss(to_layout(out, m.layout), to_layout(b.Y, m.layout)))
        else:
            v = losses.FUNCS[fam](out, b.Y)
    v = v / max(1, b.n)
    return v if math.isfinite(v) else float("inf")


def accuracy(out: np.ndarray, b: Batch) -> float:
    if out.ndim != 2 or out.shape[1] < 2 or not np.all(np.isfinite(out)):
        return float("nan")
    return float(np.mean(np.argmax(out, axis=1) == b.labels))


class _Stop(Exception):
    """The run cannot go on (shape change, non-finite weights)."""


# -- the probe --------------------------------------------------------------------------------------
def run(session, evidence) -> TrainingEvidence:
    # the sweep pushes weights to extreme scales on purpose: numpy's overflow warnings from the user's
    # np.exp there are expected, not news for the user (non-finite results are measured and reported)
    with np.errstate(all="ignore"):
        return _run(session, evidence)


def _run(session, evidence) -> TrainingEvidence:
    from gradcheck.probes import ProbeSkipped

    t0 = time.perf_counter()
    fw = evidence["forward"]
    if fw.nonfinite:
        raise ProbeSkipped("the forward output is not finite")
    model = session.model
    layout = model.layout
    nb = 1 if layout == "sample" else BATCH
    monitor = session.batch(MONITOR[layout], offset=0)
    out0 = session.output(monitor)
    if out0.shape != monitor.Y.shape:
        raise ProbeSkipped(f"the output has {out0.shape[1]} columns but the targets {monitor.Y.shape[1]}")
    fam = family(session, out0)
    trainer = _Trainer(session, fam, monitor, nb)
    ev = trainer.main_run()
    ev.timings["run"] = time.perf_counter() - t0
    k = monitor.Y.shape[1]
    ev.classes = k
    ev.initial_loss = ev.loss[0] if ev.loss else float("nan")
    if fam in ("cross_entropy", "nll") and k > 1:
        ev.expected_initial_loss = math.log(k)
    for part in ("summed", "repeat", "zero", "sweep", "overfit"):
        if part in ("repeat", "zero", "sweep") and not ev.user_step or ev.stopped == "shape":
            continue
        t = time.perf_counter()
        try:
            with state.preserved(model):
                setattr(ev, part, getattr(trainer, part)())
        except (UserCodeError, BadReturn, _Stop) as e:
            if part != "zero":   # a step that needs integer-coded targets cannot take soft ones: expected
                evidence.notes.append(f"training probe: the {part} experiment could not run: {e}")
        ev.timings[part] = time.perf_counter() - t
    ev.seconds = time.perf_counter() - t0
    _notes_and_extras(ev, evidence)
    return ev


def _notes_and_extras(ev: TrainingEvidence, evidence) -> None:
    extras = getattr(evidence, "extras", None)
    if extras is not None:
        extras["loss_curve"] = {"user": [float(x) for x in ev.loss]}
        extras["accuracy_curve"] = {"user": [float(x) for x in ev.accuracy]}
        if ev.overfit is not None:
            extras["overfit_curve"] = {"user": [float(x) for x in ev.overfit.loss], "at": list(ev.overfit.at)}
    if ev.loss:
        how = "your step" if ev.user_step else f"plain gradient descent (learning rate {ev.lr:.3g})"
        last = ev.loss[-1]
        evidence.notes.append(f"short training run: {ev.steps} steps of {how} on batches of {ev.batch_size}: "
                              f"loss {ev.loss[0]:.4g} -> {last:.4g} ({ev.family}, per sample)")
    if ev.stale:
        evidence.notes.append(f"the step replaces {', '.join(ev.stale)} with new arrays that params does not return: "
                              f"gradcheck cannot watch them train; pass params as a function that reads them fresh "
                              f"(params=lambda: {{...}})")
    if ev.expected_initial_loss is not None and math.isfinite(ev.initial_loss):
        evidence.notes.append(f"loss at initialisation {ev.initial_loss:.4g} per sample (expected about "
                              f"ln {ev.classes} = {ev.expected_initial_loss:.4g} for {ev.classes}-class cross-entropy)")


class _Trainer:
    def __init__(self, session, fam: str, monitor: Batch, nb: int):
        self.s = session
        self.fam = fam
        self.monitor = monitor
        self.nb = nb
        self.layout = session.model.layout
        self.user_step = session.model.step is not None
        self.has_backward = session.model.backward is not None
        self.lr: float | None = None
        self.ratio: float | None = None
        """Median update-to-weight ratio of the weight matrices in the main run (sets the sweep's range)."""

    # batches: the run draws from offset 64 on (after the forward/gradient probes' batches)
    def train_batch(self, t: int) -> Batch:
        return self.s.batch(self.nb, offset=MONITOR["rows"] + t * self.nb)

    def loss_on(self, b: Batch) -> float:
        return batch_loss(self.s, self.fam, self.s.output(b), b)

    def monitor_point(self) -> tuple[float, float]:
        out = self.s.output(self.monitor)
        return batch_loss(self.s, self.fam, out, self.monitor), accuracy(out, self.monitor)

    # one update: the user's step, or gradient descent with gradcheck's learning rate
    def update(self, b: Batch) -> None:
        if self.user_step:
            self.s.step(b)
            return
        if self.lr is None:
            self.lr = self.choose_lr()
        g = self.s.gradients(b)
        p = _f64(self.s.params())
        write(self.s, {k: p[k] - self.lr * g[k] for k in p})

    def choose_lr(self) -> float:
        """Gradient descent without a user step: the best of a few relative step sizes on one batch."""
        b = self.train_batch(0)
        g = self.s.gradients(b)
        p0 = _f64(self.s.params())
        gn = math.sqrt(sum(float(np.sum(v * v)) for v in g.values()))
        pn = math.sqrt(sum(float(np.sum(v * v)) for v in p0.values()))
        if gn == 0:
            return 0.0
        best, best_loss = 0.0, self.loss_on(b)
        for rel in (0.3, 0.1, 0.03, 0.01, 0.003):
            lr = rel * max(pn, 1.0) / gn
            write(self.s, {k: p0[k] - lr * g[k] for k in p0})
            loss = self.loss_on(b)
            if loss < best_loss:
                best, best_loss = lr, loss
        write(self.s, p0)
        return best / 2 if best else 1e-3 * max(pn, 1.0) / gn

    def _check_shapes(self, before: dict[str, np.ndarray], after: dict[str, Any], t: int,
                      changes: list[dict]) -> None:
        for k, v in before.items():
            if k in after and np.shape(after[k]) != v.shape:
                changes.append({"step": t, "param": k, "before": list(v.shape), "after": list(np.shape(after[k]))})
        if changes:
            raise _Stop("a step changed the shape of " + ", ".join(c["param"] for c in changes))

    def main_run(self) -> TrainingEvidence:
        s = self.s
        with state.preserved(s.model):
            p0 = s.params()
            order = list(p0)
            traces = {k: ParamTrace(k, tuple(np.shape(v)), str(np.asarray(v).dtype)) for k, v in p0.items()}
            l0, a0 = self.monitor_point()
            ev = TrainingEvidence(family=self.fam, user_step=self.user_step, lr=None, batch_size=self.nb,
                                  monitor_size=self.monitor.n, steps=0, loss=[l0], accuracy=[a0],
                                  user_accuracy=None, params=traces, order=order, batch_before=[], batch_after=[],
                                  slopes=[], shape_changes=[],
                                  stopped="", has_gradient=self.has_backward)
            ua0 = _try_evaluate(s, self.monitor)
            read0 = self.reads(order)
            deadline = time.perf_counter() + TIME["run"]
            theta = _f64(p0)
            for t in range(STEPS):
                if time.perf_counter() > deadline and t >= 2:
                    ev.stopped = "time"
                    break
                b = self.train_batch(t)
                try:
                    g = None
                    if self.has_backward and ev.has_gradient:
                        try:
                            g = s.gradients(b)
                        except (UserCodeError, BadReturn):
                            ev.has_gradient = False
                    raw_before = _raw(s.params())
                    lb = self.loss_on(b)
                    self.update(b)
                    after_live = s.params()
                    self._check_shapes(theta, after_live, t, ev.shape_changes)
                    after = _f64(after_live)
                    delta = {k: after[k] - theta[k] for k in order}
                    for k in order:
                        _record(traces[k], theta[k], delta[k], None if g is None else g.get(k),
                                changed=not np.array_equal(np.asarray(after_live[k]), raw_before[k]))
                    ev.steps = t + 1
                    ev.batch_before.append(lb)
                    ev.batch_after.append(self.loss_on(b))
                    if t < SLOPE_STEPS:
                        ev.slopes.append(self.slope(t, b, theta, delta, after_live))
                    loss, acc = self.monitor_point()
                    ev.loss.append(loss)
                    ev.accuracy.append(acc)
                    theta = after
                    if not all(np.all(np.isfinite(v)) for v in after.values()) or not math.isfinite(loss):
                        ev.stopped = "nonfinite"
                        break
                except _Stop:
                    ev.stopped = "shape"
                    break
                except (UserCodeError, BadReturn) as e:
                    if t == 0:
                        raise
                    ev.stopped, ev.error = "error", e
                    break
            for k in order:
                traces[k].norm.append(_norm(theta[k]))
            unchanged = [k for k in order if traces[k].changed and not any(traces[k].changed) and k in read0]
            read1 = self.reads(unchanged)
            ev.stale = [k for k in unchanged if k not in read1]
            ev.lr = self.lr
            self.ratio = _median_ratio(traces)
            ua1 = _try_evaluate(s, self.monitor) if ev.stopped not in ("shape", "error") else None
            if ua0 is not None:
                ev.user_accuracy = (ua0, ua1)
        return ev

    def reads(self, keys: list[str]) -> set[str]:
        """Of ``keys``, the parameters whose exposed array changes the output when perturbed (by 1 % of its
        RMS, restored bit for bit). Before the run and after it: a parameter read before and not after was
        replaced by the step with an array ``params`` does not return (stale), not left unchanged."""
        s = self.s
        if not keys:
            return set()
        b = self.monitor.take(np.arange(min(4, self.monitor.n)))
        try:
            base = s.output(b)
        except (UserCodeError, BadReturn):
            return set(keys)
        out = set()
        for k in keys:
            live = s.params()
            if not isinstance(live.get(k), np.ndarray):
                out.add(k)
                continue
            a = np.asarray(live[k])
            if not a.flags.writeable or a.size == 0:
                out.add(k)
                continue
            saved = a.copy()
            try:
                bump = 1e-2 * (float(np.sqrt(np.mean(saved.astype(np.float64) ** 2))) or 1.0)
                np.copyto(a, saved + bump, casting="unsafe")
                if not np.array_equal(s.output(b), base):
                    out.add(k)
            except (UserCodeError, BadReturn):
                out.add(k)
            finally:
                np.copyto(a, saved)
        return out

    def slope(self, t: int, b: Batch, theta: dict, delta: dict, after_live: dict) -> SlopeCheck:
        """Central differences of the batch loss along the step, at θ before it (weights restored after)."""
        s = self.s
        saved = _raw(after_live)
        try:
            after_loss = self.loss_on(b)
            write(s, theta)
            base = self.loss_on(b)

            rel: dict[str, float] = {}

            def along(keys, label) -> float:
                dn = math.sqrt(sum(float(np.sum(delta[k] ** 2)) for k in keys))
                tn = math.sqrt(sum(float(np.sum(theta[k] ** 2)) for k in keys))
                if dn == 0:
                    rel[label] = float("nan")
                    return float("nan")
                eps = REL_EPS * (tn if tn > 0 else 1.0) / dn
                write(s, {k: theta[k] + eps * delta[k] for k in keys})
                lp = self.loss_on(b)
                write(s, {k: theta[k] - eps * delta[k] for k in keys})
                lm = self.loss_on(b)
                write(s, {k: theta[k] for k in keys})
                rel[label] = (lp - lm) / (2 * max(abs(base), 1e-300))
                return (lp - lm) / (2 * eps)

            total = along(list(delta), "*")
            per = {k: along([k], k) for k in delta}
        finally:
            write(s, saved)
        return SlopeCheck(step=t, base=base, after=after_loss, total=total, per_param=per, rel=rel)

    # -- experiments (each runs inside its own state.preserved) ----------------------------------------
    def repeat(self) -> RepeatRun:
        s = self.s
        b = self.train_batch(0)
        theta0 = _raw(s.params())
        t0f = _f64(s.params())
        deltas: list[dict[str, np.ndarray]] = []
        deadline = time.perf_counter() + TIME["repeat"]
        for i in range(REPEATS):
            if i and (time.perf_counter() > deadline or not write(s, theta0)):
                break
            s.step(b)
            after = s.params()
            if any(np.shape(after[k]) != t0f[k].shape for k in t0f):
                break
            a = _f64(after)
            deltas.append({k: a[k] - t0f[k] for k in t0f})
        norms = {k: [_norm(d[k]) for d in deltas] for k in t0f}
        inc = {k: [_norm(deltas[i + 1][k] - deltas[i][k]) for i in range(len(deltas) - 1)] for k in t0f}
        cos = {k: [_cos(d[k], deltas[0][k]) for d in deltas] for k in t0f}
        return RepeatRun(norms, inc, cos)

    def zero(self) -> ZeroStep:
        s = self.s
        b = self.train_batch(0)
        out = s.output(b)
        y0 = losses.softmax(out) if self.fam == "cross_entropy" else out
        theta = _f64(s.params())
        s.step(Batch(b.X, y0, b.labels))
        after = s.params()
        if any(np.shape(after[k]) != theta[k].shape for k in theta):
            raise _Stop("the step changed a parameter's shape")
        a = _f64(after)
        d = {k: a[k] - theta[k] for k in theta}
        nt = {k: _norm(theta[k]) for k in theta}
        return ZeroStep(update={k: _norm(d[k]) for k in theta},
                        alpha={k: float(np.sum(d[k] * theta[k])) / nt[k] ** 2 if nt[k] > 0 else float("nan")
                               for k in theta},
                        cos_theta={k: _cos(d[k], theta[k]) for k in theta}, norm=nt)

    def sweep(self) -> Sweep:
        s = self.s
        k_steps, pool = SWEEP_STEPS[self.layout], SWEEP_POOL[self.layout]
        data = s.batch(pool * self.nb, offset=MONITOR["rows"])
        fresh = state.take(s.model)       # the user's state before any step (restored per scale)
        theta0 = _raw(s.params())
        initial = self.loss_on(data)
        deadline = time.perf_counter() + TIME["sweep"]
        scales, out = [], []
        # scale 1 first (the user's own training), then outward, so a short budget keeps the informative ones
        for sc in sorted(self.sweep_scales(), key=lambda x: (abs(math.log10(x)), x)):
            if scales and time.perf_counter() > deadline:
                break
            fresh.restore()
            if not write(s, theta0):
                break
            try:
                loss = self.loss_on(data) if self._scaled_run(sc, k_steps, pool) else float("inf")
            except (UserCodeError, BadReturn) as e:
                if isinstance(getattr(e, "exc", None), UserCodeTimeout):
                    break
                loss = float("inf")     # the user's code gave up at this scale (e.g. an assert on finite values)
            scales.append(sc)
            out.append(loss)
        order = np.argsort(scales)
        return Sweep(k_steps, [scales[i] for i in order], [out[i] for i in order], initial)

    def sweep_scales(self) -> list[float]:
        scales = set(SWEEP_SCALES)
        r = self.ratio
        if r and math.isfinite(r) and r > 0:
            lo = max(-6, math.floor(math.log10(1e-4 / r)))
            hi = min(8, math.ceil(math.log10(3e-2 / r)))
            scales |= {10.0 ** e for e in range(lo, hi + 1)}
        return sorted(scales)

    def _scaled_run(self, sc: float, k_steps: int, pool: int) -> bool:
        s = self.s
        for t in range(k_steps):
            cur = _f64(s.params())
            s.step(self.train_batch(t % pool))
            after = s.params()
            if any(np.shape(after[k]) != cur[k].shape for k in cur):
                return False
            a = _f64(after)
            if sc != 1.0:
                a = {k: cur[k] + sc * (a[k] - cur[k]) for k in cur}
                if not write(s, a):
                    return False
            if not all(np.all(np.isfinite(v)) for v in a.values()):
                return False
        return True

    def summed(self) -> bool | None:
        """Does the update double when every sample of the batch appears twice?"""
        if self.layout == "sample":
            return None
        b = self.s.batch(8, offset=MONITOR["rows"])
        bb = b.take(np.r_[np.arange(b.n), np.arange(b.n)])
        g1, g2 = self.s.gradients(b), self.s.gradients(bb)
        n1 = math.sqrt(sum(float(np.sum(v * v)) for v in g1.values()))
        n2 = math.sqrt(sum(float(np.sum(v * v)) for v in g2.values()))
        if not (n1 > 0 and math.isfinite(n2)):
            return None
        r = n2 / n1
        return True if r > 1.5 else False if r < 1.25 else None

    def overfit(self) -> OverfitRun:
        s = self.s
        tiny = s.batch(OVERFIT_N, offset=MONITOR["rows"])
        singles = [tiny.take([i]) for i in range(tiny.n)]
        t0 = time.perf_counter()
        deadline = t0 + TIME["overfit"]
        loss0 = self.loss_on(tiny)
        at, ls, acc = [0], [loss0], [accuracy(s.output(tiny), tiny)]
        stopped = ""
        steps = 0
        for t in range(OVERFIT_STEPS):
            if time.perf_counter() > deadline:
                stopped = "time"
                break
            self.update(singles[t % tiny.n] if self.layout == "sample" else tiny)
            steps = t + 1
            if steps % 10 == 0 or steps == OVERFIT_STEPS:
                out = s.output(tiny)
                at.append(steps)
                ls.append(batch_loss(s, self.fam, out, tiny))
                acc.append(accuracy(out, tiny))
                if not math.isfinite(ls[-1]):
                    stopped = "nonfinite"
                    break
                if ls[-1] <= 0.01 * loss0:
                    stopped = "fitted"
                    break
        if at[-1] != steps:
            out = s.output(tiny)
            at.append(steps)
            ls.append(batch_loss(s, self.fam, out, tiny))
            acc.append(accuracy(out, tiny))
        return OverfitRun(tiny.n, steps, at, ls, acc, time.perf_counter() - t0, stopped,
                          const_loss=self.const_loss(tiny))

    def const_loss(self, b: Batch) -> float:
        p = np.tile(b.Y.mean(axis=0), (b.n, 1))
        out = np.log(np.clip(p, 1e-12, None)) if self.fam == "cross_entropy" else p
        return batch_loss(self.s, self.fam, out, b)


def _record(tr: ParamTrace, theta: np.ndarray, delta: np.ndarray, g: np.ndarray | None, changed: bool) -> None:
    nt, nd = _norm(theta), _norm(delta)
    tr.norm.append(nt)
    tr.update.append(nd)
    tr.changed.append(bool(changed))
    tr.cos_theta.append(_cos(delta, theta))
    tr.alpha.append(float(np.sum(delta * theta)) / nt ** 2 if nt > 0 else float("nan"))
    nan = float("nan")
    if g is None or g.shape != theta.shape or not np.all(np.isfinite(g)):
        tr.grad.append(nan), tr.lr_eff.append(nan), tr.cos_grad.append(nan)
        tr.fit_alpha.append(nan), tr.fit_beta.append(nan), tr.fit_resid.append(nan)
        return
    ng = _norm(g)
    tr.grad.append(ng)
    tr.lr_eff.append(-float(np.sum(delta * g)) / ng ** 2 if ng > 0 else nan)
    tr.cos_grad.append(_cos(delta, -g))
    a = b = r = nan
    if theta.size >= 2 and nt > 0 and ng > 0 and nd > 0 and abs(_cos(theta, g)) < 0.99:
        tt, tg, gg = float(np.sum(theta * theta)), float(np.sum(theta * g)), float(np.sum(g * g))
        dt, dg = float(np.sum(delta * theta)), float(np.sum(delta * g))
        det = tt * gg - tg * tg
        a = (dt * gg - dg * tg) / det
        b = (dg * tt - dt * tg) / det
        r = _norm(delta - a * theta - b * g) / nd
    tr.fit_alpha.append(a), tr.fit_beta.append(b), tr.fit_resid.append(r)


def _median_ratio(traces: dict[str, ParamTrace]) -> float | None:
    w = [t for t in traces.values() if len(t.shape) >= 2 and min(t.shape) > 1] or list(traces.values())
    vals = [r for t in w for r in t.ratio if r == r and math.isfinite(r) and r > 0]
    return float(np.median(vals)) if vals else None


def _try_evaluate(session, b: Batch) -> float | None:
    if session.model.evaluate is None:
        return None
    try:
        v = session.evaluate(b)
        return float(v) if v is not None and np.ndim(v) == 0 else None
    except Exception:  # noqa: BLE001 - the user's evaluate is judged by other causes
        return None
