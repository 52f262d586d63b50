"""The analytic gradient of a parameter disagrees with finite differences.

## What it does
Compares each parameter's gradient from the user's backward with central
finite differences of the loss: first along one random-sign direction per
parameter, then entry by entry for a parameter that fails. Reported when the
disagreement matches none of the more specific gradient causes. The finding
of the first wrong parameter going backward says which parameters are right
and where the error enters.

## Why is this bad?
Gradient descent follows the gradient the backward returns. If it is not the
gradient of the loss, the updates do not reduce the loss: training stalls,
wanders or diverges, often with no error message.

## Example
```python
dW1 = X.T @ delta2            # delta2 was never propagated through W2
```

Use instead:
```python
delta1 = (delta2 @ W2.T) * sigmoid_prime(z1)
dW1 = X.T @ delta1
```

## Known problems
Finite differences are unreliable across kinks (ReLU at 0, max), more so with
the larger steps float32 needs; such entries are detected by their one-sided
slopes and excluded, and the count is shown. When the reference network
reproduces the model and its exact gradient equals the user's on a parameter
the finite differences flagged, the flag is dropped (and said in a note).

## Confidence
0.95 for the parameter where the error enters when the mismatch is more than
100 times the tolerance, else scaled down toward 0.6 as it approaches the
tolerance; 0.05 less for parameters further back, which may only inherit
the error.
"""
from gradcheck.causes import cause
from gradcheck.causes._where import entry_lines, fmt
from gradcheck.causes.gradient._common import entry_rank, failed_blocks, summary, verdicts, where, where_it_enters
from gradcheck.report import Finding


@cause("gradient-mismatch", requires=("gradients",))
def judge(ev):
    out = []
    g = ev["gradients"]
    wrong, correct, source = verdicts(ev)
    entry_conf = 0.95
    order = {k: i for i, k in enumerate(wrong)}
    for name, bc in sorted(failed_blocks(ev), key=lambda kv: order.get(kv[0], len(order))):
        if bc.grad_norm == 0.0:
            continue  # gradient-missing
        if source == "reference" and name in correct:
            continue  # the exact gradient equals the user's: the finite differences crossed kinks
        tol = 1e-4
        conf = min(0.95, 0.6 + 0.35 * min(1.0, bc.mismatch / (100 * tol)))
        if entry_rank(ev, name) > 0:
            conf = min(conf, entry_conf) - 0.05  # may only inherit the error of the entry: rank it below
        else:
            entry_conf = conf
        worst = bc.entries[0] if bc.entries else None
        title = f"the gradient of {name} does not match finite differences"
        if worst is not None:
            title += f" (worst entry {list(worst.index)}: analytic {fmt(worst.analytic)}, numeric {fmt(worst.numeric)})"
        detail = []
        enters = where_it_enters(ev, name)
        if enters:
            detail.append(enters)
        detail.append(f"mismatch along a random direction: {fmt(bc.mismatch)} of |g| (tolerance {tol:g})")
        if bc.dense is not None:
            detail.append("most sampled entries are wrong" if bc.dense else "a few entries are wrong, found by bisection")
        detail += list(entry_lines(bc.entries))
        out.append(Finding(
            cause="gradient-mismatch", severity="error", confidence=conf, title=title,
            evidence={"param": name, **summary(bc), "loss": g.loss,
                      "worst": [{"index": list(e.index), "analytic": e.analytic, "numeric": e.numeric,
                                 "rel_error": e.rel_error} for e in bc.entries[:3]],
                      "correct_params": correct},
            where=where(ev, name),
            fix=f"re-derive d{name}: compare it entry by entry with the finite-difference values shown",
            detail=tuple(detail),
        ))
    return out
