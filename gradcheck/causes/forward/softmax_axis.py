"""Samples leak into each other: a softmax (or a normalisation) taken over the batch axis.

## What it does
Runs the forward on a batch of 8, then on the same batch with sample 0
replaced, and checks that the outputs of the other 7 samples did not move
(beyond ten times the forward's own run-to-run noise). When they moved and
every output column sums to 1 over the samples, the softmax is taken over the
batch axis. In the ``sample`` layout (one ``(classes, 1)`` column at a time),
a softmax over ``axis=1`` makes every output exactly 1; that is recognised by
the architecture probe (the forward departs from every correct network that
way) and reported here too.

## Why is this bad?
Each sample's prediction must depend on that sample only. With the softmax
over the batch, a sample's "probabilities" are shares of the batch: they
change with the other samples, do not sum to 1 per sample, and the gradient
the user derived for a per-sample softmax no longer matches. Predictions at
test time depend on what else is in the batch. A normalisation over the batch
(``X - X.mean(axis=0)`` inside the forward) does the same more quietly.

## Example
```python
def softmax(z):                      # z is (n, classes)
    e = np.exp(z - z.max(axis=0))
    return e / e.sum(axis=0)         # sums over the samples
```

Use instead:
```python
def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
```
(For column layouts, ``(classes, n)``, the classes are ``axis=0``.)

## Thresholds
- another sample's output moves by more than 1e-9 of the output's size and by
  more than 10x the forward's own noise between two identical calls: a
  deterministic forward reproduces its outputs exactly.
- error when the output columns also sum to 1 over the samples (and rows do
  not over the classes): that is a softmax over the batch. Any other leak is a
  warning: batch normalisation in training mode leaks on purpose.

## Confidence
0.95 for a softmax over the batch (leak and column sums both observed); 0.9
for the single-column softmax of the sample layout; 0.6 for any other leak.
"""
from gradcheck.causes import cause
from gradcheck.causes._where import fmt, pct, user_function
from gradcheck.report import Finding

LEAK = 1e-9


@cause("softmax-axis", requires=("leakage",))
def judge(ev):
    lk = ev["leakage"]
    arch = ev.get("architecture")
    where = user_function(ev.session, "forward")
    if arch is not None and arch.departs == "softmax-axis" and (lk.layout == "sample" or lk.all_ones):
        return [Finding(
            cause="softmax-axis", severity="error", confidence=0.9,
            title="every output is exactly 1.0: the softmax is taken over the axis of a single sample's "
                  "(classes, 1) column instead of over the classes",
            evidence={"layout": lk.layout, "all_ones": lk.all_ones},
            where=where,
            fix="take the softmax over the classes: for a (classes, 1) column use axis=0 "
                "(e / e.sum(axis=0, keepdims=True))",
            detail=("the forward's output on one sample is softmax(z, axis=1) of the correct scores",),
        )]
    if lk.leak is None or lk.leak <= max(LEAK, 10 * (lk.noise or 0.0)):
        return []
    axis = "axis=0 of (n, classes) rows" if lk.layout == "rows" else "axis=1 of (classes, n) columns"
    good = "axis=1" if lk.layout == "rows" else "axis=0"
    detail = [f"changing sample 0 moved the outputs of {lk.leaking_outputs} of the other {lk.n - 1} samples "
              f"by up to {pct(lk.leak)} of the output's size (run-to-run noise {fmt(lk.noise or 0.0)})"]
    if lk.batch_sums_to_one:
        detail.append(f"each output column sums to 1 over the {lk.n} samples: a softmax over {axis}")
        return [Finding(
            cause="softmax-axis", severity="error", confidence=0.95,
            title=f"outputs sum to 1 over the {lk.n} samples of the batch, not over the classes: "
                  f"the softmax normalises across samples",
            evidence={"layout": lk.layout, "leak": lk.leak, "noise": lk.noise, "leaking_outputs": lk.leaking_outputs,
                      "batch_sums_to_one": True},
            where=where,
            fix=f"normalise over the classes: e / e.sum({good}, keepdims=True) (and the max with {good})",
            detail=tuple(detail),
        )]
    return [Finding(
        cause="softmax-axis", severity="warning", confidence=0.6,
        title=f"the output for one sample depends on the other samples of the batch "
              f"(up to {pct(lk.leak)} change when sample 0 is replaced)",
        evidence={"layout": lk.layout, "leak": lk.leak, "noise": lk.noise, "leaking_outputs": lk.leaking_outputs,
                  "batch_sums_to_one": False},
        where=where,
        fix=f"compute every per-sample operation over the features ({good}), not over the batch; normalise "
            f"inputs with statistics of the training set computed once, not of each batch",
        detail=tuple(detail),
    )]
