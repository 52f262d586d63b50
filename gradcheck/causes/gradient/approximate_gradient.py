"""A recognised simplification of backprop: not the exact gradient, but still a descent direction.

## What it does
Rashid's network (Make Your Own Neural Network) sends the output error back
through ``who.T`` without the output sigmoid's slope:
``hidden_errors = who.T @ output_errors``. Its hidden update is then not the
gradient of the loss (relative error 0.4 to 0.5 against finite differences),
yet the network trains to about 95 % on MNIST. This cause recognises the
simplification by its pattern, not by the size of the error: the user's
update equals, exactly, the update the simplified formula gives on the same
weights and batch (computed by the reference network), and it checks that the
update still descends (a positive inner product with the exact gradient, and
a positive cosine on every parameter it changes).

## Why is this bad?
It mostly is not: it is reported as a warning so a gradient check does not
call a working textbook network broken. But the direction is not the
steepest one, so training is slower than it need be, and the simplification
does not carry over to losses or outputs where the skipped slope matters
more. If the update does not descend, it is an error.

## Example
```python
hidden_errors = np.dot(self.who.T, output_errors)
```

Use instead:
```python
output_delta = output_errors * final_outputs * (1.0 - final_outputs)
hidden_errors = np.dot(self.who.T, output_delta)
```

## Confidence
0.9: the update equals the simplified formula on every parameter it changes
(relative residual below 1e-4) and the reference reproduced the forward and
the finite differences.
"""
from gradcheck.causes import cause
from gradcheck.causes._where import fmt
from gradcheck.causes.gradient._common import enters_detail, explanation_evidence, explanations, join, where
from gradcheck.report import Finding


@cause("approximate-gradient", requires=("gradient_patterns",))
def judge(ev):
    out = []
    for e in explanations(ev, "approximate-gradient"):
        descends = bool(e.numbers.get("descends"))
        cos = e.numbers.get("cosine_with_exact", {})
        cos_text = ", ".join(f"{k} {fmt(v)}" for k, v in cos.items())
        title = (f"the update of {join(e.params)} is a recognised simplification of backprop (the output "
                 f"error is sent back without the output activation's slope): "
                 + ("not the exact gradient, but it still descends" if descends else "and it does not descend"))
        out.append(Finding(
            cause="approximate-gradient", severity="warning" if descends else "error",
            confidence=0.9, title=title,
            evidence=explanation_evidence(e), where=where(ev, e.entry),
            fix=f"for the exact gradient, {e.exact_form}; the simplified form works, so this is optional",
            detail=enters_detail(ev, e) + (f"cosine with the exact gradient: {cos_text} "
                                           f"({'a descent direction' if descends else 'NOT a descent direction'})",)))
    return out
