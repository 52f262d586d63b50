"""Side by side: is it the code or the settings, and which change makes it learn?

1. The user's model (its own step) and the reference (plain SGD, the user's
   learning rate) train from the same weights on the same batches.
2. The user's learns: verdict ``ok``. The reference learns and the user's does
   not, by a clear margin (``GAP``): ``code`` (the differential says where); then the user's own model is
   trained with the correct gradient in place of its backward
   (``reference-gradient``) and, when it has a backward, with plain SGD on its
   own gradient in place of its step (``plain-sgd``): the first learning says
   the backward is wrong, the second that the step is.
3. Neither learns (or both barely do): the settings. Each single change (``runs.CHANGES``) is tried
   on the reference; if none is enough, the settings changes together (with
   each learning-rate option), and then the working combination minus each of
   its parts, to find the parts it needs. The change that made the reference
   learn is then tried on the user's own model: if it learns too, verdict
   ``settings``; if not, ``code+settings``, and the correct gradient is tried
   on top of that change.

Every run is seeded and bounded by the oracle's deadline; a run that would
start after it is skipped and noted.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from gradcheck.oracle import runs
from gradcheck.oracle.runs import Curve, Plan
from gradcheck.oracle.wiring import Wiring

SETTINGS = ("scaled-inputs", "fan-in-init", "lr-x10", "lr-div10", "standard-lr", "wider-hidden")
"""Single changes tried on the reference, in this order."""
GAP = 0.25
"""A code verdict needs the reference's gain over chance to beat the user's by this much (25 points
of the way from chance to perfect): two correct networks trained with a large learning rate drift
apart by up to ~0.15 from float rounding alone; a broken one stays 0.5 or more behind."""
MAX_USER_SINGLES = 3
"""At most this many single changes that made the reference learn are tried on the user's model."""
LR_OPTIONS: tuple[tuple[str, ...], ...] = ((), ("lr-x10",), ("lr-div10",), ("standard-lr",))

VERDICTS = {
    "ok": "your model learns",
    "code": "the reference learns with your weights and settings, your model does not: the code differs",
    "settings": "neither your model nor the reference learns with these settings",
    "code+settings": "a change of settings makes the reference learn but not your model: the settings "
                     "and the code both stop it",
}


def key(change: tuple[str, ...]) -> str:
    return "+".join(change) if change else "none"


@dataclass(frozen=True)
class Trial:
    """One run with a change: on the reference (a counterfactual) or on the user's model (a fix)."""

    change: tuple[str, ...]
    text: str
    """The change in words ("inputs scaled to [0, 1]")."""
    accuracy: float | None
    """Final held-out accuracy (None without class labels or when the run could not start)."""
    gain: float
    learns: bool
    steps: int
    stopped: str = ""

    @property
    def applied(self) -> bool:
        """False when the change could not be applied or the user's code failed."""
        return not self.stopped.startswith(("cannot apply", "your code failed"))

    def summary(self) -> str:
        acc = f"{100 * self.accuracy:.0f} %" if self.accuracy is not None else "no accuracy"
        return f"{acc} in {self.steps} steps" + (f" ({self.stopped})" if self.stopped else "")


def trial(change: tuple[str, ...], curve: Curve, plan: Plan) -> Trial:
    return Trial(change, runs.describe(change, plan), curve.final_accuracy, curve.gain, curve.learns,
                 curve.final_step, curve.stopped)


@dataclass
class Diagnosis:
    verdict: str
    user: Curve
    reference: Curve
    counterfactuals: dict[str, Trial] = field(default_factory=dict)
    """Changes tried on the reference, by ``key(change)``."""
    fixes: dict[str, Trial] = field(default_factory=dict)
    """Changes tried on the user's own model, by ``key(change)``."""
    best: tuple[str, ...] | None = None
    """The change that made the reference learn (the best single one, else the best combination)."""
    needed: dict[str, bool] = field(default_factory=dict)
    """For a combination: whether the reference still fails without each of its parts."""
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    plan: Plan | None = field(default=None, repr=False)
    """The runs' shared setup (learning rates, widths), for wording the changes."""

    def describe(self, change: tuple[str, ...]) -> str:
        return runs.describe(change, self.plan)


class _Runner:
    """Runs trials while the deadline allows, estimating each run's cost from the first ones."""

    def __init__(self, session, plan: Plan, wiring: Wiring, diag: Diagnosis):
        self.session, self.plan, self.wiring, self.diag = session, plan, wiring, diag
        self.cost = {"reference": diag.reference.seconds, "user": diag.user.seconds}

    def _time_left(self, who: str) -> bool:
        if time.perf_counter() + self.cost[who] <= self.plan.deadline:
            return True
        note = f"skipped for time: some {who} runs (the oracle's budget was reached)"
        if note not in self.diag.notes:
            self.diag.notes.append(note)
        return False

    def reference(self, change: tuple[str, ...]) -> Trial | None:
        k = key(change)
        if k in self.diag.counterfactuals:
            return self.diag.counterfactuals[k]
        if not self._time_left("reference"):
            return None
        c = runs.run_reference(self.plan, self.wiring, change, curve=False)
        self.diag.counterfactuals[k] = t = trial(change, c, self.plan)
        return t

    def user(self, change: tuple[str, ...]) -> Trial | None:
        k = key(change)
        if k in self.diag.fixes:
            return self.diag.fixes[k]
        if self.diag.user.stopped.startswith("your code failed"):
            return None  # it would fail again
        if not self._time_left("user"):
            return None
        c = runs.run_user(self.session, self.plan, self.wiring, change, curve=False)
        self.diag.fixes[k] = t = trial(change, c, self.plan)
        return t


def diagnose(session, wiring: Wiring, plan: Plan) -> Diagnosis:
    """Train side by side and find what makes the user's model learn (see the module docstring)."""
    t0 = time.perf_counter()
    user = runs.run_user(session, plan, wiring)
    ref = runs.run_reference(plan, wiring)
    diag = Diagnosis("ok", user, ref, plan=plan)
    run = _Runner(session, plan, wiring, diag)
    if user.stopped and user.stopped != "time budget":
        diag.notes.append(f"the side-by-side run of your model stopped at step {user.final_step}: {user.stopped}")
    if user.learns:
        diag.verdict = "ok"
    elif ref.learns and ref.gain - user.gain >= GAP:
        diag.verdict = "code"
        _code_fixes(run, ())
    else:
        _settings(run)
    diag.seconds = time.perf_counter() - t0
    return diag


def _code_fixes(run: _Runner, base: tuple[str, ...]) -> None:
    """The correct gradient in place of the backward, and plain SGD in place of the step."""
    model = run.session.model
    if run.wiring.architecture.matched:
        run.user(base + ("reference-gradient",))
    if model.backward is not None and model.step is not None:
        run.user(base + ("plain-sgd",))


def _combinations(run: _Runner) -> list[tuple[str, ...]]:
    """Settings changes together, with each learning-rate option; a wider layer only if needed."""
    plan = run.plan
    lrs = [lr for lr in LR_OPTIONS if all(plan.applicable(n) for n in lr)]
    base = tuple(n for n in ("scaled-inputs", "fan-in-init") if plan.applicable(n))
    out = [base + lr for lr in lrs]
    if plan.applicable("wider-hidden"):
        out += [base + ("wider-hidden",) + lr for lr in lrs]
    return [c for c in out if len(c) > 1]


def _settings(run: _Runner) -> None:
    diag, plan = run.diag, run.plan
    diag.verdict = "settings"
    singles = [(n,) for n in SETTINGS if plan.applicable(n)]
    tried = [t for t in (run.reference(c) for c in singles) if t is not None]
    working = sorted((t for t in tried if t.learns), key=lambda t: -t.gain)
    if working:
        diag.best = working[0].change
    else:
        combos = _combinations(run)
        for with_wider in (False, True):
            tried = [t for t in (run.reference(c) for c in combos if ("wider-hidden" in c) == with_wider)
                     if t is not None]
            working = sorted((t for t in tried if t.learns), key=lambda t: -t.gain)
            if working:
                break
        if working:
            diag.best = working[0].change
            for part in diag.best:
                rest = tuple(n for n in diag.best if n != part)
                t = run.reference(rest) if rest else None
                if t is not None:
                    diag.needed[part] = not t.learns
    if diag.best is None:
        return
    if any(n in runs.REFERENCE_ONLY for n in diag.best):
        return  # a wider layer cannot be tried on the user's own model
    fix = run.user(diag.best)
    for t in working[1:MAX_USER_SINGLES]:  # other single changes that worked: confirm them too
        if len(t.change) == 1 and t.change[0] not in runs.REFERENCE_ONLY:
            run.user(t.change)
    if fix is None or not fix.applied or fix.learns:
        return
    if not run.wiring.loss_exact:
        diag.notes.append(f"with {fix.text} your own model still does not learn ({fix.summary()}), but your "
                          "loss function adds terms the reference does not have: the code is not judged")
        return
    diag.verdict = "code+settings"
    _code_fixes(run, diag.best)
