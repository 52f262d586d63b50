"""Weights that start far larger or far smaller than ~1/sqrt(fan_in).

## What it does
For every weight matrix, measures its root-mean-square value against
``1/sqrt(fan_in)``, the scale that keeps a unit's input of order 1 when its
inputs are (the fan-in is read from the layer chain the shapes form, not from
names). The ratio ``rms × sqrt(fan_in)`` is 1 for LeCun's init, about 1.4 for
He's, 28 for ``np.random.randn`` with 784 inputs. It then reports the effect
measured on the first batch: the layer's saturated sigmoids/tanh or dead ReLUs
and how many remain when only this matrix is redrawn at
``normal(0, 1/sqrt(fan_in))``, or, for tiny weights, the collapsed spread of
the layer's pre-activations.

## Why is this bad?
Too large: every unit's input is huge, sigmoid/tanh saturate and pass no
gradient, ReLU outputs and the loss explode. Too small: every layer shrinks the
signal by the same factor, all units sit at the same point (a sigmoid at 0.5
for every input), and the gradients of the earlier layers vanish.

## Example
```python
W1 = np.random.randn(784, 30) * 5        # 140x 1/sqrt(784)
W2 = np.random.randn(30, 10) * 1e-4      # 0.0005x 1/sqrt(30)
```

Use instead:
```python
W1 = np.random.randn(784, 30) / np.sqrt(784)
W2 = np.random.randn(30, 10) / np.sqrt(30)
```

## Thresholds
- healthy band for the ratio: 0.05 to 20. It is wide on purpose: Rashid's
  ``normal(0, hidden**-0.5)`` gives ~3, ``randn * 0.01`` gives 0.05-0.3 for
  common sizes, and both train. Nielsen's ``randn`` on 784 inputs (28) is
  outside: it trains, but saturates about 65 % of its sigmoids (a warning).
- error when the layer is broken and this matrix is why: 90 % or more of its
  sigmoid/tanh values saturated (or 50 % of its ReLUs dead) with the ratio
  above 20, and redrawing the matrix at 1/sqrt(fan_in) alone brings that
  under 50 %; or, for a sigmoid layer, a ratio below 0.01 with the layer's
  pre-activations spread under 0.01 (each unit's input varies by less than
  0.01 from sample to sample: every unit sits at 0.5 whatever the input, and
  the next layer sees a constant). Tiny ReLU and tanh layers are only a
  warning: both are nearly linear around 0, so small weights scale the signal
  down without erasing it (CS231n's ``1e-4 * randn`` two-layer ReLU net
  trains).
- matrices with a fan-in of 1 or entries of one tiny spread (that is
  ``symmetric-init``) are left out.

## Confidence
Error: 0.85 (the effect and its remedy are both measured). Warning: 0.5.
"""
from gradcheck.causes import cause
from gradcheck.causes._where import construction, fmt, pct
from gradcheck.causes.init.symmetric_init import CV_LIMIT
from gradcheck.report import Finding

LOW, HIGH = 0.05, 20.0
TINY = 0.01
SPREAD_TINY = 0.01


@cause("init-scale", requires=("init",))
def judge(ev):
    init = ev["init"]
    acts = ev.get("activations")
    out = []
    for w in init.weights.values():
        if w.fan_in < 2 or w.cv < CV_LIMIT or w.max_abs == 0:
            continue
        r = w.scale_ratio
        if LOW <= r <= HIGH:
            continue
        L = None if acts is None else next((a for a in acts.layers if a.layer == w.layer), None)
        detail = [f"{w.name} {w.shape}: rms {fmt(w.rms)}, fan-in {w.fan_in} "
                  f"(from the {w.fan_in_from}), 1/sqrt(fan_in) = {fmt(w.fan_in ** -0.5)}"]
        error = False
        big = r > HIGH
        if L is not None and L.kind in ("sigmoid", "tanh", "relu"):
            from gradcheck.probes.activations import bad_fraction

            label = "dead" if L.kind == "relu" else "saturated"
            bad = bad_fraction(L.kind, L.a)
            redrawn = L.drivers.get("weights at 1/sqrt(fan_in)")
            broken = bad >= (0.5 if L.kind == "relu" else 0.9)
            if big:
                line = f"layer-{L.layer} {L.kind}s {label}: {pct(bad)}"
                if redrawn is not None:
                    line += f"; with {w.name} redrawn at 1/sqrt({w.fan_in}): {pct(redrawn)}"
                detail.append(line)
            else:
                detail.append(f"layer-{L.layer} {L.kind}s vary by {fmt(float(L.a.std(axis=0).mean()))} from sample "
                              f"to sample (per unit, on average): nearly the same value for every input")
            if big and broken and redrawn is not None and redrawn < 0.5:
                error = True
            if L.z is not None:
                zs = float(L.z.std(axis=0).mean())
                detail.append(f"layer-{L.layer} pre-activations: mean {fmt(float(L.z.mean()))}, spread over "
                              f"the samples {fmt(zs)} per unit")
                if not big and r < TINY and zs < SPREAD_TINY and L.kind == "sigmoid":
                    error = True
        if big:
            effect = "saturates or kills the units" if error else "pushes the units toward saturation"
        else:
            effect = "erases the input signal" if error else "shrinks the signal and the gradients"
        out.append(Finding(
            cause="init-scale", severity="error" if error else "warning", confidence=0.85 if error else 0.5,
            title=f"{w.name} starts with rms {fmt(w.rms)}, {fmt(r)}x 1/sqrt({w.fan_in}): "
                  f"too {'large' if big else 'small'}, which {effect}",
            evidence={"param": w.name, "layer": w.layer, "rms": w.rms, "fan_in": w.fan_in, "ratio": r,
                      "healthy_ratio": [LOW, HIGH]},
            where=construction(ev.session, param=w.name, layer=w.layer),
            fix=f"draw {w.name} with std 1/sqrt(fan_in): np.random.randn{w.shape} / np.sqrt({w.fan_in}) "
                f"(sqrt(2 / {w.fan_in}) for ReLU layers)",
            detail=tuple(detail),
        ))
    return out
