"""Units that start identical (zeros, constants, or a tiny spread around one value).

## What it does
Two checks on the weights as the model's constructor built them:

1. exact copies: hidden units with the same incoming weights, the same bias
   and the same outgoing weights (all-zero or all-constant weights make every
   unit of a layer a copy);
2. near copies: a weight matrix whose entries are a tiny spread around one
   non-zero value, ``std < 0.25 × |mean|`` (``np.random.normal(-0.1, 0.02)``,
   ``np.full(...)``, ``np.ones(...) * 0.5``): every unit of the layer starts as
   nearly the same function of its inputs, and every input is weighted alike.

## Why is this bad?
Identical units compute the same output and receive the same gradient, so
gradient descent can never tell them apart: a layer of 100 copies is one unit.
Near-copies are only separated by their small differences, so they stay highly
correlated for a long time, and the common offset (``fan_in × mean``) pushes
every unit to the same side, often into saturation.

## Example
```python
W1 = np.zeros((784, 30))
W2 = np.random.normal(-0.1, 0.02, (10, 30))
```

Use instead:
```python
W1 = np.random.randn(784, 30) / np.sqrt(784)    # mean 0, std 1/sqrt(fan_in)
W2 = np.random.randn(10, 30) / np.sqrt(30)
```

## Thresholds
- ``std / |mean| < 0.25``: ``np.random.rand`` (uniform [0, 1)) has 0.58, so
  it is ``positive-init``'s case, not this one; a zero-mean init has a ratio
  in the tens or thousands; with a ratio under 0.25, 95 % of the weights lie
  within ±50 % of the common value. A matrix of zeros has no mean to compare
  with and is judged by the exact-copies check (a zero *output* layer on top
  of random hidden layers is a common, harmless choice).
- near copies need at least 10 entries: for n zero-mean random entries,
  ``std < 0.25 |mean|`` means a t statistic above 4·sqrt(n - 1); with 2 entries
  that happens 16 % of the time by chance, with 10 about once in a million.

## Confidence
0.95 for exact copies (observed, and the maths says they stay copies).
Near copies: 0.9 when ``std / |mean|`` is below 0.05 (practically constant),
0.8 otherwise.
"""
from gradcheck.causes import cause
from gradcheck.causes._where import construction, fmt
from gradcheck.report import Finding

CV_LIMIT = 0.25
CONSTANT = 0.05
MIN_ENTRIES = 10


def constant(w) -> bool:
    """Every entry the same (up to float round-off)."""
    return w.std <= 1e-9 * abs(w.mean)


def describe(w) -> str:
    if w.max_abs == 0:
        return f"{w.name} {w.shape}: all zero"
    if constant(w):
        return f"{w.name} {w.shape}: every entry {fmt(w.mean)}"
    return f"{w.name} {w.shape}: mean {fmt(w.mean)}, std {fmt(w.std)}"


@cause("symmetric-init", requires=("init",))
def judge(ev):
    init = ev["init"]
    out = []
    by_layer = {w.layer: w for w in init.weights.values() if w.layer is not None}
    for layer, distinct in init.identical_units.items():
        units = init.hidden_units.get(layer, 0)
        w = by_layer.get(layer)
        nxt = by_layer.get(layer + 1)
        name = w.name if w else f"layer {layer}"
        zero = w is not None and w.max_abs == 0
        what = "all zero" if zero else ("constant" if w is not None and constant(w) else "repeated units")
        out.append(Finding(
            cause="symmetric-init", severity="error", confidence=0.95,
            title=f"the {units} units of hidden layer {layer} start as {distinct} distinct "
                  f"unit{'s' * (distinct != 1)}: same incoming weights, bias and outgoing weights "
                  f"({name} {what}), so they get the same gradient and stay identical",
            evidence={"param": name, "layer": layer, "units": units, "distinct_units": distinct,
                      "weights_zero": zero, "outgoing": nxt.name if nxt else None},
            where=construction(ev.session, param=name, layer=layer),
            fix=f"draw {name} at random, centred on zero: np.random.randn{w.shape if w else '(...)'}"
                f" / np.sqrt({w.fan_in if w else 'fan_in'}); zeros are fine for biases, not for weights",
            detail=tuple(describe(v) for v in (w, nxt) if v is not None),
        ))
    # a matrix already shown as part of an exact-copies finding is not reported again
    seen = {f.evidence[k] for f in out for k in ("param", "outgoing") if f.evidence.get(k)}
    for w in init.weights.values():
        if w.name in seen or w.n < MIN_ENTRIES or w.mean == 0 or w.cv >= CV_LIMIT:
            continue
        conf = 0.9 if w.cv < CONSTANT else 0.8
        sign = "negative" if w.mean < 0 else "positive"
        value = f"constant {fmt(w.mean)}" if constant(w) else f"mean {fmt(w.mean)}, std {fmt(w.std)}"
        detail = [f"every entry equals {fmt(w.mean)}" if constant(w) else
                  f"std / |mean| = {fmt(w.cv)}: 95 % of the entries within ±{fmt(2 * w.std)} of {fmt(w.mean)}, "
                  f"all {sign}"]
        if constant(w):
            pass
        elif w.units > 1:
            detail.append(f"its {w.units} units differ from their average by {fmt(w.unit_spread)} of it "
                          f"(a zero-mean init: much more than 1)")
        else:
            detail.append(f"its single unit weights all {w.fan_in} inputs alike")
        out.append(Finding(
            cause="symmetric-init", severity="error", confidence=conf,
            title=f"{w.name} starts as a tiny spread around one value ({value}): its units start as nearly "
                  f"the same function, weighting every input alike",
            evidence={"param": w.name, "layer": w.layer, "mean": w.mean, "std": w.std, "cv": w.cv,
                      "units": w.units, "unit_spread": w.unit_spread},
            where=construction(ev.session, param=w.name, layer=w.layer),
            fix=f"draw {w.name} centred on zero with spread 1/sqrt(fan_in): "
                f"np.random.normal(0.0, 1 / np.sqrt({w.fan_in}), {w.shape})",
            detail=tuple(detail),
        ))
    return out
