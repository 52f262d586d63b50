"""Sigmoid or tanh hidden units stuck at their bounds, where their slope is ~0.

## What it does
Takes the hidden activations of the user's forward on the first batch (read
from the arrays the forward computes, or recomputed by the reference network
on the user's weights) and counts, per sigmoid/tanh layer, the (sample, unit)
values within 0.01 of a bound: below 0.01 or above 0.99 for a sigmoid, beyond
±0.99 for a tanh. It then says what drives it: the pre-activations' mean and
spread, the input range, the weights' scale and sign, and how much saturation
is left when the inputs are scaled to [0, 1], the layer's weights are centred,
or redrawn at ``normal(0, 1/sqrt(fan_in))``.

## Why is this bad?
A saturated sigmoid has slope σ(z)(1 - σ(z)) < 0.0099 (tanh: 1 - a² < 0.02):
every gradient that flows through it is cut a hundredfold, so the weights
before it barely move, and the output is the same for every input. The usual
drivers are inputs left at 0-255, weights drawn with ``np.random.rand`` (all
positive) or with a spread far above ``1/sqrt(fan_in)``.

## Example
```python
W1 = np.random.rand(784, 30)          # all positive, std 0.29: 28x too large
h = sigmoid(X @ W1)                   # X holds 0-255 pixels: z ~ 10,000
```

Use instead:
```python
X = X / 255.0
W1 = np.random.randn(784, 30) / np.sqrt(784)
```

## Thresholds
- margin 0.01: the slope there is under 1 % of its peak (sigmoid 0.25, tanh 1),
  so the gradient is cut at least 25x (sigmoid) / 50x (tanh).
- error at 90 % of values saturated: nine in ten (sample, unit) pairs pass
  essentially no gradient, and the layer cannot learn at any usable learning
  rate. Nielsen's book network (``randn`` weights, 784 inputs) sits at about
  65 % and still trains to ~95 %, which is why the line is not lower.
- warning from 50 %: learning is slowed (half the gradient signal is lost), not stopped.
- a bias is named as a driver when its mean is 2 or more in size: σ(2) = 0.88
  before any input arrives.

## Confidence
Error: 0.85 at 90 % saturated, rising linearly to 0.95 at 100 %; times 0.85
when the activation kind was inferred from the values alone (no reference
match, no ``a == f(z)`` pair in the user's arrays). Warning: 0.5.
"""
from gradcheck.causes import cause
from gradcheck.causes._where import fmt, pct, user_function
from gradcheck.causes.activation._drivers import driver_line, fixes, zline
from gradcheck.report import Finding

ERROR_AT = 0.90
WARN_AT = 0.50
BIAS_PUSH = 2.0


def _bounds(kind: str) -> str:
    return "0 or 1" if kind == "sigmoid" else "-1 or 1"


@cause("saturated-activations", requires=("activations",))
def judge(ev):
    acts = ev["activations"]
    init = ev.get("init")
    inputs = ev.get("inputs")
    out = []
    for L in acts.layers:
        if L.kind not in ("sigmoid", "tanh"):
            continue
        frac = L.saturated_fraction
        if frac < WARN_AT:
            continue
        error = frac >= ERROR_AT
        conf = (0.85 + 0.1 * (frac - ERROR_AT) / (1 - ERROR_AT)) if error else 0.5
        if L.kind_from == "values":
            conf *= 0.85
        w = init.weights.get(L.weight) if init is not None and L.weight else None
        title = (f"{pct(frac)} of layer-{L.layer} {L.kind}s within 0.01 of {_bounds(L.kind)} on the first batch "
                 f"({acts.n} samples)")
        if inputs is not None and L.layer == 1 and inputs.x.abs_p99 > 10:
            title += f"; inputs range {inputs.x.range_text}"
        detail = [f"{L.saturated_units} of {L.size} units saturated on every sample; "
                  f"slope below {0.0099 if L.kind == 'sigmoid' else 0.0199:g} there"]
        zl = zline(L)
        if zl:
            detail.append(zl)
        causes_seen, fixes_for = [], []
        raw_inputs = inputs is not None and L.layer == 1 and inputs.x.abs_p99 > 10
        if raw_inputs:
            causes_seen.append(f"inputs range {inputs.x.range_text}")
            fixes_for.append("scale the inputs to [0, 1] (X / 255.0 for pixels)")
        if w is not None:
            if w.bias_mean is not None and abs(w.bias_mean) >= BIAS_PUSH:
                causes_seen.append(f"bias {w.bias} starts at {fmt(w.bias_mean)} on average")
                fixes_for.append(f"start the bias {w.bias} at 0")
            if w.frac_pos >= 0.99 or w.frac_neg >= 0.99:
                causes_seen.append(f"all of {w.name} {'positive' if w.frac_pos >= 0.99 else 'negative'} "
                                   f"(mean {fmt(w.mean)})")
            if w.scale_ratio > 3:
                causes_seen.append(f"{w.name} rms {fmt(w.rms)} is {w.scale_ratio:.0f}x 1/sqrt({w.fan_in})")
            if w.scale_ratio > 3 or w.frac_pos >= 0.99 or w.frac_neg >= 0.99:
                fixes_for.append(f"draw {w.name} centred on 0 with std 1/sqrt(fan_in): "
                                 f"np.random.randn{w.shape} / np.sqrt({w.fan_in})")
        if causes_seen:
            detail.append("drivers: " + "; ".join(causes_seen))
        dl = driver_line(L, w.name if w else (L.weight or "W"), w.fan_in if w else None, "saturated")
        if dl:
            detail.append(dl)
        if L.source == "captured" and L.sites:
            detail.append(f"read from {', '.join(L.sites[:2])}")
        helps = fixes(L, WARN_AT)
        fix = ("; ".join(dict.fromkeys(fixes_for)) if fixes_for else
               f"initialise {w.name if w else 'the weights'} with mean 0 and std 1/sqrt(fan_in) "
               f"(np.random.randn(...) / np.sqrt({w.fan_in if w else 'n_in'})) and the biases at 0")
        out.append(Finding(
            cause="saturated-activations", severity="error" if error else "warning", confidence=conf,
            title=title,
            evidence={"layer": L.layer, "activation": L.kind, "saturated_fraction": frac, "margin": 0.01,
                      "units": L.size, "units_always_saturated": L.saturated_units, "samples": acts.n,
                      "z_mean": None if L.z is None else float(L.z.mean()),
                      "z_std": None if L.z is None else float(L.z.std()),
                      "drivers": dict(L.drivers), "fixed_by": helps, "source": L.source, "kind_from": L.kind_from},
            where=user_function(ev.session, "forward", param=L.weight, layer=L.layer),
            fix=fix, detail=tuple(detail),
        ))
    return out
