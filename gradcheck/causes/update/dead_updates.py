"""A training step leaves some parameters exactly as they were.

## What it does
Runs a few dozen steps of the user's own training and compares every
parameter bit for bit before and after each step. A parameter that no step
ever changes, although its gradient is not zero, is reported by name ("b1 and
b2 never change").

## Why is this bad?
A parameter that never moves does not learn: biases stay at their initial
values, or a whole layer stays random. The usual causes are an update written
to a copy (``for w in self.weights: w = w - lr * dw`` rebinds the loop
variable, not the list entry), an update of a parameter missing from the step,
a gradient computed but never applied, or a learning rate that rounds to
nothing in float32.

## Example
```python
def step(self, X, Y):
    g = self.backward(X, Y)
    for w, dw in zip([self.W1, self.W2], [g["W1"], g["W2"]]):
        w = w - self.lr * dw            # rebinds w; self.W1 is untouched
```

Use instead:
```python
def step(self, X, Y):
    g = self.backward(X, Y)
    for name in ("W1", "b1", "W2", "b2"):
        setattr(self, name, getattr(self, name) - self.lr * g[name])
```

## Thresholds
- At least 3 completed steps, and **every** step left the parameter
  bit-identical (one changed entry in one step clears it): unchanged is an
  exact observation, not a tolerance.
- The gradient must be non-zero: the user's backward returned a non-zero
  gradient for it during the run (``|g| > 0``), or, without a backward, the
  gradient probe's finite differences show the loss depends on it. A zero
  gradient is a different problem (``gradient-missing``, or saturated / dead
  units), reported by those causes.
- The forward must still read the parameter's array after the run (a small
  perturbation of it changes the output): a step that replaces the
  network's array with a new one that ``params`` (given as a plain dict) does
  not return is not a dead update; gradcheck only notes it cannot see it.

## Confidence
0.95 when the user's own backward gave a non-zero gradient at the same steps
(the step is what drops it); 0.85 when only finite differences show the
parameter matters (no backward to compare with).
"""
from gradcheck.causes import cause
from gradcheck.causes._where import fmt
from gradcheck.causes.update._common import names, where
from gradcheck.report import Finding

MIN_STEPS = 3


def _numeric_matters(ev, k: str) -> bool:
    g = ev.get("gradients")
    if g is None or k not in g.blocks:
        return False
    y = g.blocks[k].numeric_dot.get(g.loss, 0.0)
    return bool(y == y and abs(y) > 0)


@cause("dead-updates", requires=("training",))
def judge(ev):
    tr = ev["training"]
    if not tr.user_step:
        return []
    dead, conf, grads = [], [], {}
    for k in tr.order:
        p = tr.params[k]
        if len(p.changed) < MIN_STEPS or any(p.changed) or k in tr.stale:
            continue
        gs = [x for x in p.grad if x == x]
        if gs:
            if max(gs) > 0:
                dead.append(k)
                conf.append(0.95)
                grads[k] = max(gs)
        elif _numeric_matters(ev, k):
            dead.append(k)
            conf.append(0.85)
    if not dead:
        return []
    n = len(tr.params[dead[0]].changed)
    everything = len(dead) == len(tr.order)
    if everything:
        title = f"no parameter ever changes: {n} of {n} steps left {names(dead)} bit-identical"
    else:
        verb = "never changes" if len(dead) == 1 else "never change"
        title = f"{names(dead)} {verb}: {n} of {n} steps of your training left {'it' if len(dead) == 1 else 'them'} bit-identical"
    detail = [f"{k}: |gradient| up to {fmt(grads[k])} from your backward, update exactly 0" if k in grads
              else f"{k}: the loss depends on it (finite differences), update exactly 0" for k in dead]
    changed = [k for k in tr.order if k not in dead]
    if changed:
        detail.append(f"changed by every step: {names(changed)}")
    fix = ("write the update into the arrays the network uses: `self.W1 -= lr * dW1` (in place) or "
           "`self.W1 = self.W1 - lr * dW1`; a loop `for w in weights: w = w - lr * dw` only rebinds the "
           "loop variable, and a parameter left out of the step never moves")
    return [Finding(
        cause="dead-updates", severity="error", confidence=min(conf),
        title=title, fix=fix,
        evidence={"param": dead[0], "params": dead, "steps": n, "gradient_norm": grads},
        where=where(ev, dead[0]), detail=tuple(detail),
    )]
