"""Gradient-pattern probe: what kind of error a wrong gradient is, and where it enters.

Runs only when the gradient probe found a wrong parameter (or a negative
global scale). Two sources of evidence, the first that applies:

1. The reference network (``gradcheck.reference``): the user's parameters are
   mapped onto a correct MLP by their shapes, the MLP's activations are
   identified from the user's own forward (one evaluation), and its exact
   gradient is validated against the finite differences the gradient probe
   already measured (the same random directions, no new evaluations). Then the
   user's gradient is compared, whole arrays at a time, with the exact gradient
   and with named wrong candidates (``gradcheck.candidates``): the raw scores
   for the probabilities, a slope at the activation, Rashid's skipped output
   slope, a transposed or sign-flipped array, a bias summed over the wrong axis.
2. When the reference cannot reproduce the network: the arrays themselves, i.e.
   the analytic/numeric ratios of the sampled entries (constant: a scale; -1: a
   sign), the random direction of the check applied to the transposed array,
   a bias gradient whose entries are all equal.

The evidence lists, per wrong parameter, the explanation that fits, the
parameters that are right and wrong in backprop order, and the layers, so the
causes can say where the error enters.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gradcheck import numerics
from gradcheck.candidates import Reference, differs, fit

NAME = "gradient_patterns"
REQUIRES = ("gradients",)

# |s/c - 1| within which a fitted scale is "the global scale"
SCALE_RTOL = 2e-3


@dataclass
class Explanation:
    """One explained error: a cause, the parameters it explains, and the numbers."""

    cause: str
    """gradient-sign, gradient-transposed, gradient-scale, gradient-missing, bias-gradient-axis,
    logits-not-probabilities, wrong-activation-derivative or approximate-gradient."""
    candidate: str
    """Which candidate matched (e.g. ``"logits"``, ``"hidden-slope[1]:a*(1-a)"``, ``"transposed"``)."""
    params: list[str]
    """The parameters it explains, in backprop order (the entry first)."""
    residual: float
    """Relative residual of the match (0: the user's gradient is exactly the candidate)."""
    source: str
    """"reference" or "arrays"."""
    ratio: float | None = None
    """For scale and sign: user gradient / true gradient (after the global scale)."""
    description: str = ""
    exact_form: str = ""
    stage: tuple[str, int] | None = None
    numbers: dict[str, Any] = field(default_factory=dict)
    """Extra JSON-able numbers (cosines with the exact gradient, descent check...)."""

    @property
    def entry(self) -> str:
        return self.params[0]


@dataclass
class PatternEvidence:
    source: str
    """"reference" when the reference network reproduced the user's forward and gradient, else "arrays"."""
    reference: str | None
    """The architecture the reference identified (e.g. "[784, 20, 10] hidden=sigmoid output=identity")."""
    note: str
    """Why the reference was (not) used."""
    scale: float
    """The global scale the classification used (analytic = scale x true gradient)."""
    layers: list[tuple[str, str | None]]
    """(weight, bias) per layer, input layer first."""
    wrong: list[str]
    """Wrong parameters, in backprop order (output layer first)."""
    correct: list[str]
    """Correct parameters, in backprop order."""
    explanations: dict[str, Explanation]
    """By parameter (several parameters may share one Explanation)."""
    cosine: dict[str, float] = field(default_factory=dict)
    """Per parameter: cosine between the user's gradient and the exact one (reference only)."""
    descends: bool | None = None
    """The user's whole gradient has a positive inner product with the exact one (reference only)."""
    sign_convention: bool = False
    """A negative global scale that the model's own step undoes (backward returns -gradient, step adds it)."""
    evals: int = 0

    @property
    def unexplained(self) -> list[str]:
        return [k for k in self.wrong if k not in self.explanations]

    def groups(self) -> list[Explanation]:
        """Each distinct explanation once, in backprop order of their entries."""
        seen, out = set(), []
        for k in self.wrong:
            e = self.explanations.get(k)
            if e is not None and id(e) not in seen:
                seen.add(id(e))
                out.append(e)
        return out


def run(session, evidence) -> PatternEvidence:
    from gradcheck.probes import ProbeSkipped

    g = evidence["gradients"]
    if g.all_numeric_zero:
        raise ProbeSkipped("the loss does not depend on the parameters")
    if not g.failed and g.scale > 0:
        raise ProbeSkipped("every gradient matches")
    from gradcheck.session import BadReturn
    from gradcheck.usercode import UserCodeError

    ref, note, layers, evals = _reference(session, g)
    out = None
    if ref is not None:
        try:
            out = _from_reference(session, g, ref, layers)
        except (UserCodeError, BadReturn):
            raise
        except Exception as e:  # noqa: BLE001 - an unforeseen network shape must not stop the report
            ref, note = None, f"the reference network failed on this model ({type(e).__name__}: {e})"
    if out is None:
        out = _from_arrays(session, g, layers)
    out.note, out.evals = note, evals
    evidence.notes.append(f"gradient patterns: {note}" if ref is not None else
                          f"gradient patterns from the arrays alone: {note}")
    if ref is not None and abs(out.scale - abs(g.scale)) > 1e-3 * out.scale:
        from gradcheck.probes.gradients import describe_scale

        evidence.notes.append(f"global gradient scale, from the reference network: "
                              f"{describe_scale(out.scale, g.n, session.model.learning_rate)}")
    overruled = [k for k in g.failed if ref is not None and k in out.correct]
    if overruled:
        evidence.notes.append(f"finite differences flagged {', '.join(overruled)}, but the reference network's exact "
                              f"gradient equals yours there: kinks crossed by the finite-difference step or "
                              f"float32 rounding, not a bug")
    if out.sign_convention:
        evidence.notes.append("backward returns -dL/dθ and the model's step adds it: a sign convention, not a bug")
    return out


# -- the reference ---------------------------------------------------------------

def _layers_from_shapes(order: list[str], shapes: dict[str, tuple]) -> list[tuple[str, str | None]]:
    """(weight, bias) per layer when no mapping is available: 2-D arrays start layers, vectors join them."""
    layers: list[list] = []
    for k in order:
        s = shapes[k]
        vector = len(s) <= 1 or (len(s) == 2 and 1 in s and layers)
        if vector and layers and layers[-1][1] is None:
            layers[-1][1] = k
        else:
            layers.append([k, None])
    return [(w, b) for w, b in layers]


def _reference(session, g):
    """(Reference or None, note, layers, evals)."""
    from gradcheck.reference import MappingError, identify, map_params

    model = session.model
    params = session.params()
    shapes = {k: tuple(np.shape(v)) for k, v in params.items()}
    layers = _layers_from_shapes(g.order, shapes)
    b = g.batch
    if b is None or callable(model.loss):
        return None, "the reference needs a named loss family, not a custom loss", layers, 0
    X = np.asarray(b.X, dtype=np.float64)
    try:
        mapping = map_params(params, model.layout, n_in=X.shape[1], n_out=b.Y.shape[1])
    except MappingError as e:
        return None, f"the reference could not map the parameters: {e}", layers, 0
    if any(k not in {n for pair in mapping.names for n in pair} for k in g.order):
        return None, "the reference does not use every parameter", layers, 0
    layers = [(l.weight, l.bias) for l in mapping.layers]
    try:
        arch = identify(mapping, session.forward_rows, params)
    except Exception as e:  # noqa: BLE001 - user forward on other inputs may fail; fall back to arrays
        return None, f"the reference could not run the forward on its probe inputs ({type(e).__name__})", layers, 1
    if not arch.matched:
        return None, f"the reference could not reproduce the forward ({arch.departs})", layers, 1
    try:
        net = arch.reference(loss=g.loss, params=params)
        ref = Reference(net, mapping, X, b.Y)
    except Exception as e:  # noqa: BLE001 - any failure of the oracle falls back on the arrays
        return None, f"the reference could not be built: {type(e).__name__}: {e}", layers, 1
    # validate on the directions the gradient probe measured: no new evaluations
    for name in g.order:
        bc = g.blocks[name]
        if bc.direction is None or name not in ref.exact:
            continue
        y = bc.numeric_dot[g.loss]
        e = ref.exact[name]
        ana = float(np.sum(e * bc.direction))
        norm = float(np.linalg.norm(e))
        tol = 20 * numerics.tolerance(params[name])
        if abs(ana - y) > tol * max(norm, 1e-12) + 1e-10:
            return None, (f"the reference's gradient of {name} disagrees with finite differences "
                          f"(hidden={','.join(arch.hidden) or '-'}, output={arch.output}, loss {g.loss})"), layers, 1
    desc = f"{list(arch.sizes)} hidden={','.join(arch.hidden) or '-'} output={arch.output}, loss {g.loss}"
    ref.description = desc
    return ref, f"reference network {desc}: reproduces the forward and the finite differences", layers, 1


def _backprop_order(layers: list[tuple[str, str | None]], order: list[str]) -> list[str]:
    out = [p for w, b in reversed(layers) for p in (w, b) if p is not None]
    return out + [k for k in order if k not in out]


def _match_tol(arr) -> float:
    return 1e-4 if numerics.tolerance(arr) <= 1e-4 else 3e-2


def _is_scale(s: float, c: float) -> bool:
    return c != 0 and abs(s / c - 1.0) <= SCALE_RTOL


def _nice_ratio(r: float, n: int) -> bool:
    return any(abs(abs(r) - v) <= 1e-3 * v for v in (1.0, 2.0, 0.5, float(n), 1.0 / n))


def _global_scale(G, E, names, sizes, nice) -> float:
    """The scale shared by most parameters whose gradient is the exact one up to that scale (0: none).

    Ties as in ``numerics.global_scale``: a nice scale (1, 1/n, the learning
    rate), then the group with more entries, then the output side.
    """
    fits = {k: fit(G[k], E[k]) for k in names}
    ok = [(k, s) for k, (s, rho) in fits.items() if rho <= 1e-4 and s != 0 and sizes[k] > 1]
    if not ok:
        return 0.0
    best, best_key = 0.0, None
    for i, (_, si) in enumerate(ok):
        members = [(k, s) for k, s in ok if abs(s - si) <= 1e-3 * max(abs(s), abs(si))]
        is_nice = any(abs(abs(si) - v) <= 1e-3 * v for v in nice if v > 0)
        key = (len(members), is_nice, si > 0, sum(sizes[k] for k, _ in members), -i)
        if best_key is None or key > best_key:
            best, best_key = float(np.median([s for _, s in members])), key
    return best


def _from_reference(session, g, ref: Reference, layers) -> PatternEvidence:
    params = session.params()
    G = g.analytic
    E = ref.exact
    names = _backprop_order(layers, g.order)
    sizes = {k: int(np.size(G[k])) for k in names}
    tols = {k: _match_tol(params[k]) for k in names}
    cands = ref.candidates()
    from gradcheck.probes.gradients import nice_scales

    c = _global_scale(G, E, names, sizes, nice_scales(g.n, session.model.learning_rate))
    if c == 0.0:
        # no parameter is right up to a scale: take the scale of the candidate that explains the most
        best = (0, g.scale)
        for cand in cands:
            ss = [fit(G[k], cand.grads[k]) for k in names if sizes[k] > 1 and differs(cand.grads[k], E[k])]
            ss = [s for s, rho in ss if rho <= 1e-4 and s != 0]
            if len(ss) > best[0]:
                best = (len(ss), float(np.median(ss)))
        c = best[1] or 1.0
    explanations: dict[str, Explanation] = {}
    sign_convention = False
    if c < 0:
        # every gradient is the exact one with the opposite sign: the output delta is flipped,
        # unless the model's own step adds what backward returns (then -1 is just the global scale)
        if _step_adds(session, g):
            sign_convention = True
        else:
            c = -c
            flipped = [k for k in names if fit(G[k], E[k])[1] <= tols[k] and _is_scale(-fit(G[k], E[k])[0], c)]
            if flipped:
                e = Explanation("gradient-sign", "sign-flipped", flipped, 0.0, "reference", ratio=-1.0,
                                description="every gradient has the opposite sign: dL/dout is computed as "
                                            "target - output",
                                exact_form="dL/dout = output - target (then step: W -= lr * dW)",
                                stage=("output", ref.L))
                for k in flipped:
                    explanations[k] = e
    def right(k):
        s, rho = fit(G[k], E[k])
        return rho <= tols[k] and _is_scale(s, c)

    correct = [k for k in names if k not in explanations and right(k)]
    wrong = [k for k in names if k not in correct]
    todo = [k for k in wrong if k not in explanations]
    # whole-gradient candidates, the one explaining the most wrong parameters first
    while todo:
        best = None
        for cand in cands:
            changed = [k for k in names if differs(cand.grads[k], E[k])]
            if not changed or any(k in correct for k in changed):
                continue  # it would also change a parameter the user has right
            hits = []
            for k in changed:
                if k not in todo:
                    continue
                s, rho = fit(G[k], cand.grads[k])
                if rho <= tols[k] and _is_scale(s, c):
                    hits.append((k, rho))
            if hits and (best is None or len(hits) > len(best[1])):
                best = (cand, hits)
        if best is None:
            break
        cand, hits = best
        e = Explanation(cand.cause, cand.name, [k for k in names if k in dict(hits)],
                        max(r for _, r in hits), "reference", description=cand.description,
                        exact_form=cand.exact_form, stage=cand.stage)
        for k, _ in hits:
            explanations[k] = e
        todo = [k for k in todo if k not in explanations]
    # one parameter at a time
    for k in list(todo):
        e = _param_candidate(k, G[k], E[k], c, tols[k], ref, g.n)
        if e is not None:
            explanations[k] = e
    _group_ratios(explanations, names)
    cos = {}
    for k in names:
        ng, ne = np.linalg.norm(G[k]), np.linalg.norm(E[k])
        cos[k] = float(np.sum(G[k] * E[k]) / (ng * ne)) if ng and ne else 0.0
    dot = sum(float(np.sum(G[k] * E[k])) for k in names) / c
    for e in {id(x): x for x in explanations.values()}.values():
        if e.cause == "approximate-gradient":
            e.numbers.update({"cosine_with_exact": {k: round(cos[k], 4) for k in e.params},
                              "descends": bool(dot > 0 and all(cos[k] > 0 for k in e.params))})
    return PatternEvidence("reference", ref.description, "", abs(c), layers, wrong, correct, explanations,
                           cos, bool(dot > 0), sign_convention)


def _param_candidate(k, Gk, Ek, c, tol, ref: Reference | None, n: int) -> Explanation | None:
    """Zero, sign, transposed, bias summed over the wrong axis or collapsed, or a scale: one parameter."""
    size = int(np.size(Gk))
    if not np.any(Gk):
        return Explanation("gradient-missing", "zero", [k], 0.0, "reference")
    s, rho = fit(Gk, Ek)
    if rho <= tol and size > 1 and _is_scale(-s, c):
        return Explanation("gradient-sign", "sign", [k], rho, "reference", ratio=s / c,
                           description="the gradient has the opposite sign")
    if np.ndim(Ek) == 2 and Ek.shape[0] == Ek.shape[1] and Ek.shape[0] > 1:
        st, rt = fit(Gk, Ek.T)
        if rt <= tol and (_is_scale(st, c) or _is_scale(-st, c)):
            return Explanation("gradient-transposed", "transposed", [k], rt, "reference", ratio=st / c,
                               description="the gradient is the exact one transposed")
    if ref is not None:
        wa = ref.bias_wrong_axis(k)
        if wa is not None and differs(wa, Ek):
            sw, rw = fit(Gk, wa)
            if rw <= tol and _is_scale(sw, c):
                return Explanation("bias-gradient-axis", "bias-wrong-axis", [k], rw, "reference",
                                   description="the bias gradient sums the delta over the units instead of "
                                               "over the samples")
    bias_like = np.ndim(Ek) <= 1 or 1 in np.shape(Ek)
    if bias_like and size > 1 and np.ptp(Gk) <= 1e-9 * np.max(np.abs(Gk)) and np.ptp(Ek) > 1e-6 * np.max(np.abs(Ek)):
        total = float(np.sum(Ek))
        return Explanation("bias-gradient-axis", "bias-collapsed", [k], 0.0, "reference",
                           ratio=float(Gk.reshape(-1)[0] / (c * total)) if total else None,
                           description="every entry of the bias gradient is the same number: the delta "
                                       "was summed over every axis into a scalar",
                           numbers={"value": float(Gk.reshape(-1)[0] / c), "sum_of_true_gradient": total})
    if rho <= tol and (size > 1 or _nice_ratio(s / c, n)) and not _is_scale(s, c) and s != 0:
        return Explanation("gradient-scale", "scale", [k], rho, "reference", ratio=s / c,
                           description="the gradient is the exact one times a constant")
    return None


def _group_ratios(explanations: dict[str, Explanation], names: list[str]) -> None:
    """Parameters with the same per-parameter sign or scale become one explanation (one finding)."""
    singles = [explanations[k] for k in names if k in explanations
               and explanations[k].cause in ("gradient-sign", "gradient-scale") and len(explanations[k].params) == 1]
    merged: list[Explanation] = []
    for e in singles:
        for m in merged:
            if m.cause == e.cause and m.ratio is not None and e.ratio is not None and \
                    abs(m.ratio - e.ratio) <= 1e-3 * max(abs(m.ratio), abs(e.ratio)):
                m.params.append(e.params[0])
                m.residual = max(m.residual, e.residual)
                explanations[e.params[0]] = m
                break
        else:
            merged.append(e)


def _step_adds(session, g) -> bool:
    """Does the model's own step add what backward returns (W += lr * g)? Then a backward returning
    -dL/dθ is a sign convention, not a bug. One step on the checked batch, undone afterwards."""
    model = session.model
    if model.step is None or model.backward is None or g.batch is None:
        return False
    from gradcheck import state

    try:
        with state.preserved(model):
            before = {k: np.array(v, dtype=np.float64) for k, v in session.params().items()}
            session.step(g.batch)
            after = session.params()
            dot = sum(float(np.sum((np.asarray(after[k], dtype=np.float64) - before[k]) * g.analytic[k]))
                      for k in g.analytic)
    except Exception:  # noqa: BLE001 - a failing step is judged by other probes
        return False
    return dot > 0


# -- the arrays alone ---------------------------------------------------------------

def _from_arrays(session, g, layers) -> PatternEvidence:
    params = session.params()
    names = _backprop_order(layers, g.order)
    c = g.scale
    explanations: dict[str, Explanation] = {}
    if c < 0:
        e = Explanation("gradient-sign", "sign-flipped", list(names), 0.0, "arrays", ratio=-1.0,
                        description="every gradient has the opposite sign (the global scale is negative)",
                        exact_form="dL/dout = output - target (then step: W -= lr * dW)")
        if not _step_adds(session, g):
            for k in names:
                explanations[k] = e
            c = -c
    convention = c < 0
    wrong = [k for k in names if not g.blocks[k].ok or k in explanations]
    correct = [k for k in names if k not in wrong]
    for k in wrong:
        if k in explanations:
            continue
        bc = g.blocks[k]
        G = g.analytic[k]
        e = _array_candidate(k, G, bc, g.loss, c, params[k])
        if e is not None:
            explanations[k] = e
    _group_ratios(explanations, names)
    return PatternEvidence("arrays", None, "", abs(c), layers, wrong, correct, explanations,
                           sign_convention=convention)


def _array_candidate(k, G, bc, family, c, arr) -> Explanation | None:
    size = int(np.size(G))
    if bc.grad_norm == 0.0:
        return Explanation("gradient-missing", "zero", [k], 0.0, "arrays")
    y = bc.numeric_dot.get(family)
    r = bc.direction
    tol = 20 * numerics.tolerance(arr)
    scale = bc.grad_norm / abs(c)
    # transposed: the check's own random direction applied to G.T (no new evaluations)
    if r is not None and y is not None and np.ndim(G) == 2 and G.shape[0] == G.shape[1] and G.shape[0] > 1:
        ana_t = float(np.sum(G.T * r))
        if abs(ana_t / c - y) <= tol * scale:
            return Explanation("gradient-transposed", "transposed", [k], abs(ana_t / c - y) / scale, "arrays",
                               ratio=1.0, description="the gradient is the true one transposed")
    entries = [e for e in bc.entries if not e.kink and abs(e.numeric) > 1e-12]
    if size > 1 and len(entries) >= 2:
        nums = np.array([e.numeric for e in entries])
        flat = np.asarray(G).reshape(-1)
        bias_like = np.ndim(G) <= 1 or 1 in np.shape(G)
        if bias_like and np.ptp(flat) <= 1e-9 * np.max(np.abs(flat)) and np.ptp(nums) > 1e-3 * np.max(np.abs(nums)):
            return Explanation("bias-gradient-axis", "bias-collapsed", [k], 0.0, "arrays",
                               description="every entry of the gradient is the same number while the true "
                                           "gradient varies: the delta was summed over every axis",
                               numbers={"value": float(flat[0] / c)})
    ratios = np.array([e.analytic / e.numeric for e in entries if abs(e.analytic) > 1e-12])
    enough = len(ratios) >= 3 or (len(ratios) >= 1 and len(ratios) == size)
    if enough:
        med = float(np.median(ratios))
        if np.all(np.abs(ratios - med) <= 2e-3 * abs(med)) and np.isfinite(med) and med != 0:
            # the direction agrees with the entries: the whole array is scaled, not just the sampled entries
            if y is None or not np.isfinite(bc.ratio) or abs(bc.ratio / c - med) <= 1e-2 * abs(med) or size <= 6:
                cause = "gradient-sign" if abs(med + 1) <= 2e-3 else "gradient-scale"
                return Explanation(cause, "sign" if cause == "gradient-sign" else "scale", [k], 0.0, "arrays",
                                   ratio=med, description="every sampled entry has the same analytic/numeric "
                                                          "ratio")
    return None
