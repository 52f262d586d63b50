"""The step multiplies parameters by a factor that does not depend on the gradient.

## What it does
Splits every step's update Δθ of each parameter into a part along θ itself
and the rest, and checks whether the part along θ is a rescaling that the
gradient does not produce:

- with a backward: the least-squares fit Δθ ≈ a·θ + b·g at every step
  (g: the user's gradient at that step). Plain SGD gives a = 0 exactly, an L2
  penalty inside the gradient is absorbed by b, and a step like
  ``w = -lr*g + 0.9*w`` gives a = -0.1 at every step;
- always: one step with targets equal to the network's own output (softmax of
  it for cross-entropy on scores), where a correct gradient is zero, so SGD,
  momentum and Adam leave θ unchanged; a rescaling still multiplies θ by
  (1 + a).

Then θ shrinks (a < 0) or grows (a > 0) geometrically: ``w = -lr*g + 0.9*w``
(momentum applied to the weights instead of to a velocity) shrinks the weights
by 0.9 per step, ``w = w + m*w`` makes them explode.

## Why is this bad?
A factor 0.9 per step takes the weights to 1.5 % of their size in 40 steps
and to 0 soon after, whatever the data say; a factor above 1 overflows. The
gradient's contribution is swamped, so the network cannot learn, and tuning
the learning rate does not help.

## Example
```python
v = momentum * w - lr * dw      # a velocity made from the weights
w = w + v                       # w is multiplied by (1 + momentum) every step
```

Use instead:
```python
self.v = momentum * self.v - lr * dw     # the velocity is its own buffer, initialised to zeros
w += self.v
```

## Thresholds
- ``|a| >= 0.01`` per step (the weights change by 1 % of themselves per step
  without any gradient: a factor 0.37 or 2.7 every 100 steps). Weight decay
  done right is ``lr * lambda``, typically 1e-5 to 1e-3 per step, far below.
  Without a backward (the zero-gradient step only) the bar is ``|a| >= 0.03``:
  an L2 penalty folded into the step cannot be told apart from the gradient
  there, and strong penalties on small batches reach 1 %.
- The fit is used only at steps where θ and g are not parallel
  (|cos| < 0.99), with at least 5 such steps, a residual
  |Δθ - aθ - bg| / |Δθ| <= 0.5 (the two terms explain the update; momentum and
  Adam leave larger residuals and fall back to the zero-gradient step), the
  sign of a the same in >= 80 % of the steps, and the second half's median
  |a| within 0.5x-2x of the first half's (a constant factor, not a 1/t decay).
- The zero-gradient step counts when ``|a| >= 0.01`` (0.03 without a
  backward) and the update is mostly along θ: |cos(Δθ, θ)| >= 0.9.
- The norm over the run must move the way a says (it shrank for a < 0, grew
  for a > 0).
- Parameters with a single entry are judged only alongside others: θ and g
  are then always parallel, so one is added when its zero-gradient factor is
  within 10 % of the factor found on the multi-entry parameters.

## Confidence
0.95 when the fit and the zero-gradient step agree; 0.85 on one of them alone.
"""
import math

import numpy as np

from gradcheck.causes import cause
from gradcheck.causes._where import fmt
from gradcheck.causes.update._common import med, names, where
from gradcheck.report import Finding

MIN_ALPHA = 0.01
MIN_ALPHA_STEP_ONLY = 0.03
MIN_FIT_STEPS = 5
MAX_RESIDUAL = 0.5
SIGN_AGREEMENT = 0.8
ZERO_COS = 0.9


def _fit(p):
    """(median a, agreeing) from the per-step fit, or None when the fit is not usable."""
    rows = [(a, r) for a, r in zip(p.fit_alpha, p.fit_resid) if a == a and r == r]
    if len(rows) < MIN_FIT_STEPS or med(r for _, r in rows) > MAX_RESIDUAL:
        return None
    a = [x for x, _ in rows]
    m = med(a)
    if abs(m) < MIN_ALPHA:
        return 0.0
    same = sum(1 for x in a if x * m > 0) / len(a)
    half = len(a) // 2
    h1, h2 = med(abs(x) for x in a[:half]), med(abs(x) for x in a[half:])
    steady = h1 > 0 and 0.5 <= h2 / h1 <= 2.0
    return m if same >= SIGN_AGREEMENT and steady else 0.0


@cause("rescaled-weights", requires=("training",))
def judge(ev):
    tr = ev["training"]
    if not tr.user_step:
        return []
    z = tr.zero
    found = []
    for k in tr.order:
        p = tr.params[k]
        if int(np.prod(p.shape)) < 2 or not p.norm or p.norm[0] <= 0:
            continue
        a_fit = _fit(p)
        a_zero = None
        bar = MIN_ALPHA if tr.has_gradient else MIN_ALPHA_STEP_ONLY
        if z is not None and k in z.alpha:
            az, cz = z.alpha[k], z.cos_theta[k]
            if az == az and abs(az) >= bar and cz == cz and abs(cz) >= ZERO_COS:
                a_zero = az
        a = a_fit if a_fit else a_zero
        if not a:
            continue
        if a_fit and a_zero is not None and a_fit * a_zero < 0:
            continue
        n0, n1 = p.norm[0], p.norm[-1]
        if len(p.norm) > 2 and (math.log(max(n1, 1e-300) / n0) * a <= 0 if math.isfinite(n1) else a < 0):
            continue
        conf = 0.95 if (a_fit and a_zero is not None) else 0.85
        found.append((k, a, a_fit, a_zero, conf, n0, n1, len(p.update)))
    if not found:
        return []
    if z is not None:   # single-entry parameters rescaled by the same factor in the zero-gradient step
        a0 = found[0][1]
        for k in tr.order:
            p = tr.params[k]
            if int(np.prod(p.shape)) == 1 and p.norm and p.norm[0] > 0 and abs(z.alpha.get(k, 0.0) - a0) <= 0.1 * abs(a0):
                found.append((k, z.alpha[k], None, z.alpha[k], 0.85, p.norm[0], p.norm[-1], len(p.update)))
    k, a, a_fit, a_zero, conf, n0, n1, steps = found[0]
    factor = 1 + a
    grow = a > 0
    all_k = [f[0] for f in found]
    title = (f"the step multiplies {names(all_k)} by about {factor:.3g} every step, whatever the gradient: "
             f"|{k}| went from {fmt(n0)} to {fmt(n1)} in {steps} steps")
    detail = []
    for kk, aa, af, az, _, m0, m1, st in found:
        parts = []
        if af:
            parts.append(f"fit Δθ = a·θ + b·g: a = {aa:+.3g} per step")
        if az is not None:
            parts.append(f"with a zero gradient one step still gives a = {az:+.3g}")
        detail.append(f"{kk}: " + "; ".join(parts) + f"; norm {fmt(m0)} -> {fmt(m1)}")
    detail.append(f"after 100 steps: x{factor ** 100:.3g}" + (" (explodes)" if grow else " (vanishes)"))
    fix = ("keep the momentum in its own velocity buffer (zeros at the start): `v = mu * v - lr * dw; w += v`; "
           "never mix the weights into the update (`w = -lr * dw + mu * w` multiplies w by mu every step)")
    return [Finding(
        cause="rescaled-weights", severity="error", confidence=found[0][4],
        title=title, fix=fix,
        evidence={"param": k, "params": all_k, "factor": factor,
                  "alpha": {f[0]: f[1] for f in found},
                  "norm_before": {f[0]: f[5] for f in found}, "norm_after": {f[0]: f[6] for f in found}},
        where=where(ev, k), detail=tuple(detail),
    )]
