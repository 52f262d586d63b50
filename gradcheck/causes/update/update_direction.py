"""The step moves the parameters uphill: the loss rises even for a tiny step.

## What it does
For the first steps of the user's training, measures the directional
derivative of the loss of the step's own batch along the update Δθ, by
central differences at θ ± εΔθ with ε small (|εΔθ| = 1e-3 |θ|): for the whole
update and for each parameter's part of it. A descent step has a negative
derivative whatever the learning rate; a positive one means the update points
up the slope (``w += lr * dw``, or a backward that returns -dL/dθ and a step
that subtracts it). With a backward, the update is also compared with the
user's gradient: cos(Δθ, -g) = -1 is a step along +gradient.

## Why is this bad?
Every step increases the loss: the network un-learns, outputs run to the
extremes and the loss diverges, at any learning rate.

## Example
```python
self.W2 += self.lr * dW2        # gradient *ascent*
```

Use instead:
```python
self.W2 -= self.lr * dW2
```

## Thresholds
- The first step (optimiser state fresh: momentum and Adam take a plain
  descent step first) must climb, and at least 2/3 of the checked steps (up
  to 4) must climb: one noisy step is not enough.
- "Climbs" means the loss change over the ε-step exceeds rounding noise:
  1e-9 of the loss for float64 parameters, 1e-5 for float32.
- Not reported for a parameter whose step follows the user's gradient
  (cos(Δθ, -g) > 0.9) when the gradient check found that gradient wrong: the
  gradient cause explains the uphill step.

## Confidence
0.95 when every checked step climbs and the update is along +gradient
(cos(Δθ, -g) < -0.9); otherwise 0.9 times the fraction of checked steps
that climb.
"""

from gradcheck.causes import cause
from gradcheck.causes._where import fmt
from gradcheck.causes.update._common import med, names, where
from gradcheck.report import Finding

NOISE = {"float64": 1e-9, "float32": 1e-5, "float16": 1e-3}
SHARE = 2 / 3


def _climbs(checks, key, tol):
    """(climbing, counted) over the slope checks for one parameter (or '*' for all)."""
    up = n = 0
    first = None
    for sc in checks:
        d = sc.per_param.get(key) if key != "*" else sc.total
        r = sc.rel.get(key, float("nan"))
        if d is None or d != d or r != r:
            continue
        if abs(r) <= tol:
            continue
        n += 1
        c = r > 0
        up += c
        if first is None:
            first = (sc.step, c)
    return up, n, first


@cause("update-direction", requires=("training",))
def judge(ev):
    tr = ev["training"]
    if not tr.user_step or not tr.slopes:
        return []
    g = ev.get("gradients")
    flagged = []
    for k in tr.order:
        p = tr.params[k]
        tol = NOISE.get(p.dtype, 1e-9)
        up, n, first = _climbs(tr.slopes, k, tol)
        if n < 2 or first is None or first[0] != 0 or not first[1] or up < SHARE * n:
            continue
        cg = med(p.cos_grad[: len(tr.slopes)])
        if cg == cg and cg > 0.9 and g is not None and k in g.blocks and not g.blocks[k].ok:
            continue   # the step follows a wrong gradient: the gradient cause explains it
        flagged.append((k, up, n, cg))
    if not flagged:
        tol = max(NOISE.get(p.dtype, 1e-9) for p in tr.params.values())
        up, n, first = _climbs(tr.slopes, "*", tol)
        if n >= 2 and first is not None and first[0] == 0 and first[1] and up >= SHARE * n:
            flagged.append((None, up, n, float("nan")))
        else:
            return []
    k, up, n, cg = flagged[0]
    ks = [f[0] for f in flagged if f[0]]
    along_plus = all(f[3] == f[3] and f[3] < -0.9 for f in flagged)
    conf = 0.95 if along_plus and all(f[1] == f[2] for f in flagged) else 0.9 * min(f[1] / f[2] for f in flagged)
    what = names(ks) if ks else "the parameters"
    title = (f"the step moves {what} uphill: the loss of the step's own batch rises even for a tiny step "
             f"({up} of {n} steps checked)")
    if along_plus:
        title = f"the step moves {what} along +gradient (gradient ascent): the loss rises even for a tiny step"
    detail = []
    for sc in tr.slopes:
        key = k or "*"
        d = sc.per_param.get(key) if key != "*" else sc.total
        if d is not None and d == d:
            detail.append(f"step {sc.step}: dL/dstep along the update {fmt(d)} (loss {fmt(sc.base)} -> "
                          f"{fmt(sc.after)} after the full step)")
    for kk, _, _, c in flagged:
        if kk and c == c:
            detail.append(f"{kk}: cos(update, -gradient) = {c:+.2f} (+1 is gradient descent)")
    fix = (f"subtract the gradient: `{k or 'W'} -= lr * d{k or 'W'}` (not `+=`); if your backward returns "
           f"-dL/d{k or 'W'} (e.g. from `y - output` instead of `output - y`), flip the sign there instead")
    return [Finding(
        cause="update-direction", severity="error", confidence=conf, title=title, fix=fix,
        evidence={"param": k, "params": ks, "climbing_steps": up, "checked_steps": n,
                  "cos_update_neg_gradient": {f[0]: f[3] for f in flagged if f[0]}},
        where=where(ev, k), detail=tuple(detail),
    )]
