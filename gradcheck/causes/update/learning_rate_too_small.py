"""The step is too small: the loss stays flat while larger steps of the same kind would train.

## What it does
Judges the user's own step from the short training run and from a sweep that
scales the user's update by 10^-3 .. 10^3 (θ ← θ + s·Δθ(θ), three passes over
a small pool of batches, scored on that pool). Reported when all hold:

- the monitor loss is flat over the run (changed by <= 2 % of its start; or
  by <= 10 % when the reference oracle confirmed that a larger learning rate
  makes the user's own model learn);
- the update-to-weight ratio of every weight matrix is <= 1e-4 per step
  (10x below the healthy ~1e-3), ignoring any part of the update along θ
  itself (a rescaling is ``rescaled-weights``) -- unless the oracle confirmed
  a larger rate on the user's model: the ratio is a rule of thumb, the
  confirmed run is a measurement;
- a step 10x or more larger trains clearly better in the sweep (its loss is
  at most 0.9x the loss of the user's step).

Only judged when the first step descends (see learning-rate-too-large).
The healthy range reported is the range of scales that get at least 75 % of
the best improvement in the sweep, times the user's learning rate.

## Why is this bad?
Nothing is wrong with the direction, but training would take 100x or 1000x
more steps: the loss and accuracy look frozen.

## Example
```python
lr = 1e-6                   # far too small for a mean gradient
W -= lr * dW
```

Use instead:
```python
lr = 0.1
W -= lr * dW
```

## Thresholds
- 10 % with the oracle's confirmation: 40 steps at a too-small rate can still
  move the loss a few percent; a confirmed run with a larger rate that learns
  is stronger evidence than flatness alone.
- 2 % flatness and 0.9x in the sweep: a healthy step lowers the loss by far
  more than 2 % in 40 steps on MNIST-sized problems, and 10 % is beyond the
  sweep's noise.
- 1e-4 ratio: 10x below the healthy 1e-3.

## Severity
An error, except when the update grows with the batch (a summed, not
averaged, gradient) in the rows/columns layouts: then the step gradcheck saw
on batches of 16 may be fine for the much larger batches the user trains on,
so it is a warning that says which batch size would make the step healthy.

## Confidence
0.85 (0.7 for the summed-gradient warning).
"""
import math

from gradcheck.causes import cause
from gradcheck.causes._where import fmt
from gradcheck.causes.update._common import curve, lr_advice, med, ratio_perp, scale_of, sweep_range, user_lr, weights, where
from gradcheck.causes.update.learning_rate_too_large import climbs
from gradcheck.probes import oracle
from gradcheck.report import Finding

FLAT = 0.02
FLAT_CONFIRMED = 0.10
RATIO_TINY = 1e-4
SWEEP_BETTER = 0.9


@cause("learning-rate-too-small", requires=("training",))
def judge(ev):
    tr = ev["training"]
    sw = tr.sweep
    if not tr.user_step or tr.steps < 5 or sw is None or len(tr.loss) < 2 or climbs(tr):
        return []
    l0, ln = tr.loss[0], tr.loss[-1]
    confirmed = bool(oracle.confirmed(ev, "learning-rate-too-small"))
    flat = FLAT_CONFIRMED if confirmed else FLAT
    if not (math.isfinite(l0) and math.isfinite(ln)) or abs(ln - l0) > flat * abs(l0):
        return []
    w = weights(tr)
    ratios = {k: med(ratio_perp(tr.params[k])) for k in w}
    if not ratios or any(not (r == r) or (r > RATIO_TINY and not confirmed) for r in ratios.values()):
        return []
    l1 = scale_of(sw, 1.0)
    larger = [(s, l) for s, l in zip(sw.scales, sw.loss) if s >= 10 and math.isfinite(l)]
    if not larger or not math.isfinite(l1):
        return []
    s_best, l_best = min(larger, key=lambda x: x[1])
    if l_best > SWEEP_BETTER * l1:
        return []
    rng = sweep_range(sw)
    lo, hi = (rng[0], rng[1]) if rng else (s_best, s_best)
    k = max(ratios, key=lambda x: ratios[x])
    summed = bool(tr.summed) and ev.session.model.layout != "sample"
    title = (f"the step is too small: updates are {fmt(ratios[k])} of {k} per step (healthy ~1e-3) and the loss "
             f"stays at {fmt(l0)} -> {fmt(ln)} over {tr.steps} steps")
    detail = [f"{kk}: update-to-weight ratio {fmt(r)} per step" for kk, r in ratios.items()]
    detail.append("sweep (your step x s, loss after {} steps): ".format(sw.steps)
                  + ", ".join(f"x{s:g}: {fmt(l)}" for s, l in zip(sw.scales, sw.loss)))
    fix = f"use {lr_advice(ev, lo, hi, open_end=hi >= max(sw.scales))}"
    if summed:
        detail.append(f"your gradient is summed over the batch: on batches of {tr.batch_size} the step would be "
                      f"healthy at ~{_b(tr.batch_size * lo)}-{_b(tr.batch_size * hi)} samples per batch")
        fix += (f", or, if you train on full batches, keep it: with a summed gradient the step grows with the batch "
                f"(healthy here from ~{_b(tr.batch_size * lo)} samples per batch)")
    lr, _ = user_lr(ev)
    return [Finding(
        cause="learning-rate-too-small", severity="warning" if summed else "error",
        confidence=0.7 if summed else 0.85, title=title, fix=fix, confirmed=confirmed or None,
        evidence={"param": k, "params": weights(tr), "update_ratio": ratios, "loss": [l0, ln], "sweep": dict(zip(map(str, sw.scales), sw.loss)),
                  "healthy_scale": [lo, hi], "learning_rate": lr,
                  "healthy_learning_rate": [lr * lo, lr * hi] if lr else None, "summed_gradient": summed},
        where=where(ev, k), detail=tuple(detail) + (f"monitor loss over the run: {curve(tr.loss)}",),
    )]


def _b(x: float) -> str:
    return f"{x:.0f}" if x >= 10 else f"{x:.2g}"
