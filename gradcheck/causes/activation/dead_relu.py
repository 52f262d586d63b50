"""ReLU units that output zero for every sample: dead, and they never come back.

## What it does
Takes the hidden activations of the user's forward on the first batch (40-odd
samples; read from the user's arrays or recomputed by the reference network on
the user's weights) and counts, per ReLU layer, the units whose output is zero
for every sample. It reports the pre-activations' mean and spread, the layer's
bias, and how many units stay dead when the inputs are scaled or the layer's
weights are centred or redrawn at ``normal(0, 1/sqrt(fan_in))``.

## Why is this bad?
A ReLU's slope is 0 wherever its input is negative. A unit that is negative
for every sample passes no gradient to its weights or its bias, so nothing
ever pushes it back: it is dead for good, and the layer is narrower than the
code says. Typical causes: a large negative bias, weights of one sign on
non-negative inputs, a huge weight scale, or a learning rate so large that one
step throws the units far into the negative side.

## Example
```python
b1 = np.full(64, -5.0)            # every unit starts far below zero
h = np.maximum(0, X @ W1 + b1)
```

Use instead:
```python
b1 = np.zeros(64)                 # or a small positive constant such as 0.01
W1 = np.random.randn(784, 64) * np.sqrt(2 / 784)
```

## Thresholds
- a unit is dead when it is zero on every sample of the batch (40+ samples):
  with a healthy init (He, zero bias) the chance of a live unit being
  negative on 40 MNIST digits in a row is tiny; on every correct network in
  the test suite the dead fraction at initialisation is 0.
- error from 50 % dead units: half the layer can no longer learn.
- warning from 20 %: a fifth of the capacity is lost; worth a look.

## Confidence
Error: 0.7 at 50 % dead, rising linearly to 0.95 when every unit is dead;
times 0.85 when the ReLU was recognised from the values alone. Warning: 0.5.
"""
from gradcheck.causes import cause
from gradcheck.causes._where import fmt, pct, user_function
from gradcheck.causes.activation._drivers import driver_line, fixes, zline
from gradcheck.report import Finding

ERROR_AT = 0.5
WARN_AT = 0.2


@cause("dead-relu", requires=("activations",))
def judge(ev):
    acts = ev["activations"]
    init = ev.get("init")
    out = []
    for L in acts.layers:
        if L.kind != "relu" or not L.size:
            continue
        dead = L.dead_units
        frac = dead / L.size
        if frac < WARN_AT:
            continue
        error = frac >= ERROR_AT
        conf = (0.7 + 0.25 * (frac - ERROR_AT) / (1 - ERROR_AT)) if error else 0.5
        if L.kind_from == "values":
            conf *= 0.85
        w = init.weights.get(L.weight) if init is not None and L.weight else None
        detail = [f"{pct(float((L.a <= 0).mean()))} of all (sample, unit) outputs are zero"]
        zl = zline(L)
        if zl:
            detail.append(zl)
        if w is not None and w.bias_mean is not None:
            detail.append(f"bias {w.bias}: mean {fmt(w.bias_mean)}, std {fmt(w.bias_std)}")
        if w is not None and (w.frac_pos >= 0.99 or w.frac_neg >= 0.99):
            detail.append(f"all of {w.name} {'positive' if w.frac_pos >= 0.99 else 'negative'} (mean {fmt(w.mean)})")
        dl = driver_line(L, w.name if w else (L.weight or "W"), w.fan_in if w else None, "dead units")
        if dl:
            detail.append(dl)
        if L.source == "captured" and L.sites:
            detail.append(f"read from {', '.join(L.sites[:2])}")
        bias_neg = w is not None and w.bias_mean is not None and L.z is not None and w.bias_mean < -abs(
            float(L.z.std()))
        fix = (f"start the bias {w.bias} at 0 (or 0.01), not {fmt(w.bias_mean)}" if bias_neg else
               f"initialise {w.name if w else 'the weights'} with mean 0 and std sqrt(2/fan_in) (He) and the "
               f"bias at 0; if units die during training, lower the learning rate")
        out.append(Finding(
            cause="dead-relu", severity="error" if error else "warning", confidence=conf,
            title=f"{dead} of {L.size} layer-{L.layer} ReLUs ({pct(frac)}) output 0 for all {acts.n} samples "
                  f"of the first batch",
            evidence={"layer": L.layer, "dead_units": dead, "units": L.size, "dead_fraction": frac,
                      "samples": acts.n, "z_mean": None if L.z is None else float(L.z.mean()),
                      "z_std": None if L.z is None else float(L.z.std()),
                      "bias_mean": None if w is None else w.bias_mean,
                      "drivers": dict(L.drivers), "fixed_by": fixes(L, WARN_AT), "source": L.source},
            where=user_function(ev.session, "forward", param=L.weight, layer=L.layer),
            fix=fix, detail=tuple(detail),
        ))
    return out
