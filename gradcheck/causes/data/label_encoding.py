"""Class targets encoded wrongly: rows with no class, several classes, or one target for all.

## What it does
Reads the float targets the model's own ``data()`` returns for a
classification network (more than one output) and checks that each row
encodes exactly one class: one entry at the row's maximum, the others equal
to each other (plain one-hot, or smoothed encodings such as 0.01/0.99). It
reports rows with no class (all entries equal: a label the encoding loop
never reached, such as digit 0 stored as 10), rows that mark several classes,
every row having the same target, and classes the data never contains.
Integer labels are one-hot encoded by gradcheck itself and are not judged.

## Why is this bad?
The network learns exactly what the targets say. A row with no class teaches
"none of the digits" (it pulls every output down); a row with two classes
teaches a mixture; identical targets teach a constant. Accuracy then stalls
below what the model could reach, with nothing visibly broken in the
gradients or the update.

## Example
```python
Y = np.zeros((n, 10))
for d in range(1, 10):          # digit 0 is never encoded
    Y[labels == d, d] = 1
```

Use instead:
```python
Y = np.eye(10)[labels]          # one row per sample, exactly one class
```

## Thresholds
- no-class or several-class rows: an error from 1 % of the rows (fewer are
  probably a few corrupt samples: a warning); 1 % of MNIST-sized data is
  already a whole missing digit's worth of a small class share.
- a class never present: a warning, and only with at least 20 samples per
  class on average (fewer may miss a class by chance).

## Confidence
0.9 for rows with no class or several classes (the encoding is read, not
inferred), 0.95 when every target is the same, 0.6 for a missing class.
"""
import numpy as np

from gradcheck.causes import cause
from gradcheck.causes._where import user_function
from gradcheck.report import Finding

ERROR_SHARE = 0.01
PER_CLASS_MIN = 20


def encoding(Y: np.ndarray) -> dict:
    """Per-row class structure of (n, k) float targets."""
    top = Y.max(axis=1, keepdims=True)
    rest_max = np.where(Y == top, -np.inf, Y).max(axis=1)
    hot = np.isclose(Y, top, rtol=0, atol=1e-9 * max(1.0, float(np.abs(Y).max())))
    n_hot = hot.sum(axis=1)
    spread = (top[:, 0] - Y.min(axis=1))
    no_class = spread <= 1e-12
    several = (n_hot > 1) & ~no_class
    present = np.zeros(Y.shape[1], dtype=bool)
    single = (n_hot == 1)
    present[np.argmax(Y[single], axis=1)] = True
    return {"no_class": no_class, "several": several, "present": present,
            "constant": bool(np.all(np.ptp(Y, axis=0) <= 1e-12)), "rest_max": rest_max}


@cause("label-encoding", requires=("forward",))
def judge(ev):
    s = ev.session
    Y = np.asarray(s.data.Y, dtype=np.float64)
    if s.data_source != "data()" or Y.ndim != 2 or Y.shape[1] < 2 or len(Y) < 2 or not np.isfinite(Y).all():
        return []
    if np.array_equal(Y, np.eye(Y.shape[1])[s.data.labels]):
        uniq = set(np.unique(s.data.labels).tolist())
        if len(uniq) > 1:
            return _missing_classes(s, Y, uniq)
    enc = encoding(Y)
    n, k = Y.shape
    where = user_function(s, "data", last_line=True)
    if enc["constant"]:
        return [Finding(
            cause="label-encoding", severity="error", confidence=0.95,
            title=f"every one of the {n} targets is the same row {np.round(Y[0], 3).tolist()}",
            evidence={"samples": n, "target": Y[0].tolist()}, where=where,
            fix="build one target row per sample from its own label: Y = np.eye(k)[labels]")]
    out = []
    for key, what, fix in (
            ("no_class", "mark no class (all their entries are equal)",
             "encode every label: a label outside 0..k-1 (digit 0 stored as 10, labels 1..k) is silently dropped; "
             "use Y = np.eye(k)[labels % k] or map the labels first"),
            ("several", "mark several classes at once",
             "set exactly one class per row: Y = np.eye(k)[labels] (check that the encoding loop does not write "
             "the same row twice)")):
        mask = enc[key]
        share = float(mask.mean())
        if not mask.any():
            continue
        rows = np.flatnonzero(mask)[:3].tolist()
        out.append(Finding(
            cause="label-encoding", severity="error" if share >= ERROR_SHARE else "warning", confidence=0.9,
            title=f"{share:.1%} of the target rows ({int(mask.sum())} of {n}) {what}",
            evidence={"rows": int(mask.sum()), "share": share, "first_rows": rows, "kind": key}, where=where,
            fix=fix, detail=tuple(f"target row {i}: {np.round(Y[i], 3).tolist()}" for i in rows)))
    if not out:
        out = _missing_classes(s, Y, set(np.flatnonzero(enc["present"]).tolist()))
    return out


def _missing_classes(s, Y, present: set) -> list:
    n, k = Y.shape
    missing = sorted(set(range(k)) - present)
    if not missing or n < PER_CLASS_MIN * k:
        return []
    return [Finding(
        cause="label-encoding", severity="warning", confidence=0.6,
        title=f"class{'es' * (len(missing) > 1)} {', '.join(map(str, missing))} never appear{'s' * (len(missing) == 1)} "
              f"in the {n} targets, though the network has {k} outputs",
        evidence={"missing_classes": missing, "samples": n}, where=user_function(s, "data", last_line=True),
        fix="check the label mapping (e.g. labels 1..10 for digits, or 0 stored as 10) and that data() "
            "returns every class")]
