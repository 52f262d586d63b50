"""The update keeps growing on the same batch: state shared between steps accumulates.

## What it does
Calls the user's step several times on the *same* batch from the *same*
weights (the weights are written back before each call; everything else the
step keeps, such as momentum or gradient buffers, is left alone) and watches
how the update Δθ_i changes from call to call. A stateless step gives the
same update every time; momentum makes it grow and level off (the increments
shrink by the momentum factor each call: 1, 1.9, 2.71, ... for 0.9); a
gradient buffer that is never reset, or one array shared between two
buffers, makes it grow without bound (equal or growing increments: 1, 2, 3,
4, ...).

## Why is this bad?
Every step adds all the previous gradients again: the effective learning
rate grows with the number of steps, the weights run away and the loss
diverges after a few dozen steps, although each gradient is right.

## Example
```python
def backward(self, X, Y):
    ...
    self.dW1 += X.T @ d1        # accumulates across calls: never reset
```

Use instead:
```python
def backward(self, X, Y):
    ...
    self.dW1 = X.T @ d1         # a fresh gradient every call
```

(Also: ``grads = [np.zeros(s)] * n`` makes n references to one array;
``v = self.W`` makes a "velocity" that is the weights themselves.)

## Thresholds
- Over the repeated calls (up to 6), |Δθ_last| >= 2 |Δθ_1|, and the median
  ratio of consecutive increments |Δθ_{i+1} - Δθ_i| / |Δθ_i - Δθ_{i-1}| is
  >= 0.999. Momentum with factor μ gives exactly μ (0.9, 0.99); accumulation
  gives 1 to rounding; doubling gives 2. Momentum of 0.999 or more is
  rare enough to accept that boundary.

## Confidence
0.9: the growth is observed directly; 0.95 when the increments are equal
(plain accumulation: every call adds the same gradient once more).
"""
from gradcheck.causes import cause
from gradcheck.causes._where import fmt
from gradcheck.causes.update._common import med, names, where
from gradcheck.report import Finding

GROWTH = 2.0
INCREMENT_RATIO = 0.999


@cause("update-aliasing", requires=("training",))
def judge(ev):
    tr = ev["training"]
    rp = tr.repeat
    if not tr.user_step or rp is None:
        return []
    found = []
    for k in tr.order:
        ns, inc = rp.norms.get(k, []), rp.increments.get(k, [])
        if len(ns) < 3 or ns[0] <= 0 or ns[-1] < GROWTH * ns[0]:
            continue
        ratios = [b / a for a, b in zip(inc, inc[1:]) if a > 0]
        if not ratios or med(ratios) < INCREMENT_RATIO:
            continue
        equal = all(abs(r - 1.0) <= 1e-6 for r in ratios)
        found.append((k, ns, med(ratios), equal))
    if not found:
        return []
    k, ns, r, equal = found[0]
    ks = [f[0] for f in found]
    title = (f"the update of {names(ks)} grows every time the step runs on the same batch: |Δ{k}| "
             f"{fmt(ns[0])} -> {fmt(ns[-1])} over {len(ns)} calls from the same weights")
    detail = [f"{kk}: |update| per call " + ", ".join(fmt(x) for x in n) +
              (" (each call adds the same amount again)" if eq else f" (increments x{rr:.3g} per call)")
              for kk, n, rr, eq in found]
    detail.append("a stateless step gives the same update every call; momentum levels off")
    fix = ("compute each gradient fresh (`self.dW = X.T @ d`, not `+=`), or reset the accumulator to zeros "
           "before each batch; make every buffer its own array (`[np.zeros(s) for s in shapes]`, not `[np.zeros(s)] * n`)")
    return [Finding(
        cause="update-aliasing", severity="error", confidence=0.95 if all(f[3] for f in found) else 0.9,
        title=title, fix=fix,
        evidence={"param": k, "params": ks, "update_norms": {f[0]: f[1] for f in found},
                  "increment_ratio": {f[0]: f[2] for f in found}},
        where=where(ev, k), detail=tuple(detail),
    )]
