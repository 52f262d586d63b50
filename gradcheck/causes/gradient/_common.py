"""Shared pieces of the gradient causes: failed parameters and their numbers."""
from __future__ import annotations

import numpy as np

from gradcheck.causes._where import fmt, user_function


def failed_blocks(ev):
    g = ev.get("gradients")
    if g is None or g.all_numeric_zero:
        return []
    return [(k, g.blocks[k]) for k in g.order if not g.blocks[k].ok]


def where(ev, name):
    role = "backward" if ev.session.model.backward is not None else "step"
    return user_function(ev.session, role, param=name, layer=ev.session.layer_of(name))


def entry_ratios(bc):
    """analytic/numeric of the sampled entries that are not kinks and not ~0."""
    vals = [e.analytic / e.numeric for e in bc.entries
            if not e.kink and abs(e.numeric) > 1e-12 and abs(e.analytic) > 1e-12]
    return np.array(vals)


def constant_ratio(bc, tol=2e-3):
    """The constant analytic/numeric ratio of a parameter's entries, or None."""
    r = entry_ratios(bc)
    if len(r) < 3:
        return None
    med = float(np.median(r))
    if np.all(np.abs(r - med) <= tol * abs(med)):
        return med
    return None


def ok_names(ev):
    g = ev["gradients"]
    return [k for k in g.order if g.blocks[k].ok]


def summary(bc):
    return {"relative_mismatch": fmt(bc.mismatch), "ratio_along_random_direction": fmt(bc.ratio),
            "kinks_excluded": bc.kinks_excluded}
