"""All the weights of a layer start with one sign (``np.random.rand``).

## What it does
Looks at every weight matrix as the model's constructor built it and reports
those whose entries are all positive (or all negative). It measures the push
this gives every unit of the layer: ``fan_in × mean weight × mean input``,
where the mean input is that of the data (layer 1) or of the previous layer's
activations, and shows what happens to the layer's saturation (or dead ReLUs)
when the weights are centred on zero.

A matrix whose entries are a tiny spread around one value is reported as
``symmetric-init`` instead (it is one-signed too, but the symmetry is the worse
problem).

## Why is this bad?
On non-negative inputs (pixels, sigmoid outputs) every unit's input is a sum
of positive terms that grows with the fan-in: all units are pushed the same
way, sigmoids saturate at 1, and the units start strongly correlated, so they
learn almost the same thing. ``np.random.rand`` draws from [0, 1), which is
the usual way this happens; ``np.random.randn`` was meant.

## Example
```python
self.W1 = np.random.rand(784, 30)
```

Use instead:
```python
self.W1 = np.random.randn(784, 30) / np.sqrt(784)
```

## Thresholds
- one-signed: at most 1 % of entries of the other sign, in a matrix of 16 or
  more entries (a zero-mean init gives one sign on 16 entries with probability
  2 x 2^-16 = 3e-5).
- error when the push ``fan_in × |mean weight| × mean input`` is above 2: a
  sigmoid at z = 2 is already 0.88 for every sample, and the push grows with
  the data; below that (tiny positive weights), a warning.

## Confidence
Error: 0.85 (the sign is certain; how much it hurts depends on the data, which
the push measures). Warning: 0.5.
"""
from gradcheck.causes import cause
from gradcheck.causes._where import construction, fmt, pct
from gradcheck.causes.init.symmetric_init import CV_LIMIT
from gradcheck.report import Finding

MIN_ENTRIES = 16
OTHER_SIGN = 0.01
PUSH_ERROR = 2.0


def one_signed(w) -> bool:
    return w.n >= MIN_ENTRIES and (
        (w.frac_pos >= 0.5 and w.frac_neg <= OTHER_SIGN) or (w.frac_neg >= 0.5 and w.frac_pos <= OTHER_SIGN))


def layer_input_mean(ev, w) -> float | None:
    """Mean input to the layer of weight ``w``: the data (layer 1) or the previous hidden activations."""
    if w.layer == 1:
        inp = ev.get("inputs")
        return None if inp is None else float(inp.x.mean)
    acts = ev.get("activations")
    if acts is None or w.layer is None:
        return None
    prev = next((L for L in acts.layers if L.layer == w.layer - 1), None)
    return None if prev is None else float(prev.a.mean())


@cause("positive-init", requires=("init",))
def judge(ev):
    init = ev["init"]
    acts = ev.get("activations")
    out = []
    for w in init.weights.values():
        if not one_signed(w) or w.cv < CV_LIMIT:
            continue
        sign = "positive" if w.frac_pos >= 0.5 else "negative"
        x_mean = layer_input_mean(ev, w)
        push = None if x_mean is None else w.fan_in * w.mean * x_mean
        error = push is not None and abs(push) > PUSH_ERROR
        detail = [f"{w.name} {w.shape}: {pct(w.frac_pos if sign == 'positive' else w.frac_neg)} {sign}, "
                  f"mean {fmt(w.mean)}, std {fmt(w.std)}, largest |w| {fmt(w.max_abs)}"]
        if push is not None:
            src = "the inputs" if w.layer == 1 else f"layer {w.layer - 1}'s activations"
            detail.append(f"every unit's input is pushed by {fmt(push)} on average "
                          f"(fan-in {w.fan_in} x mean weight {fmt(w.mean)} x mean of {src} {fmt(x_mean)})")
        L = None if acts is None else next((a for a in acts.layers if a.layer == w.layer), None)
        if L is not None and L.drivers:
            label = "dead" if L.kind == "relu" else "saturated"
            line = f"layer-{L.layer} {L.kind}s {label}: {pct(L.drivers['now'])}"
            if "weights centred" in L.drivers:
                line += f"; with {w.name} centred on 0: {pct(L.drivers['weights centred'])}"
            both = L.drivers.get("inputs scaled to [0, 1] and weights centred")
            if both is not None:
                line += f"; centred and inputs scaled to [0, 1]: {pct(both)}"
            detail.append(line)
        out.append(Finding(
            cause="positive-init", severity="error" if error else "warning", confidence=0.85 if error else 0.5,
            title=f"all {w.n} weights of {w.name} are {sign} (mean {fmt(w.mean)}, std {fmt(w.std)}): "
                  f"every unit of layer {w.layer or '?'} starts pushed the same way",
            evidence={"param": w.name, "layer": w.layer, "sign": sign, "fraction_positive": w.frac_pos,
                      "fraction_negative": w.frac_neg, "mean": w.mean, "std": w.std, "fan_in": w.fan_in,
                      "push": push},
            where=construction(ev.session, param=w.name, layer=w.layer),
            fix=f"draw {w.name} centred on zero: np.random.randn{w.shape} / np.sqrt({w.fan_in}) "
                f"(np.random.rand is uniform on [0, 1): all positive)",
            detail=tuple(detail),
        ))
    return out
