"""Oracle probe: the user's network against a correct one holding the same weights.

Measures, in order (see ``gradcheck.oracle``):

1. wiring: the user's parameters mapped onto the reference (input size from the
   data, output size from the forward) and the activations identified by running
   both forwards on the same weights; or where the user's forward departs;
2. the differential: the first quantity that differs (forward output, the
   gradient of a parameter in backprop order, the update rule), and the learning
   rate read from the user's update;
3. side by side: the user's model and the reference trained from the same
   weights on the same batches (200 steps of 10 samples, seeded), the verdict
   ``ok`` / ``code`` / ``settings`` / ``code+settings``, the changes that make the
   reference learn, and the fixes confirmed on the user's own model.

The whole probe is bounded by ``BUDGET`` seconds (a 784-30-10 network takes
0.05-1.1 s); runs that would start after it are skipped and noted. The loss and
accuracy curves go to ``evidence.extras`` for the HTML report.

Other causes and the ranker read the result through ``OracleEvidence``:

- ``confirmed(ev, "unnormalized-inputs")`` (module function; None without the
  oracle) or ``ev["oracle"].confirmed(cause, param=None) -> True | False | None``:
  was the cause's fix tried on the user's model, and did it then learn?
- ``.change_helps("scaled-inputs")``: the same, per change (``oracle.runs.CHANGES``);
- ``.effect("lr-x10") -> (accuracy as it is, accuracy with the change)``;
- ``.verdict`` ("ok", "code", "settings", "code+settings" or None),
  ``.counterfactuals`` (changes tried on the reference) and ``.fixes`` (tried on
  the user's model), each ``{name: Trial(accuracy, learns, ...)}``;
- ``.differential.first``: the first quantity that differs from the reference.

``pipeline.judge`` fills ``Finding.confirmed`` from ``confirm`` for every cause
of ``CAUSE_CHANGES`` that leaves it None, so the ranking can put confirmed fixes
first without each cause asking.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

import numpy as np

from gradcheck.oracle import runs
from gradcheck.oracle.diagnosis import VERDICTS, Diagnosis, Trial, diagnose, key
from gradcheck.oracle.differential import Differential, compare
from gradcheck.oracle.wiring import Wiring, wire
from gradcheck.reference import MappingError

NAME = "oracle"
REQUIRES = ("forward", "gradients")
BUDGET = 10.0
"""Seconds for the whole probe: a safety net against slow user code. The probe's work is fixed (at most
about fifteen runs of 200 steps); the fixtures' 784-x-10 networks need 0.05-1.1 s of it (5 s on a
machine loaded three times over). Runs that would start after it are skipped, and the report says so."""

GRADIENT_CAUSES = ("gradient-mismatch", "gradient-scale", "gradient-sign", "gradient-transposed",
                   "gradient-missing", "wrong-activation-derivative", "logits-not-probabilities",
                   "bias-gradient-axis", "approximate-gradient")
UPDATE_CAUSES = ("update-direction", "rescaled-weights", "update-aliasing", "dead-updates")
CAUSE_CHANGES: dict[str, tuple[str, ...]] = {
    "unnormalized-inputs": ("scaled-inputs",),
    "integer-overflow": ("scaled-inputs",),
    "saturated-activations": ("scaled-inputs", "fan-in-init"),
    "positive-init": ("fan-in-init",),
    "symmetric-init": ("fan-in-init",),
    "init-scale": ("fan-in-init",),
    "dead-relu": ("fan-in-init", "lr-div10"),
    "learning-rate-too-small": ("lr-x10", "standard-lr"),
    "learning-rate-too-large": ("lr-div10", "standard-lr"),
    "bottleneck-layer": ("wider-hidden",),
    **{c: ("reference-gradient",) for c in GRADIENT_CAUSES},
    **{c: ("plain-sgd",) for c in UPDATE_CAUSES},
}
"""The change that would fix each cause, as ``confirmed`` tries them (any one confirming is enough)."""


@dataclass
class OracleEvidence:
    """What the oracle measured; read by ``forward-mismatch``, ``training-fails`` and any cause's
    ``confirmed`` flag."""

    wiring: Wiring
    differential: Differential
    diagnosis: Diagnosis | None
    """None when the data is too small for a training run."""
    seconds: float
    notes: list[str] = field(default_factory=list)
    step_only: bool = False
    """True when the model has no backward (its gradient is read from its step)."""

    @property
    def architecture(self):
        return self.wiring.architecture

    @property
    def matched(self) -> bool:
        """True when the user's forward is a standard network on the user's weights."""
        return self.architecture.matched and self.differential.quantities[0].ok

    @property
    def verdict(self) -> str | None:
        """"ok", "code", "settings", "code+settings", or None without a training run."""
        return self.diagnosis.verdict if self.diagnosis else None

    @property
    def counterfactuals(self) -> dict[str, Trial]:
        """Changes tried on the reference, by name ("scaled-inputs", "fan-in-init+lr-x10", ...)."""
        return self.diagnosis.counterfactuals if self.diagnosis else {}

    @property
    def fixes(self) -> dict[str, Trial]:
        """Changes tried on the user's own model, by name."""
        return self.diagnosis.fixes if self.diagnosis else {}

    def change_helps(self, change: str) -> bool | None:
        """Does the single change ``change`` (a key of ``runs.CHANGES``) cure the user's model?

        True: the user's model does not learn as it is, and learns with this
        change (alone, or as a needed part of a combination it learns with). A
        combination with a wider hidden layer cannot be tried on the user's
        model: the reference learning with it, and not without the change, counts.
        False: tried on the user's model and it still does not learn; or tried
        alone on the reference, which did not learn with it either, and the
        combination that works does not need it. None: not tried (the model
        learns, the change does not apply, there was no time).
        """
        d = self.diagnosis
        if d is None or d.verdict == "ok":
            return None
        alone = [t for t in d.fixes.values() if t.change == (change,) and t.applied]
        if alone:
            return alone[0].learns
        best = d.best or ()
        if change in best:
            needed = d.needed.get(change, True)
            if any(n in runs.REFERENCE_ONLY for n in best):
                return needed
            fixes = [t for t in d.fixes.values() if set(best) <= set(t.change) and t.applied]
            if any(t.learns for t in fixes):
                return needed
            return False if fixes else None
        ref = d.counterfactuals.get(key((change,)))
        if ref is not None and not ref.learns:
            return False
        return None

    def confirmed(self, cause: str, param: str | None = None) -> bool | None:
        """Was the fix for ``cause`` tried, and did the symptom (no learning) go away?

        Settings causes map to changes (``CAUSE_CHANGES``; any one confirming is
        enough). Gradient causes are confirmed when the correct gradient in place
        of the backward makes the user's model learn and plain SGD on its own
        gradient does not (with ``param``: and that parameter's gradient differs
        from the reference's); update causes when plain SGD on the user's own
        gradient makes it learn. None when nothing was tried: the model learns,
        the fix does not apply, or there was no time.
        """
        d = self.diagnosis
        if d is None or d.verdict == "ok" or cause not in CAUSE_CHANGES:
            return None
        if param is not None and cause in GRADIENT_CAUSES:
            q = self.differential.get("gradient", param)
            if q is not None and q.ok and self.differential.gradients_comparable:
                return False  # this parameter's gradient is the correct one
        if cause in GRADIENT_CAUSES or cause in UPDATE_CAUSES:
            ref = self._fix_with("reference-gradient")
            sgd = self._fix_with("plain-sgd")
            if cause in UPDATE_CAUSES:
                if sgd is not None:
                    return sgd.learns
                # without a backward the step is the only code: the correct gradient replaces it
                return ref.learns if ref is not None and self.step_only else None
            if ref is None:
                return None
            if sgd is not None and sgd.learns:
                return False  # the user's own gradient trains once the step is plain SGD
            return ref.learns
        changes = CAUSE_CHANGES[cause]
        if "standard-lr" in changes and d.plan is not None:  # only when it moves the rate the cause's way
            up = d.plan.standard_lr > d.plan.lr
            if up != (cause == "learning-rate-too-small"):
                changes = tuple(c for c in changes if c != "standard-lr")
        answers = [self.change_helps(c) for c in changes]
        if any(a is True for a in answers):
            return True
        if any(a is False for a in answers):
            return False
        return None

    def effect(self, change: str) -> tuple[float | None, float | None]:
        """(final accuracy of the user's model as it is, final accuracy with ``change``).

        The second number is the user's own model's when the change was tried on it,
        else the reference's (None when the change was not tried at all).
        """
        d = self.diagnosis
        if d is None:
            return None, None
        for pool in (d.fixes, d.counterfactuals):
            t = pool.get(key((change,)))
            if t is not None and t.applied:
                return d.user.final_accuracy, t.accuracy
        return d.user.final_accuracy, None

    def _fix_with(self, mode: str) -> Trial | None:
        ts = [t for t in self.fixes.values() if mode in t.change and t.applied]
        return max(ts, key=lambda t: t.gain) if ts else None

    def headline(self) -> str:
        """One line for notes: the verdict with the numbers."""
        d = self.diagnosis
        if d is None:
            return "no side-by-side run (too little data)"
        return (f"{VERDICTS[d.verdict]} (yours {d.user.summary()}, reference {d.reference.summary()})")


def confirmed(evidence, cause: str, param: str | None = None) -> bool | None:
    """``evidence["oracle"].confirmed(cause, param)``, or None when the oracle did not run.

    For any cause: ``Finding(..., confirmed=oracle.confirmed(ev, "unnormalized-inputs"))``.
    """
    o = evidence.get(NAME) if hasattr(evidence, "get") else None
    return o.confirmed(cause, param) if o is not None else None


def confirm(evidence, finding):
    """``finding`` with ``confirmed`` from the oracle when the cause left it None (and the oracle knows)."""
    if finding.confirmed is not None or finding.cause not in CAUSE_CHANGES:
        return finding
    param = finding.where.param or finding.evidence.get("param")
    answer = confirmed(evidence, finding.cause, param if isinstance(param, str) else None)
    return finding if answer is None else dataclasses.replace(finding, confirmed=answer)


def _chunk(session, batch):
    """The data of one user update: one sample in the sample layout, else ``runs.BATCH`` rows."""
    if session.model.layout == "sample":
        return batch.take([0])
    return batch.take(np.arange(min(runs.BATCH, batch.n)))


def run(session, evidence) -> OracleEvidence:
    from gradcheck.probes import ProbeSkipped

    t0 = time.perf_counter()
    g = evidence["gradients"]
    if g.all_numeric_zero:
        raise ProbeSkipped("the loss does not depend on the parameters")
    n = 8 if session.model.layout == "sample" else 16
    batch = session.batch(n, offset=32)
    user_grads = session.gradients(batch)
    try:
        wiring = wire(session, evidence["forward"].outputs, batch)
    except MappingError as e:
        raise ProbeSkipped(f"the parameters do not map onto a standard network: {e}") from e
    scale = g.scale if np.isfinite(g.scale) and g.scale != 0 else 1.0
    diff = compare(session, wiring, scale, batch, user_grads, _chunk(session, batch))
    plan = runs.make_plan(session, wiring, diff.lr, diff.user_lr,
                          diff.user_scale if np.isfinite(diff.user_scale) else diff.scale, t0 + BUDGET)
    diagnosis = diagnose(session, wiring, plan) if plan is not None else None
    ev = OracleEvidence(wiring, diff, diagnosis, 0.0, step_only=session.model.backward is None)
    if diagnosis is not None:
        ev.notes.extend(diagnosis.notes)
        _curves(evidence, diagnosis)
        if diagnosis.user.error is not None:  # raised only after some steps: code-raises reports it
            evidence.failures[NAME] = diagnosis.user.error
    ev.seconds = time.perf_counter() - t0
    evidence.notes.append(f"oracle: {wiring.describe()}; {ev.headline()}")
    return ev


def _curves(evidence, d: Diagnosis) -> None:
    extras = getattr(evidence, "extras", None)
    if extras is None:
        return
    extras["loss_curve"] = {"user": list(d.user.loss), "reference": list(d.reference.loss)}
    if d.user.classification:
        extras["accuracy_curve"] = {"user": list(d.user.accuracy), "reference": list(d.reference.accuracy)}
    extras["curve_steps"] = {"user": list(d.user.steps), "reference": list(d.reference.steps)}


__all__ = ["NAME", "REQUIRES", "run", "OracleEvidence", "CAUSE_CHANGES", "confirmed", "key"]
