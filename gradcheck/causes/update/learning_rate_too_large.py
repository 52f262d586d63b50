"""The step is too large: the loss diverges or oscillates, or there is no learning rate at all.

## What it does
Judges the user's own step from the short training run and from a sweep that
scales the user's update by 10^-3 .. 10^3 (θ ← θ + s·Δθ(θ), three passes over
a small pool of batches, scored on that pool). Two routes:

1. **Diverging or oscillating.** The run is unstable (the monitor loss ends
   no lower than it started, becomes inf/NaN, or spikes to 2x its start, or
   at least 25 % of the steps raise the loss of the very batch they were
   computed on: an overshoot), *and* a 10x or more smaller step trains
   clearly better in the sweep (its loss is at most 0.7x the loss of the
   user's step, or the user's step blows up).
2. **No learning rate: the full gradient every step.** The step subtracts
   exactly the user's gradient (effective learning rate -<Δθ,g>/|g|² = 1 at
   every step, to 1e-6, and no declared learning rate), a weight matrix
   changes by >= 3 % of its norm per step (median over the run; the healthy
   rate is ~0.1 %), the accuracy on the monitor batch does not improve over
   the run (by more than 0.05), and the model cannot fit one tiny batch
   either. This is the beginner's step without a learning rate that drives
   every output to the same extreme, where the loss itself can still fall
   (all sigmoid outputs at 0 is a low squared error). Each condition alone is
   common in healthy networks (a learning rate of 1, 3 % updates) or in broken
   ones (no learning); together they single out the missing learning rate.

The healthy range reported is the range of step scales in the sweep that get
at least 75 % of the best improvement (route 1), or the scales that bring
the update-to-weight ratio to 1e-3 .. 1e-2 (route 2).

Only judged when the first step descends (its directional derivative is
negative): the size of a step that points uphill is not what is wrong.

## Why is this bad?
Each step overshoots the minimum along its direction: the loss jumps up and
down or grows, sigmoid and softmax outputs are driven into saturation (all
0 or all 1), ReLU units die, and the network ends up predicting one class.

## Example
```python
self.W1 = self.W1 - dW1          # no learning rate: the full gradient every step
```

Use instead:
```python
self.W1 = self.W1 - 0.01 * dW1   # a learning rate; inputs scaled to [0, 1]
```

## Thresholds
- 2x the initial loss, 25 % overshooting steps and 0.7x in the sweep: a
  healthy step neither doubles the loss nor raises its own batch's loss
  (except rarely, on a kink), and a 30 % better loss at a 10x smaller step
  is far outside the noise of a 12-step run.
- 3e-2 update-to-weight ratio: 30x the healthy 1e-3 and 3x the 1e-2 that
  per-sample steps of small networks reach while still learning.

## Confidence
Route 1: 0.9 (0.95 when the run reaches inf/NaN). Route 2: 0.6 (the
evidence is indirect; it is usually explained by inputs or initialisation,
which rank above it).
"""
import math

from gradcheck.causes import cause
from gradcheck.causes._where import fmt
from gradcheck.causes.update._common import (curve, lr_advice, med, ratio_perp, scale_of, sweep_range, user_lr,
                                             weights, where)
from gradcheck.report import Finding

SPIKE = 2.0
OVERSHOOT_SHARE = 0.25
OVERSHOOT_REL = 0.01
SWEEP_BETTER = 0.7
RATIO_HUGE = 3e-2
ACC_GAIN = 0.05


def overfit_failed(tr) -> bool:
    """The tiny batch was not fitted (see cannot-overfit for the thresholds)."""
    o = tr.overfit
    if o is None or not o.loss:
        return False
    fitted = (o.final <= 0.05 * o.initial or (o.accuracy and o.accuracy[-1] == 1.0 and o.final <= 0.5 * o.initial)
              or o.final <= 0.5 * o.const_loss)
    return not fitted


def unstable(tr) -> list[str]:
    """Reasons the main run looks unstable (empty when it does not)."""
    why = []
    l0, ls = tr.loss[0], tr.loss
    if not all(math.isfinite(x) for x in ls) or tr.stopped == "nonfinite":
        why.append("the loss became inf/NaN")
    elif len(ls) > 1 and ls[-1] >= l0:
        why.append(f"the loss ended no lower than it started ({fmt(l0)} -> {fmt(ls[-1])})")
    elif max(ls) >= SPIKE * l0:
        why.append(f"the loss spiked to {fmt(max(ls))} ({max(ls) / l0:.1f}x its start)")
    pairs = [(b, a) for b, a in zip(tr.batch_before, tr.batch_after) if math.isfinite(b)]
    over = sum(1 for b, a in pairs if not (a <= b * (1 + OVERSHOOT_REL)))
    if pairs and over >= OVERSHOOT_SHARE * len(pairs):
        why.append(f"{over} of {len(pairs)} steps raised the loss of the batch they were computed on")
    return why


def climbs(tr) -> bool:
    """The first step's update points uphill (then its size is not what is wrong: update-direction)."""
    if not tr.slopes:
        return False
    sc = tr.slopes[0]
    r = sc.rel.get("*", float("nan"))
    return sc.step == 0 and r == r and r > 1e-9


@cause("learning-rate-too-large", requires=("training",))
def judge(ev):
    tr = ev["training"]
    if not tr.user_step or tr.steps < 3 or climbs(tr):
        return []
    sw = tr.sweep
    why = unstable(tr)
    if why and sw is not None:
        l1 = scale_of(sw, 1.0)
        smaller = [(s, l) for s, l in zip(sw.scales, sw.loss) if s <= 0.1 and math.isfinite(l)]
        if smaller:
            s_best, l_best = min(smaller, key=lambda x: x[1])
            if not math.isfinite(l1) or l_best <= SWEEP_BETTER * l1:
                return [_route1(ev, tr, sw, why, s_best, l_best, l1)]
    return _route2(ev, tr)


def _route1(ev, tr, sw, why, s_best, l_best, l1):
    rng = sweep_range(sw)
    lo, hi = (rng[0], rng[1]) if rng else (s_best, s_best)
    nonfinite = any("inf/NaN" in w for w in why)
    w = weights(tr)
    k = max(w, key=lambda x: max([r for r in tr.params[x].ratio[:3] if r == r] or [0])) if w else None
    title = f"the step is too large: {why[0]}"
    detail = list(why[1:])
    detail.append(f"monitor loss over the run: {curve(tr.loss)}")
    detail.append("sweep (your step x s, loss after {} steps): ".format(sw.steps)
                  + ", ".join(f"x{s:g}: {fmt(l)}" for s, l in zip(sw.scales, sw.loss)))
    if k:
        first = [r for r in tr.params[k].ratio[:3] if r == r]
        if first:
            detail.append(f"{k}: the first steps change it by {fmt(100 * max(first))}% of its size (healthy ~0.1%)")
    fix = (f"use {lr_advice(ev, lo, hi, open_end=lo <= min(sw.scales))}; {s_best:g}x your step reached loss "
           f"{fmt(l_best)} where yours reached {fmt(l1)}")
    lr, _ = user_lr(ev)
    return Finding(
        cause="learning-rate-too-large", severity="error", confidence=0.95 if nonfinite else 0.9,
        title=title, fix=fix,
        evidence={"param": k, "params": weights(tr), "route": "diverging", "reasons": why, "sweep": dict(zip(map(str, sw.scales), sw.loss)),
                  "healthy_scale": [lo, hi], "learning_rate": lr,
                  "healthy_learning_rate": [lr * lo, lr * hi] if lr else None,
                  "update_ratio": med(tr.params[k].ratio) if k else None},
        where=where(ev, k), detail=tuple(detail),
    )


def _route2(ev, tr):
    acc = [a for a in tr.accuracy if a == a]
    if len(acc) < 2 or acc[-1] > acc[0] + ACC_GAIN or not overfit_failed(tr):
        return []
    lr, src = user_lr(ev)
    if not (lr is not None and src == "measured" and abs(lr - 1.0) < 1e-6):
        return []
    big = [(k, med(ratio_perp(tr.params[k]))) for k in weights(tr)]
    big = [(k, r) for k, r in big if r == r and r >= RATIO_HUGE]
    if not big:
        return []
    k, r = max(big, key=lambda x: x[1])
    lo, hi = 1e-3 / r, 1e-2 / r
    title = (f"the step is too large: it subtracts the full gradient (no learning rate) and changes {k} by "
             f"{100 * r:.3g}% of its size per step (healthy ~0.1%); accuracy stays at {100 * acc[-1]:.0f}%")
    detail = [f"{kk}: update-to-weight ratio {fmt(rr)} per step" for kk, rr in big]
    detail.append(f"monitor accuracy over the run: {curve(acc)}; loss {curve(tr.loss)}")
    o = tr.overfit
    detail.append(f"one batch of {o.n} samples is not fitted in {o.steps} steps (loss {fmt(o.initial)} -> {fmt(o.final)})")
    detail.append("your step subtracts the full gradient: there is no learning rate (effective rate 1 at every step)")
    fix = f"use {lr_advice(ev, lo, hi)}, so that updates are ~0.1-1% of the weights; and scale inputs to [0, 1]"
    return [Finding(
        cause="learning-rate-too-large", severity="error", confidence=0.6, title=title, fix=fix,
        evidence={"param": k, "params": weights(tr), "route": "no-learning-rate", "update_ratio": r, "accuracy": [acc[0], acc[-1]],
                  "learning_rate": lr, "healthy_scale": [lo, hi],
                  "healthy_learning_rate": [lr * lo, lr * hi] if lr else None},
        where=where(ev, k), detail=tuple(detail),
    )]
