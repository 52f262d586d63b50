"""Inputs fed to the network at a scale far from what it expects (0-255 pixels into sigmoids).

## What it does
Measures the inputs exactly as the model's ``data()`` gives them (or the data
file): range, mean, spread and the 99th percentile of ``|x|``. When that
percentile is above 10, the network sees raw-scale values. It stays silent
when the forward normalises its inputs itself (the architecture probe finds that
the reference reproduces the user's output from ``X / 255``, ``(X - 127.5) / 127.5``
or the data standardised). It reports the
effect on the first hidden layer (saturated sigmoids/tanh, dead ReLUs) and how
much of it goes away when only the inputs are scaled to [0, 1].

## Why is this bad?
The first layer computes ``z = x @ W``: with pixels of 0-255, z is 255 times
larger than the initialisation was designed for. Sigmoid and tanh units
saturate (slope ~0), ReLU activations and the loss explode, and the gradient
of the first weights, proportional to x, is 255 times too large for any
learning rate that suits the other layers.

## Example
```python
images, labels = mndata.load_training()
X = np.array(images, dtype=float)          # 0..255
```

Use instead:
```python
X = np.array(images, dtype=float) / 255.0  # 0..1
# or, for other features: X = (X - X.mean(0)) / (X.std(0) + 1e-8)
```

## Thresholds
- 99th percentile of |x| above 10: data scaled to [0, 1] or [-1, 1] stays
  below 1, standardised features keep 99 % of values below about 3 (heavy
  tails perhaps 5); 0-255 pixels give 254. The percentile, not the maximum,
  so that one outlier does not decide.

## Severity
An error when the forward is known to use the values unscaled (the reference
network fed the raw batch reproduces the user's output) or the first layer is
measurably broken; otherwise a warning: the forward departs from every
reference network, so it may normalise its inputs in a way gradcheck cannot
see.

## Confidence
Warning: 0.6. Error: 0.95 when the first hidden layer is measurably broken (90 % or more of its
sigmoid/tanh values saturated, or half its ReLUs dead) and scaling the inputs
changes that; 0.9 when it is broken but scaling the inputs alone does not
repair it (another cause, e.g. positive-init, also drives it); 0.8 when the
forward is known to use the values unscaled but the first layer looks healthy
or could not be measured (the weights may be tiny enough to compensate, but
the first layer's gradient is still out of scale).
"""
from gradcheck.causes import cause
from gradcheck.causes._where import data_site, fmt, pct
from gradcheck.report import Finding

P99_LIMIT = 10.0


@cause("unnormalized-inputs", requires=("inputs",))
def judge(ev):
    inp = ev["inputs"]
    x = inp.x
    if not x.finite or x.abs_p99 <= P99_LIMIT:
        return []
    arch = ev.get("architecture")
    if arch is not None and arch.input_transform:
        return []
    acts = ev.get("activations")
    L = acts.layers[0] if acts is not None and acts.layers and acts.layers[0].layer == 1 else None
    pixels = x.whole_numbers and x.min >= 0 and x.max <= 255
    what = "0-255 pixel values" if pixels else "raw-scale values"
    conf, detail, bad, scaled, broken = 0.8, [], None, None, False
    if L is not None and L.kind in ("sigmoid", "tanh", "relu"):
        from gradcheck.probes.activations import bad_fraction

        bad = bad_fraction(L.kind, L.a)
        broken = bad >= (0.9 if L.kind != "relu" else 0.5)
        label = "saturated" if L.kind != "relu" else "dead"
        detail.append(f"layer-1 {L.kind}s: {pct(bad)} {label} on the first batch")
        scaled = L.drivers.get("inputs scaled to [0, 1]")
        if scaled is not None:
            detail.append(f"with only the inputs scaled to [0, 1]: {pct(scaled)} {label}")
        if broken:
            conf = 0.95 if scaled is not None and scaled < bad - 0.05 else 0.9
        if L.z is not None:
            detail.append(f"layer-1 pre-activations: mean {fmt(float(L.z.mean()))}, std {fmt(float(L.z.std()))}")
    detail.insert(0, f"{x.dtype} inputs from {inp.source}: min {fmt(x.min)}, max {fmt(x.max)}, "
                     f"mean {fmt(x.mean)}, std {fmt(x.std)}, 99th percentile of |x| {fmt(x.abs_p99)}")
    consumed = bool(arch is not None and arch.matched_on_data)
    severity = "error"
    if consumed:
        detail.append("the forward uses these values as they are (the reference network fed the same raw batch "
                      "reproduces its output)")
    elif not broken:
        severity, conf = "warning", 0.6
        detail.append("gradcheck could not confirm that the forward uses them unscaled (it does not match the "
                      "reference network) and the first layer looks healthy")
    fix = ("divide the inputs by 255 where the data is loaded (X = X / 255.0), so they lie in [0, 1]" if pixels else
           "standardise each input feature where the data is loaded: X = (X - X.mean(0)) / (X.std(0) + 1e-8)")
    return [Finding(
        cause="unnormalized-inputs", severity=severity, confidence=conf,
        title=f"inputs range {x.range_text} ({what}); the network expects values of order 1",
        evidence={"source": inp.source, "dtype": x.dtype, "min": x.min, "max": x.max, "mean": x.mean, "std": x.std,
                  "abs_p99": x.abs_p99, "whole_numbers": x.whole_numbers,
                  "layer1_bad_fraction": bad, "layer1_bad_fraction_inputs_scaled": scaled,
                  "used_unscaled": consumed},
        where=data_site(ev.session), fix=fix, detail=tuple(detail),
    )]
