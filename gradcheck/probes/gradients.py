"""Gradient probe: the user's analytic gradient against finite differences.

Runs the fast directional check on every parameter (two forward evaluations
each), infers the loss family when the model says ``loss="auto"``, finds the
global scale, and localises the wrong entries of every parameter that fails.
See ``gradcheck.numerics`` for the method.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gradcheck import losses, numerics
from gradcheck.batch import to_layout

NAME = "gradients"
REQUIRES = ("forward",)


@dataclass
class GradientEvidence:
    loss: str
    """The loss family the gradient was checked against."""
    loss_inferred: bool
    scale: float
    """Global scale c: analytic = c · numeric for every correct parameter."""
    blocks: dict[str, numerics.BlockCheck]
    order: list[str]
    """Parameter names in the model's order (output layer usually last)."""
    analytic: dict[str, np.ndarray]
    n: int
    """Samples in the batch the gradient was checked on."""
    evals: int
    """Forward evaluations the check used."""
    seconds: float
    family_fit: dict[str, int] = field(default_factory=dict)
    """Per candidate loss family, how many parameters it made consistent."""
    from_step: bool = False
    """True when the gradient was derived from the model's step (no backward)."""
    all_numeric_zero: bool = False
    """The loss does not move when any parameter moves: params are not what forward reads."""
    batch: Any = field(default=None, repr=False)
    """The batch the gradient was checked on (rows)."""

    @property
    def failed(self) -> list[str]:
        return [k for k in self.order if not self.blocks[k].ok]


def _scorer(session, b, families):
    model = session.model
    Y = b.Y
    if callable(model.loss):
        def score(out):
            if model.layout == "sample":
                return {"custom": float(sum(model.loss(o.reshape(-1, 1), y.reshape(-1, 1)) for o, y in zip(out, Y)))}
            return {"custom": float(model.loss(to_layout(out, model.layout), to_layout(Y, model.layout)))}
        return score

    def score(out):
        return {f: losses.FUNCS[f](out, Y) for f in families}
    return score


def run(session, evidence) -> GradientEvidence:
    t0 = time.perf_counter()
    if evidence["forward"].nonfinite:
        from gradcheck.probes import ProbeSkipped

        raise ProbeSkipped("the forward output is not finite")
    model = session.model
    n = session.check_batch or (4 if model.layout == "sample" else 16)
    b = session.batch(n, offset=16)
    grads = session.gradients(b)
    params = session.params()
    if callable(model.loss):
        families = ["custom"]
    elif model.loss != "auto":
        families = [model.loss]
    else:
        families = list(losses.FAMILIES)  # every family is scored; the output decides which apply
    obj = numerics.Objective(params, lambda: session.output(b), _scorer(session, b, families))
    blocks = numerics.check_blocks(obj, grads, session.rng)
    if model.loss == "auto" and obj.first_output is not None:
        families = losses.applicable(obj.first_output, b.Y)

    fit: dict[str, tuple] = {}
    nice = nice_scales(b.n, model.learning_rate)
    for f in families:
        c = numerics.global_scale(blocks, f, nice)
        numerics.judge_blocks(blocks, f, c)
        ok = [k for k in grads if blocks[k].ok]
        total = sum(min(blocks[k].mismatch, 1e6) for k in grads)
        last_ok = bool(ok) and ok[-1] == list(grads)[-1]
        fit[f] = (len(ok), last_ok, -total, c)
    family = max(families, key=lambda f: fit[f][:3])
    c = fit[family][3]
    numerics.judge_blocks(blocks, family, c)
    for name in grads:
        bc = blocks[name]
        if not bc.ok and np.isfinite(bc.mismatch):
            if numerics.recheck(obj, name, grads[name], family, c, session.rng, bc):
                continue
        if not bc.ok:
            numerics.localise(obj, name, grads[name], family, c, session.rng, bc)
    all_zero = all(b_.numeric_dot[family] == 0.0 for b_ in blocks.values()) and any(
        b_.grad_norm > 0 for b_ in blocks.values())
    session.loss = family
    evidence.extras["grad_error"] = {k: float(blocks[k].mismatch) for k in grads}
    evidence.extras["grad_tolerance"] = {k: numerics.tolerance(params[k]) for k in grads}
    if model.loss == "auto":
        evidence.notes.append(f"loss inferred from the gradient: {family} "
                              f"(it makes {fit[family][0]} of {len(grads)} parameters agree)")
    supported = sum(blocks[k].ok for k in grads)
    if not all_zero and c < 0:
        evidence.notes.append(f"global gradient scale: {describe_scale(c, b.n, model.learning_rate)}: every "
                              f"gradient has the opposite sign of d(summed loss)")
    elif not all_zero and (supported >= 2 or len(grads) <= 2):
        evidence.notes.append(f"global gradient scale: {describe_scale(c, b.n, model.learning_rate)} "
                              f"(analytic = scale x d(summed loss)); information, not a bug")
    return GradientEvidence(
        loss=family, loss_inferred=(model.loss == "auto"), scale=c, blocks=blocks, order=list(grads),
        analytic=grads, n=b.n, evals=obj.evals, seconds=time.perf_counter() - t0,
        family_fit={f: v[0] for f, v in fit.items()}, from_step=model.backward is None,
        all_numeric_zero=all_zero, batch=b,
    )


def _named_scales(n: int, lr: float | None = None) -> dict[str, float]:
    cands = {"1": 1.0, "-1": -1.0, f"1/n (n={n})": 1.0 / n, f"-1/n (n={n})": -1.0 / n, "2": 2.0, "1/2": 0.5, f"2/n (n={n})": 2.0 / n,
             f"1/(2n) (n={n})": 0.5 / n}
    if lr:
        cands[f"the learning rate {lr:g}"] = lr
        cands[f"the learning rate / n ({lr:g}/{n})"] = lr / n
    return cands


def nice_scales(n: int, lr: float | None = None) -> tuple[float, ...]:
    """The global scales people fold into a backward: 1, 1/n, 2, 1/2, the learning rate..."""
    return tuple(_named_scales(n, lr).values())


def describe_scale(c: float, n: int, lr: float | None = None) -> str:
    """Name a global scale: 1, 1/n, 2, 0.5, the learning rate..."""
    cands = _named_scales(n, lr)
    for label, v in cands.items():
        if abs(c - v) <= 1e-3 * abs(v):
            return label
    return f"{c:.6g}"
