"""The model cannot fit one tiny batch, and nothing more specific explains why.

## What it does
Trains the model (the user's step, or plain gradient descent with the user's
gradient when there is no step) on one batch of 4 samples for up to 300
steps (time-bounded), measuring the loss and the accuracy on that batch.
A working network memorises 4 samples quickly: the loss falls toward zero and
every sample is classified right.

This is a fallback: when another cause that explains a failure to learn is
reported (wrong gradients, dead or rescaled updates, a bad learning rate,
saturated units, unscaled inputs...), this finding is dropped from the report
(``rank.FALLBACK``), because that cause says more.

## Why is this bad?
If a network cannot memorise 4 examples it cannot learn 60,000: something in
the forward pass, the gradient, the update or the settings is broken. The
overfit-one-batch test is the standard first check when a network does not
train.

## Example
Any bug that stops learning; for example a forward that reads a copy of the
weights the step updates, or a loss whose gradient is not the one the step
uses.

Use instead: read the loss and accuracy curves in the evidence; check that
the arrays the step updates are the arrays the forward reads.

## Thresholds
- Fitted: the loss falls to <= 5 % of its start, or to <= 50 % of the loss
  of the best constant output (the label frequencies: what a network that
  ignores its input achieves), or every sample is classified right with the
  loss at <= 50 % of its start. The constant-output bar keeps a network that
  drives every output to 0 (which lowers an MSE loss a lot) from passing.
- 4 samples and 300 steps: a correct MNIST-sized network fits 4 samples in
  10-300 steps at any sensible learning rate (per-sample steps included).
- Not reported when one step with a zero data gradient (targets equal to the
  network's own output, see rescaled-weights) still shrinks a weight matrix
  by >= 0.1 % (an L2 penalty or weight decay): on 4 samples a penalty
  normalised by the batch size (``lambda / m``) outweighs the data, so the
  failure to fit says nothing about the code.
- Severity: error when the loss did not fall below 90 % of its start (no
  learning at all), warning when it fell but not enough (learning, slowly or
  into a plateau such as all outputs at 0).

## Confidence
0.8 for the error (a frozen loss on 4 samples is unambiguous), 0.5 for the
warning.
"""
from gradcheck.causes import cause
from gradcheck.causes._where import fmt
from gradcheck.causes.update._common import curve, where
from gradcheck.causes.update.learning_rate_too_large import overfit_failed
from gradcheck.report import Finding

NO_PROGRESS = 0.9
DECAY = 1e-3


def decays(tr) -> bool:
    """The step shrinks some weight matrix even when the data gradient is zero (weight decay / L2)."""
    z = tr.zero
    if z is None:
        return False
    for k, p in tr.params.items():
        if len(p.shape) >= 2 and min(p.shape) > 1:
            a, c = z.alpha.get(k, float("nan")), z.cos_theta.get(k, float("nan"))
            if a == a and c == c and a <= -DECAY and c <= -0.9:
                return True
    return False


@cause("cannot-overfit", requires=("training",))
def judge(ev):
    tr = ev["training"]
    o = tr.overfit
    if o is None or len(o.loss) < 2 or not overfit_failed(tr) or decays(tr):
        return []
    frozen = not (o.final < NO_PROGRESS * o.initial)
    acc = o.accuracy[-1] if o.accuracy else float("nan")
    how = "your step" if tr.user_step else f"gradient descent with your gradient (learning rate {fmt(tr.lr or 0)})"
    title = (f"the model cannot fit one batch of {o.n} samples: after {o.steps} steps of {how} the loss is "
             f"{fmt(o.final)} (from {fmt(o.initial)})" + (f", accuracy {100 * acc:.0f}%" if acc == acc else ""))
    detail = (f"loss on the batch: {curve(o.loss)} (steps {o.at[0]}..{o.at[-1]}); a constant output "
              f"(the label frequencies) scores {fmt(o.const_loss)}",
              f"monitor loss in the main run: {curve(tr.loss)}")
    fix = ("make the network memorise these few samples first: check that the step updates the arrays the forward "
           "reads, that the gradient is the one of the loss you minimise, and try a 10x smaller and larger learning rate")
    return [Finding(
        cause="cannot-overfit", severity="error" if frozen else "warning", confidence=0.8 if frozen else 0.5,
        title=title, fix=fix,
        evidence={"samples": o.n, "steps": o.steps, "loss": [o.initial, o.final], "accuracy": acc,
                  "stopped": o.stopped},
        where=where(ev), detail=detail,
    )]
