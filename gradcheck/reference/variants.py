"""Wrong-but-plausible gradients, computed with the reference maths.

Each function takes a reference ``MLP`` and a batch (rows ``X``, targets ``Y``)
and returns ``[(dW, db), ...]`` in the reference's shapes, as a hand-written
backward with that one mistake would. A diagnoser converts them to the user's
shapes (``mapping.from_reference_grads``) and correlates them with the user's
gradient: the variant that matches names the bug.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from gradcheck.reference import activations as act
from gradcheck.reference.mlp import CANONICAL, MLP, Params, loss_slope


def _batch(net: MLP, X, Y):
    Y = np.asarray(Y, dtype=np.float64)
    out, zs, acts = net.forward(X, return_all=True)
    return Y, out, zs, acts


def no_output_activation_slope(net: MLP, X, Y) -> Params:
    """Rashid's simplification: errors travel back through ``W.T`` without any activation slope.

    The output error ``dL/dout`` (for mse: ``out - target``) is sent back as it
    is, and so is every hidden error; each layer's update still multiplies its
    own error by its own slope. For one hidden layer this is the book's
    ``hidden_errors = who.T @ output_errors`` (seed 002): in practice a descent
    direction, but not the gradient. When the output delta has no slope in it (identity
    output, softmax + nll, sigmoid + binary cross-entropy) nothing is skipped
    at the output and, with one hidden layer, the result is exact.
    """
    Y, out, zs, acts = _batch(net, X, Y)
    canonical = net.output == "identity" or (net.output, net.loss_name) in CANONICAL
    error = net.output_delta(zs[-1], out, Y) if canonical else loss_slope(net.loss_name, out, Y)
    grads: Params = []
    for l in reversed(range(len(net.params))):
        W, _ = net.params[l]
        name = net.activations[l]
        delta = net.output_delta(zs[l], out, Y) if l == len(net.params) - 1 else error * act.slope(name, zs[l])
        grads.insert(0, (acts[l].T @ delta, delta.sum(axis=0)))
        error = error @ W.T  # the error, not the delta, is propagated
    return grads


def derivative_at_activation(net: MLP, X, Y, output: bool = True) -> Params:
    """Every elementwise slope evaluated at the activation instead of at z: σ'(σ(z)).

    Identical to the exact gradient for relu (relu(z) > 0 exactly where z > 0).
    With ``output=False`` only the hidden layers carry the mistake.
    """
    Y, out, zs, acts = _batch(net, X, Y)
    if output and net.output != "softmax":
        delta = loss_slope(net.loss_name, out, Y) * act.slope(net.output, out)
    else:
        delta = net.output_delta(zs[-1], out, Y)
    grads, _, _ = net.backward(zs, acts, delta, slope=lambda l, z, a: act.slope(net.hidden[l], a))
    return grads


def derivative_at_activation_hidden(net: MLP, X, Y) -> Params:
    """σ'(σ(z)) in the hidden layers only; the output delta is exact."""
    return derivative_at_activation(net, X, Y, output=False)


def logits_not_probabilities(net: MLP, X, Y) -> Params:
    """Output delta ``z - t`` from the raw scores instead of ``softmax(z) - t`` (seed 003)."""
    Y, out, zs, acts = _batch(net, X, Y)
    grads, _, _ = net.backward(zs, acts, zs[-1] - Y)
    return grads


def transposed(net: MLP, X, Y) -> Params:
    """Each dW transposed (``x.T @ d`` vs ``d.T @ x``), laid back into W's shape when not square."""
    return [(dW.T.reshape(dW.shape), db) for dW, db in net.gradients(X, Y)]


def sign_flipped(net: MLP, X, Y) -> Params:
    """The exact gradient with the opposite sign (``target - out`` used as ``dL/dout``)."""
    return [(-dW, -db) for dW, db in net.gradients(X, Y)]


VARIANTS: dict[str, Callable[[MLP, np.ndarray, np.ndarray], Params]] = {
    "no-output-activation-slope": no_output_activation_slope,
    "derivative-at-activation": derivative_at_activation,
    "derivative-at-activation-hidden": derivative_at_activation_hidden,
    "logits-not-probabilities": logits_not_probabilities,
    "transposed": transposed,
    "sign-flipped": sign_flipped,
}


def all_variants(net: MLP, X, Y) -> dict[str, Params]:
    """``{variant name: [(dW, db), ...]}`` for every variant in ``VARIANTS``."""
    return {name: fn(net, X, Y) for name, fn in VARIANTS.items()}
