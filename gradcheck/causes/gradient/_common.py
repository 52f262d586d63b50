"""Shared pieces of the gradient causes: failed parameters, explanations, and where the error enters."""
from __future__ import annotations

import numpy as np

from gradcheck.causes._where import fmt, user_function


def failed_blocks(ev):
    g = ev.get("gradients")
    if g is None or g.all_numeric_zero:
        return []
    return [(k, g.blocks[k]) for k in g.order if not g.blocks[k].ok]


def patterns(ev):
    """The gradient-pattern evidence, or None."""
    return ev.get("gradient_patterns")


def explanations(ev, *causes):
    """The distinct explanations of the pattern probe for ``causes``, entry param first."""
    p = patterns(ev)
    if p is None:
        return []
    return [e for e in p.groups() if e.cause in causes]


def entry_rank(ev, name) -> int:
    """Position of ``name`` among the wrong parameters going backward (0: where the error enters)."""
    wrong, _, _ = verdicts(ev)
    return wrong.index(name) if name in wrong else len(wrong)


def confidence(e, base: float) -> float:
    """``base`` for a reference match, a little less when only the arrays were compared."""
    return base if e.source == "reference" else base - 0.1


# -- layers and verdicts ------------------------------------------------------------

def layers(ev) -> list[tuple[str, str | None]]:
    """(weight, bias) per layer, input layer first (the reference mapping, else from the shapes)."""
    p = patterns(ev)
    if p is not None and p.layers:
        return list(p.layers)
    pm = ev.session.param_map() if hasattr(ev.session, "param_map") else None
    if pm is not None:
        return [(l.weight, l.bias) for l in pm.layers]
    g = ev.get("gradients")
    if g is None:
        return []
    from gradcheck.probes.gradient_patterns import _layers_from_shapes

    return _layers_from_shapes(g.order, {k: g.blocks[k].shape for k in g.order})


def backprop_order(ev) -> list[str]:
    g = ev.get("gradients")
    out = [p for w, b in reversed(layers(ev)) for p in (w, b) if p is not None]
    return out + [k for k in (g.order if g else []) if k not in out]


def verdicts(ev) -> tuple[list[str], list[str], str]:
    """(wrong, correct, source), both in backprop order: the pattern probe's when present, else the FD check's."""
    p = patterns(ev)
    if p is not None:
        return list(p.wrong), list(p.correct), p.source
    g = ev.get("gradients")
    if g is None:
        return [], [], "none"
    order = backprop_order(ev)
    return ([k for k in order if not g.blocks[k].ok], [k for k in order if g.blocks[k].ok], "finite differences")


def layer_number(ev, name) -> int | None:
    for i, (w, b) in enumerate(layers(ev), 1):
        if name in (w, b):
            return i
    return None


def join(names) -> str:
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _are(names) -> str:
    return "is" if len(list(names)) == 1 else "are"


def where_it_enters(ev, name) -> str | None:
    """The sentence that says which parameters are right and where the error enters, for the entry ``name``.

    None when ``name`` is not the first wrong parameter going backward.
    """
    wrong, correct, _ = verdicts(ev)
    if not wrong or wrong[0] != name:
        return None
    ls = layers(ev)
    l = layer_number(ev, name)
    if l is None:
        return f"{join(correct)} {_are(correct)} correct; {name} is wrong" if correct else None
    L = len(ls)
    w, b = ls[l - 1]
    here = [p for p in (w, b) if p is not None]
    bad = [p for p in here if p in wrong]
    good = [p for p in here if p not in wrong]
    later = [p for lw, lb in reversed(ls[l:]) for p in (lw, lb) if p is not None]
    earlier = [p for p in wrong if p not in here]
    if l == L:
        if not good:
            where = f"at the output delta (layer {L})"
        elif w in bad:
            where = f"in the product that forms d{w}: the output delta itself is right, since d{join(good)} {_are(good)}"
        else:
            where = f"in the sum that forms d{b}: the output delta itself is right, since d{join(good)} {_are(good)}"
    elif not good:
        where = f"where the delta is propagated from layer {l + 1} to layer {l}"
    elif w in bad:
        where = f"in the product that forms d{w}: the delta reaching layer {l} is right, since d{join(good)} {_are(good)}"
    else:
        where = f"in the sum that forms d{b}: the delta reaching layer {l} is right, since d{join(good)} {_are(good)}"
    right = later + good
    msg = f"{join(right)} {_are(right)} correct; " if right else ""
    msg += f"{join(bad)} {_are(bad)} wrong: the error enters {where}"
    if earlier:
        msg += f"; {join(earlier)}, which backprop computes after it, {_are(earlier)} wrong too"
    return msg


def where(ev, name):
    role = "backward" if ev.session.model.backward is not None else "step"
    return user_function(ev.session, role, param=name, layer=layer_number(ev, name))


def describe_ratio(r: float, n: int | None) -> str:
    """``0.5`` -> "0.5"; ``16`` -> "16 (n, the batch size)"; ``1/16`` -> "0.0625 (1/n, n=16)"."""
    named = {}
    if n and n > 2:
        named.update({float(n): "n, the batch size", 1.0 / n: f"1/n, n={n}"})
    for v, label in named.items():
        if abs(r - v) <= 1e-3 * abs(v):
            return f"{fmt(r)} ({label})"
    return fmt(r)


# -- shape errors: which ones are transposed gradients, which ones bias reductions -----

def bias_params(ev) -> set[str]:
    """Parameters that are biases, by the reference mapping of the shapes (else 1-D arrays)."""
    p = patterns(ev)
    if p is not None and p.layers:
        return {b for _, b in p.layers if b is not None}
    pm = ev.session.param_map() if hasattr(ev.session, "param_map") else None
    if pm is not None:
        return {l.bias for l in pm.layers if l.bias is not None}
    params = ev.session.params()
    try:
        from gradcheck.reference import map_params

        b = ev.session.batch(1)
        m = map_params(params, ev.session.model.layout, n_in=np.shape(b.X)[1], n_out=b.Y.shape[1])
        return {l.bias for l in m.layers if l.bias is not None}
    except Exception:  # noqa: BLE001 - shapes that map onto no network: fall back on 1-D arrays
        return {k for k, v in params.items() if np.ndim(v) == 1}


def shape_problems(ev):
    """[(param, grad_shape, param_shape, n, role)] from a backward (or step) that returned a wrong shape."""
    err = ev.failures.get("gradients")
    if getattr(err, "kind", None) != "shape" or getattr(err, "role", None) not in ("backward", "step"):
        return []
    info = err.info
    n = info.get("n")
    shapes = info.get("shapes") or ({info["param"]: (info.get("grad_shape"), info.get("param_shape"))}
                                    if info.get("param") else {})
    return [(k, tuple(gs or ()), tuple(ps or ()), n, err.role) for k, (gs, ps) in shapes.items()]


def shape_kind(ev, param, gs, ps, n) -> str | None:
    """"transposed", "bias-batch", "bias-axis", "bias-scalar" or None for a gradient of the wrong shape."""
    if len(ps) == 2 and gs == ps[::-1] and ps[0] != ps[1] and 1 not in ps:
        return "transposed"
    if param in bias_params(ev):
        size = int(np.prod(ps)) if ps else 1
        if int(np.prod(gs)) == 1 and size > 1:
            return "bias-scalar"
        if n and n > 1 and n in gs:
            return "bias-batch" if int(np.prod(gs)) == n * size else "bias-axis"
        if len(gs) <= 2 and int(np.prod(gs)) != size:
            return "bias-axis"
    return None


def summary(bc):
    return {"relative_mismatch": fmt(bc.mismatch), "ratio_along_random_direction": fmt(bc.ratio),
            "kinks_excluded": bc.kinks_excluded}


def explanation_evidence(e) -> dict:
    """The JSON-able numbers of an explanation."""
    out = {"param": e.entry, "params": list(e.params), "matched": e.candidate, "source": e.source,
           "relative_residual": float(e.residual)}
    if e.ratio is not None:
        out["ratio"] = float(e.ratio)
    out.update(e.numbers)
    return out


def enters_detail(ev, e) -> tuple[str, ...]:
    """Detail lines shared by the explained gradient findings."""
    lines = []
    s = where_it_enters(ev, e.entry)
    if s:
        lines.append(s)
    p = patterns(ev)
    if e.source == "reference" and p is not None and p.reference:
        lines.append(f"matched exactly (relative residual {fmt(e.residual)}) against the reference network "
                     f"{p.reference} fed your weights and batch")
    elif e.source == "arrays":
        lines.append("told from the arrays alone (the reference network could not reproduce your forward)")
    return tuple(lines)
