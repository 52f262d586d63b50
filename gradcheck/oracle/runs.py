"""Short training runs of the user's own model and of the reference, side by side.

Both start from the user's initial weights and see the same batches in the same
order; a run is ``STEPS`` steps of ``BATCH`` samples (one user ``step`` call per
batch, or per sample in the sample layout, where the reference then also
updates after every sample). Accuracy and loss are measured every
``EVAL_EVERY`` steps on a held-out part of the data the runs never train on,
from the network's output (argmax against the labels), never from the user's
own ``evaluate``, which may itself be the bug.

A run may carry changes (``CHANGES``), each a single edit a person could make:
scaled inputs, fan-in initialisation, a learning rate x10, /10 or a standard
one, wider hidden layers; and, on the user's model only, the correct gradient in
place of the backward or plain SGD in place of the step. User runs happen
inside ``state.preserved``: the model is restored bit for bit afterwards.

Numbers (the reasons):
- ``STEPS = 200`` of ``BATCH = 10``: 2,000 samples. On the bundled MNIST sample a
  correct 784-30-10 network with usual settings reaches 70-88 % held-out
  accuracy in that many samples (sigmoid/mse, softmax/cross-entropy, relu,
  per-sample or mini-batch), while a broken one stays at 8-12 %: the two are
  far apart, and a run costs 0.02 s (mini-batch) to 0.15 s (per sample) on the
  reference.
- ``END_POINTS = 3``: a run's accuracy at the end is the mean of its last three
  measurements (steps 160, 180, 200): a single one swings by 20 points when the
  learning rate is large, as with Nielsen's eta = 3 one sample at a time.
- ``LEARNS = 0.35``: a run learns when its accuracy gain over chance at the end,
  ``(acc - chance) / (1 - chance)``, is at least 0.35 (41.5 % on ten balanced
  classes): half of what working networks reach, well above what broken ones do.
- ``STUCK = 0.10``: a run whose best measurement stays below this gain (19 % on
  MNIST) did not learn at all.
- Without class labels (regression targets) a run learns when its held-out loss
  falls below half its initial value, and is stuck above 90 % of it.
- ``HELD_OUT = 300`` samples (at most a quarter of the data): accuracy to about
  +-3 points, and in the sample layout 300 forward calls per measurement.
- ``MIN_SAMPLES = 100``: with less data nothing can be held out and trained on.
- The standard learning rates and the widened layer sizes are explained at
  ``standard_lr`` and ``_widths``; a summed gradient's step grows with the batch,
  so a learning-rate verdict on these batches of 10 is reported as a warning.
"""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from gradcheck import losses, state
from gradcheck.batch import Batch
from gradcheck.oracle.wiring import Wiring
from gradcheck.reference import activations as act
from gradcheck.session import BadReturn
from gradcheck.usercode import UserCodeError

STEPS = 200
BATCH = 10
EVAL_EVERY = 20
HELD_OUT = 300
MIN_SAMPLES = 100
LEARNS = 0.35
STUCK = 0.10
END_POINTS = 3

CHANGES: dict[str, str] = {
    "scaled-inputs": "inputs scaled to [0, 1]",
    "fan-in-init": "weights initialised with std 1/sqrt(fan_in) and zero biases",
    "lr-x10": "the learning rate x10",
    "lr-div10": "the learning rate /10",
    "standard-lr": "a standard learning rate",
    "wider-hidden": "wider hidden layers",
    "reference-gradient": "the correct gradient in place of your backward",
    "plain-sgd": "plain SGD on your own gradient in place of your step",
}
"""Every single change a run can carry, and how the report words it."""

USER_ONLY = ("reference-gradient", "plain-sgd")
REFERENCE_ONLY = ("wider-hidden",)


def describe(names: tuple[str, ...], plan: "Plan | None" = None) -> str:
    """``inputs scaled to [0, 1] and the learning rate x10``."""
    parts = []
    for n in names:
        text = CHANGES[n]
        if plan is not None and n == "standard-lr":
            text += f" ({plan.standard_lr:.3g}{' per sample' if plan.per_sample else ''})"
        if plan is not None and n == "wider-hidden" and plan.widths:
            text = f"hidden layers of {'-'.join(str(w) for w in plan.widths[1:-1])} units"
        parts.append(text)
    return " and ".join(parts) if parts else "your settings"


class CannotApply(Exception):
    """A change cannot be applied to the user's model (e.g. its parameters are not arrays)."""


@dataclass
class Curve:
    """One run: held-out loss and accuracy every ``EVAL_EVERY`` steps."""

    steps: list[int] = field(default_factory=list)
    loss: list[float | None] = field(default_factory=list)
    accuracy: list[float | None] = field(default_factory=list)
    chance: float = 0.0
    """Accuracy of always answering the most frequent held-out class."""
    classification: bool = True
    stopped: str = ""
    """Why the run ended before ``STEPS`` ("diverged", "time budget", the user's exception), or ""."""
    seconds: float = 0.0
    error: BaseException | None = field(default=None, repr=False)
    """The user's exception that stopped the run, if any."""

    @staticmethod
    def _end(values: list) -> float | None:
        """Mean of the last ``END_POINTS`` measurements after the start (None if none is finite)."""
        tail = [v for v in values[1:][-END_POINTS:] if v is not None]
        return float(np.mean(tail)) if tail else (values[0] if values else None)

    @property
    def final_accuracy(self) -> float | None:
        """Accuracy at the end: the mean of the last three measurements (one alone is noisy)."""
        return self._end(self.accuracy)

    @property
    def final_loss(self) -> float | None:
        return self._end(self.loss)

    @property
    def final_step(self) -> int:
        return self.steps[-1] if self.steps else 0

    def _gain(self, acc: float | None, loss: float | None) -> float:
        if self.classification:
            return 0.0 if acc is None else (acc - self.chance) / max(1e-9, 1.0 - self.chance)
        first = self.loss[0] if self.loss else None
        if first is None or loss is None or first <= 0:
            return 0.0
        return 1.0 - loss / first

    @property
    def gain(self) -> float:
        """How much of the way from chance to perfect the run got at the end (loss ratio without classes)."""
        return self._gain(self.final_accuracy, self.final_loss)

    @property
    def peak_gain(self) -> float:
        """The best gain at any measurement."""
        accs = [a for a in self.accuracy if a is not None]
        losses = [l for l in self.loss if l is not None]
        return self._gain(max(accs) if accs else None, min(losses) if losses else None)

    @property
    def learns(self) -> bool:
        return self.gain >= (LEARNS if self.classification else 0.5)

    @property
    def stuck(self) -> bool:
        """It never got anywhere: not even its best measurement is above ``STUCK``."""
        return self.peak_gain < (STUCK if self.classification else 0.1)

    def summary(self) -> str:
        """``88 % after 200 steps`` (or the final loss without classes)."""
        if self.classification and self.final_accuracy is not None:
            s = f"{100 * self.final_accuracy:.0f} % after {self.final_step} steps"
        else:
            last = self.final_loss
            s = f"loss {last:.4g} after {self.final_step} steps" if last is not None else "no finite loss"
        return s + (f" ({self.stopped})" if self.stopped else "")


@dataclass
class Plan:
    """What every run shares: data split, batches, learning rates, initial weights."""

    train: Batch
    held: Batch
    batches: list[np.ndarray]
    per_sample: bool
    lr: float
    """Learning rate of the reference's SGD on the summed loss of one update's data (the user's)."""
    standard_lr: float
    user_lr: float
    """Learning rate of plain SGD on the user's own gradient (the user's step size on it)."""
    chance: float
    classification: bool
    x_range: tuple[float, float]
    init: list[tuple[np.ndarray, np.ndarray]]
    """The user's initial weights, reference-shaped."""
    fan_in: list[tuple[np.ndarray, np.ndarray]]
    widths: tuple[int, ...] | None
    """Layer sizes of the widened network, or None when no hidden layer is narrow."""
    loss: str
    """Loss family of the curves (the reference's)."""
    wiring: Wiring = field(repr=False)
    seed: int
    deadline: float
    lr_note: str = ""
    """Why ``lr`` is not the user's ("" when it is)."""

    @property
    def inputs_need_scaling(self) -> bool:
        lo, hi = self.x_range
        return max(abs(lo), abs(hi)) > 1.5

    def reference_inputs(self, X: np.ndarray, scale: bool) -> np.ndarray:
        """Inputs as the reference's first layer sees them, scaled to [0, 1] when ``scale``."""
        R = self.wiring.ref_inputs(X)
        if not scale:
            return R
        lo, hi = self.x_range
        lo = min(lo, 0.0)
        return (R - lo) / (hi - lo if hi > lo else 1.0)

    def user_inputs(self, X: np.ndarray) -> np.ndarray:
        """The user's inputs that reach the first layer scaled to [0, 1] (undoing the forward's own scaling)."""
        a, c = self.wiring.inputs
        return (self.reference_inputs(X, True) - c) / a

    def applicable(self, name: str) -> bool:
        if name == "scaled-inputs":
            return self.inputs_need_scaling
        if name in ("lr-x10", "lr-div10"):
            return self.lr > 0
        if name == "standard-lr":
            return not (self.standard_lr / 3 <= self.lr <= self.standard_lr * 3)
        if name == "wider-hidden":
            return self.widths is not None
        return True


def standard_lr(output: str, loss: str, per_sample: bool, batch: int = BATCH) -> float:
    """A learning rate that trains a fan-in initialised MLP on [0, 1] inputs (see ``Plan``).

    Bounded outputs (sigmoid, softmax) with mse have small gradients and take
    Nielsen's eta = 3 (0.5 per sample); an identity output with mse takes 0.05
    (0.01 per sample); cross-entropy losses 0.3 (0.05 per sample). Mini-batch
    rates are per *mean* gradient, hence divided by the batch size here (the
    reference steps on the summed loss).
    """
    if loss == "mse":
        mean, one = (3.0, 0.5) if output in ("sigmoid", "softmax") else (0.05, 0.01)
    else:
        mean, one = 0.3, 0.05
    return one if per_sample else mean / batch


def _classification(Y: np.ndarray) -> bool:
    return bool(Y.ndim == 2 and Y.shape[1] > 1 and np.all((Y == 0) | (Y == 1)) and np.all(Y.sum(axis=1) == 1))


def fan_in_params(sizes: tuple[int, ...], rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(rng.normal(0.0, 1.0 / np.sqrt(n), (n, m)), np.zeros(m)) for n, m in zip(sizes[:-1], sizes[1:])]


def _widths(sizes: tuple[int, ...]) -> tuple[int, ...] | None:
    """Hidden layers narrower than max(16, 2 x outputs) widened to max(32, 3 x outputs).

    Fewer units than about twice the classes is a bottleneck (seed 003 has one unit
    for ten classes); 32 units reach 80-88 % on MNIST in a run's 2,000 samples.
    """
    k = sizes[-1]
    narrow, wide = max(16, 2 * k), max(32, 3 * k)
    hidden = [wide if h < narrow else h for h in sizes[1:-1]]
    if list(sizes[1:-1]) == hidden:
        return None
    return (sizes[0], *hidden, k)


def widen(params: list[tuple[np.ndarray, np.ndarray]], widths: tuple[int, ...], rng: np.random.Generator,
          fan_in: bool) -> list[tuple[np.ndarray, np.ndarray]]:
    """``params`` grown to ``widths``: the existing units kept, new ones drawn like the layer's own
    weights (their mean and spread), or from the fan-in distribution."""
    if fan_in:
        return fan_in_params(widths, rng)
    out = []
    for (W, b), (n, m) in zip(params, zip(widths[:-1], widths[1:])):
        mu, sd = float(np.mean(W)), float(np.std(W))
        W2 = rng.normal(mu, sd, (n, m))
        W2[:W.shape[0], :W.shape[1]] = W
        b2 = rng.normal(float(np.mean(b)), float(np.std(b)), m) if np.any(b) else np.zeros(m)
        b2[:len(b)] = b
        out.append((W2, b2))
    return out


def make_plan(session, wiring: Wiring, lr: float, user_lr: float, scale: float, deadline: float) -> Plan | None:
    """The shared setup, or None when the data is too small to hold some out.

    ``lr``: the reference's (on the summed loss); ``user_lr``: the user's step size on its own
    gradient (NaN: ``lr / scale``, with ``scale`` the gradient's global scale).
    """
    data = session.data
    n = data.n
    if n < MIN_SAMPLES:
        return None
    rng = np.random.default_rng([session.seed, 5])
    perm = rng.permutation(n)
    h = min(HELD_OUT, n // 4)
    held, train = data.take(np.sort(perm[:h])), data.take(perm[h:])
    batches, order, pos = [], rng.permutation(train.n), 0
    for _ in range(STEPS):
        if pos + BATCH > len(order):
            order, pos = rng.permutation(train.n), 0
        batches.append(order[pos:pos + BATCH])
        pos += BATCH
    per_sample = session.model.layout == "sample"
    std = standard_lr(wiring.architecture.output, wiring.loss, per_sample)
    cls = _classification(data.Y)
    chance = float(np.max(np.bincount(held.labels)) / held.n) if cls else 0.0
    X = wiring.ref_inputs(data.X)
    init = wiring.to_reference(session.params())
    if np.isfinite(lr) and lr > 0:
        lr_note = ""
    else:
        lr_note = (f"a standard learning rate: the one read from your update ({lr:.3g}) does not go down the "
                   "gradient" if np.isfinite(lr) else "a standard learning rate: none could be read from an update")
        lr = std
    user_lr = user_lr if np.isfinite(user_lr) and user_lr > 0 else lr / scale
    return Plan(train, held, batches, per_sample, lr, std, user_lr,
                chance, cls, (float(X.min()), float(X.max())), init,
                fan_in_params(wiring.sizes, np.random.default_rng([session.seed, 6])),
                _widths(wiring.sizes), wiring.loss, wiring, session.seed, deadline, lr_note)


def _lr(plan: Plan, names: tuple[str, ...]) -> float:
    if "standard-lr" in names:
        return plan.standard_lr
    return plan.lr * (10.0 if "lr-x10" in names else 0.1 if "lr-div10" in names else 1.0)


def _score(plan: Plan, out: np.ndarray, curve: Curve, step: int) -> None:
    """Append the held-out loss and accuracy of ``out`` at ``step``."""
    Y = plan.held.Y
    curve.steps.append(step)
    if out.shape != Y.shape:
        curve.loss.append(None)
        curve.accuracy.append(None)
        return
    with np.errstate(all="ignore"):
        loss = losses.FUNCS[plan.loss](out, Y) / len(Y) if np.all(np.isfinite(out)) else None
    curve.loss.append(float(loss) if loss is not None and np.isfinite(loss) else None)
    acc = float(np.mean(np.argmax(np.nan_to_num(out, nan=-np.inf), axis=1) == plan.held.labels))
    curve.accuracy.append(acc if plan.classification else None)


def _points(plan: Plan, curve: bool) -> set[int]:
    """Steps after which to measure: every ``EVAL_EVERY`` for a curve, else the last ``END_POINTS``."""
    n = len(plan.batches)
    every = sorted(set(range(EVAL_EVERY, n + 1, EVAL_EVERY)) | {n})
    return set(every if curve else every[-END_POINTS:])


def _new_curve(plan: Plan) -> Curve:
    return Curve(chance=plan.chance, classification=plan.classification)


# -- the reference ---------------------------------------------------------------

def gradients(net, X: np.ndarray, Y: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """``net.gradients`` without the trace's extra quantities (this runs thousands of times)."""
    out, zs, acts = net.forward(X, return_all=True)
    return net.backward(zs, acts, net.output_delta(zs[-1], out, Y))[0]


def sgd_sample(net, x: np.ndarray, y: np.ndarray, lr: float) -> None:
    """``net.sgd_step`` on one sample (rows ``(1, n)``), in place, skipping zero inputs.

    The same backprop as ``MLP.backward`` (tested equal), written for the
    per-sample runs: the first layer's update ``x.T @ delta`` only touches the
    rows of W where the input is non-zero (a fifth of them for MNIST digits).
    """
    out, zs, acts = net.forward(x, return_all=True)
    delta = net.output_delta(zs[-1], out, y)[0]
    for l in reversed(range(len(net.params))):
        W, b = net.params[l]
        back = (W @ delta) * act.slope(net.hidden[l - 1], zs[l - 1][0]) if l > 0 else None
        a = acts[l][0]
        nz = np.flatnonzero(a)
        if len(nz) < 0.5 * len(a):
            W[nz] -= np.multiply.outer(lr * a[nz], delta)
        else:
            W -= np.multiply.outer(lr * a, delta)
        if net.bias[l]:
            b -= lr * delta
        delta = back


def reference_params(plan: Plan, names: tuple[str, ...]) -> list[tuple[np.ndarray, np.ndarray]]:
    params = plan.fan_in if "fan-in-init" in names else plan.init
    if "wider-hidden" in names and plan.widths:
        params = widen(params, plan.widths, np.random.default_rng([plan.seed, 8]), "fan-in-init" in names)
    return [(W.copy(), b.copy()) for W, b in params]


def run_reference(plan: Plan, wiring: Wiring, names: tuple[str, ...] = (), curve: bool = True) -> Curve:
    """The reference, plain SGD, from the user's initial weights (with ``names`` changed).

    ``curve=False`` measures only the start and the end (a trial needs no curve: see ``_points``).
    """
    points = _points(plan, curve)
    t0 = time.perf_counter()
    net = wiring.net(reference_params(plan, names))
    lr = _lr(plan, names)
    scale = "scaled-inputs" in names
    Xtr = plan.reference_inputs(plan.train.X, scale)
    Xhe = plan.reference_inputs(plan.held.X, scale)
    Ytr = plan.train.Y
    result = _new_curve(plan)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _score(plan, net.forward(Xhe), result, 0)
        for s, idx in enumerate(plan.batches, 1):
            if plan.per_sample:
                for i in idx:
                    sgd_sample(net, Xtr[i:i + 1], Ytr[i:i + 1], lr)
            else:
                for l, (dW, db) in enumerate(gradients(net, Xtr[idx], Ytr[idx])):
                    W, b = net.params[l]
                    W -= lr * dW
                    if net.bias[l]:
                        b -= lr * db
            finite = all(np.all(np.isfinite(W)) for W, _ in net.params)
            if s in points or not finite:
                _score(plan, net.forward(Xhe), result, s)
            if not finite:
                result.stopped = "diverged"
                break
            if time.perf_counter() > plan.deadline:
                result.stopped = "time budget"
                if result.steps[-1] != s:
                    _score(plan, net.forward(Xhe), result, s)
                break
    result.seconds = time.perf_counter() - t0
    return result


# -- the user's own model ----------------------------------------------------------

def _write(arr, values: np.ndarray) -> None:
    if not isinstance(arr, np.ndarray):
        raise CannotApply(f"a parameter is a {type(arr).__name__}, not an array gradcheck can write into")
    view = np.asarray(arr)
    if not view.flags.writeable:
        raise CannotApply("a parameter array is read-only")
    view[...] = np.asarray(values).reshape(view.shape)


def _apply(session, new: dict[str, np.ndarray]) -> None:
    params = session.params()
    for k, v in new.items():
        _write(params[k], v)
    now = session.params()
    if any(not np.allclose(np.asarray(now[k], dtype=np.float64), v, equal_nan=True) for k, v in new.items()):
        raise CannotApply("writing into the parameters does not change the model (params() returns copies?)")


def _current(session, keys: list[str]) -> dict[str, np.ndarray]:
    p = session.params()
    return {k: np.array(p[k], dtype=np.float64) for k in keys}


def run_user(session, plan: Plan, wiring: Wiring, names: tuple[str, ...] = (), curve: bool = True) -> Curve:
    """The user's own model trained with its own step (with ``names`` changed), then restored.

    ``curve=False`` measures only the start and the end (a trial needs no curve: see ``_points``).
    """
    points = _points(plan, curve)
    t0 = time.perf_counter()
    model = session.model
    keys = [k for pair in wiring.mapping.names for k in pair if k is not None]
    scale = "scaled-inputs" in names
    train, held = plan.train, plan.held
    if scale:
        train = Batch(plan.user_inputs(train.X), train.Y, train.labels)
        held = Batch(plan.user_inputs(held.X), held.Y, held.labels)
    lr = _lr(plan, names)
    factor = lr / plan.lr if plan.lr else 1.0
    mode = next((n for n in USER_ONLY if n in names), "own")
    if mode == "own" and model.step is None:
        mode = "plain-sgd"  # a model without a step is trained with plain SGD on its backward
    net = wiring.net(plan.init)
    result = _new_curve(plan)
    with state.preserved(model), np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.random.seed(plan.seed)
        try:
            if "fan-in-init" in names:
                _apply(session, wiring.to_user(plan.fan_in))
            _score(plan, session.output(held), result, 0)
            for s, idx in enumerate(plan.batches, 1):
                b = train.take(idx)
                chunks = [b.take([i]) for i in range(b.n)] if plan.per_sample else [b]
                for c in chunks:
                    if mode == "reference-gradient":
                        net.params = wiring.to_reference(session.params())
                        g = wiring.to_user(gradients(net, wiring.ref_inputs(c.X), c.Y))
                        cur = _current(session, list(g))
                        _apply(session, {k: cur[k] - lr * g[k] for k in g})
                    elif mode == "plain-sgd":
                        g = session.gradients(c)
                        cur = _current(session, keys)
                        _apply(session, {k: cur[k] - factor * plan.user_lr * g[k] for k in keys})
                    elif factor != 1.0:
                        before = _current(session, keys)
                        session.step(c)
                        after = _current(session, keys)
                        _apply(session, {k: before[k] + factor * (after[k] - before[k]) for k in keys})
                    else:
                        session.step(c)
                finite = all(np.all(np.isfinite(v)) for v in _current(session, keys).values())
                if s in points or not finite:
                    _score(plan, session.output(held), result, s)
                if not finite:
                    result.stopped = "diverged"
                    break
                if time.perf_counter() > plan.deadline:
                    result.stopped = "time budget"
                    if result.steps[-1] != s:
                        _score(plan, session.output(held), result, s)
                    break
        except (UserCodeError, BadReturn) as e:
            result.stopped, result.error = f"your code failed: {e}", e
        except CannotApply as e:
            result.stopped = f"cannot apply: {e}"
    result.seconds = time.perf_counter() - t0
    return result
