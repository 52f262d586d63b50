"""The network does not learn in a short training run, and the reference says why.

## What it does
Trains the user's own model (its own ``step``) and a correct reference network
holding the same initial weights, with the same learning rate, side by side on
the same batches: 200 steps of 10 samples, accuracy measured on held-out data
(probe ``oracle``). Reported when the user's model does not learn, with the
verdict:

- **code**: the reference learns and the user's model does not. The finding
  points at the first quantity that differs from the reference (the forward
  output, the gradient of a parameter, the update), and says whether the user's
  model learns with the correct gradient in place of its backward, or with plain
  SGD on its own gradient in place of its step.
- **settings**: neither learns. Single changes are tried on the reference (inputs
  scaled to [0, 1], fan-in initialisation, the learning rate x10 or /10, a
  standard learning rate, a wider hidden layer), then together; the change that
  makes it learn is tried on the user's own model.
- **code and settings**: a change makes the reference learn but not the user's
  model.

This is the summary of the other findings: a specific cause (a wrong gradient,
unnormalised inputs, ...) ranks above it, and this finding carries the
evidence that its fix works.

## Why is this bad?
A network that stays at chance after thousands of samples will not be rescued by
more epochs. Knowing whether the code or the settings stop it halves the search:
a correct network with the same weights and settings is the control experiment.

## Example
```python
d1 = ((Y - p) / n @ W2.T) * h * (1 - h)    # hidden error with the other sign convention
```

Use instead:
```python
d1 = ((p - Y) / n @ W2.T) * h * (1 - h)
```

## Confidence
Code: 0.6 + 0.3 x min(1, gap / 0.6), where gap is the reference's accuracy gain
over chance minus the user's (``(acc - chance) / (1 - chance)``); +0.1 (at most
0.97) when the correct gradient (or plain SGD) makes the user's own model learn (confirmed),
x0.7 when it was tried and did not; x0.8 when the user's forward matches no
standard network (the reference is then only the closest one).
Settings: 0.9 when the change made the user's own model learn (confirmed), 0.7
when it could only be tried on the reference (a wider layer), 0.5 when no change
helped or the user's model did not follow the reference.

Severity: error when the user's model never gets 0.1 above chance (19 % on ten
classes), except for a settings verdict that only needs another learning rate,
or that no change explains: a warning (the runs' batch size is gradcheck's
choice, and more steps may get there). A model that learns, but slowly (gain
below 0.35), gets a warning for a code verdict and no finding for a settings
one. A model without a step is trained at a learning rate gradcheck chose, so a
verdict that only needs another one is not reported. When another cause reports
an error, this finding becomes information that backs it (the ranking does
that: ``rank.SUMMARIES``).
"""
from gradcheck.causes import cause
from gradcheck.causes._where import fmt, user_function
from gradcheck.oracle import runs
from gradcheck.oracle.diagnosis import key
from gradcheck.report import Finding, Where


SETTLED = ("scaled-inputs", "fan-in-init", "wider-hidden")
"""Changes whose effect does not depend on the batch size or the number of steps: a settings verdict
that needs one of them is an error; one that only needs another learning rate is a warning (the
runs' batches of 10 are gradcheck's choice, and a summed gradient's step grows with the batch)."""


def _pct(x) -> str:
    return "n/a" if x is None else f"{100 * x:.0f} %"


def _role(kind: str, session) -> str:
    if kind == "forward":
        return "forward"
    if kind == "update" or session.model.backward is None:
        return "step"
    return "backward"


def first_difference(o, session) -> tuple[str, Where, str]:
    """(phrase, where, fix) for the differential's first differing quantity ("" when none)."""
    q = o.differential.first
    if q is None:
        return "", Where(), ""
    where = user_function(session, _role(q.kind, session), param=None if q.kind == "forward" else q.name,
                          layer=q.layer)
    if q.kind == "forward":
        return (f"first at {q.describe()} ({q.note})", where,
                "make the forward pass a standard network (see forward-mismatch)")
    if q.kind == "gradient":
        extra = (f"; it is the '{q.variant}' mistake" if q.variant else
                 f"; {fmt(q.ratio)} x the correct one" if abs(q.cosine) > 0.999 else "")
        return (f"first at {q.describe()} (relative difference {fmt(q.rel_error)}{extra})", where,
                f"re-derive the gradient of {q.name}: it is the first one that differs from the correct gradient")
    return (f"first at {q.describe()}: {q.note}", where,
            "make the step plain gradient descent, `param -= lr * grad`, for every parameter")


def _code(o, session, d, gain_reference: float):
    """Title tail, where, fix, confidence, confirmed, detail lines for a code verdict."""
    phrase, where, fix = first_difference(o, session)
    tries = [t for t in d.fixes.values() if ("reference-gradient" in t.change or "plain-sgd" in t.change)
             and t.applied]
    confirmed = any(t.learns for t in tries) if tries else None
    conf = 0.6 + 0.3 * min(1.0, max(0.0, gain_reference - d.user.gain) / 0.6)
    if confirmed:
        conf = min(0.97, conf + 0.1)
    elif confirmed is False:
        conf *= 0.7
    if not o.matched:
        conf *= 0.8
    tail = f", {phrase}" if phrase else ""
    # plain SGD on the user's own gradient replaces less of the code: prefer it when it learns
    good = sorted((t for t in tries if t.learns), key=lambda t: ("plain-sgd" not in t.change, -t.gain))
    if good:
        if "plain-sgd" in good[0].change:
            fix = "make the step plain gradient descent, `param -= lr * grad` (your backward is right)"
        tail += f"; with {good[0].text}, your own model reaches {good[0].summary()}"
    lines = [f"with {t.text}, your own model reaches {t.summary()}" for t in tries]
    return tail, where, fix, conf, confirmed, lines


def _settings(d):
    """Title, fix, confidence, confirmed, detail lines for a settings verdict."""
    user, ref = d.user, d.reference
    if ref.learns:  # both learn, slowly: the verdict needs a clear gap to blame the code
        head = (f"your model ({_pct(user.final_accuracy)}) and a correct network with the same weights and "
                f"settings ({_pct(ref.final_accuracy)}) both learn slowly in {user.final_step} steps")
    else:
        head = (f"neither your model ({_pct(user.final_accuracy)}) nor a correct network with the same weights "
                f"and settings ({_pct(ref.final_accuracy)}) learns in {user.final_step} steps")
    if d.best is None:
        tried = "; ".join(f"{t.text}: {t.summary()}" for t in d.counterfactuals.values())
        return (head + ", and no change we tried makes the correct one learn",
                "check the data and the targets: no change of inputs, initialisation, learning rate or width "
                "made a correct network learn", 0.5, None, [f"tried on the reference: {tried}"] if tried else [])
    text = d.describe(d.best)
    cf = d.counterfactuals[key(d.best)]
    title = f"{head}: the settings stop it; with {text} the correct one reaches {_pct(cf.accuracy)}"
    lines = []
    fix = d.fixes.get(key(d.best))
    if fix is not None and fix.applied:
        title += (f", and your own model {_pct(fix.accuracy)}" if fix.learns
                  else f", but your own model only {_pct(fix.accuracy)}")
        conf, confirmed = (0.9, True) if fix.learns else (0.5, False)
    elif any(n in runs.REFERENCE_ONLY for n in d.best):
        conf, confirmed = 0.7, None
        lines.append("a wider hidden layer cannot be tried on your own model: the reference's result stands in")
    else:
        conf, confirmed = 0.6, None
    for part, need in d.needed.items():
        rest = key(tuple(n for n in d.best if n != part))
        if rest in d.counterfactuals:
            lines.append(f"without {runs.CHANGES[part]}: {d.counterfactuals[rest].summary()}"
                         + (" (needed)" if need else " (not needed)"))
    others = [t for t in d.fixes.values() if t.change != d.best and t.applied]
    lines += [f"with {t.text}, your own model reaches {t.summary()}" for t in others]
    return title, f"use {text}", conf, confirmed, lines


@cause("training-fails", requires=("oracle",))
def judge(ev):
    o = ev["oracle"]
    d = o.diagnosis
    if d is None or d.verdict == "ok":
        return []
    user, ref = d.user, d.reference
    lines = [f"side by side, {runs.BATCH} samples a step, held-out accuracy: yours {user.summary()}, "
             f"reference {ref.summary()} (chance {_pct(user.chance)})",
             f"reference: {o.wiring.describe()}, learning rate {fmt(d.plan.lr)} "
             f"({d.plan.lr_note or 'from ' + o.differential.lr_source})"]
    where = Where()
    if d.verdict == "code":
        tail, where, fix, conf, confirmed, more = _code(o, ev.session, d, ref.gain)
        title = (f"your model stays at {_pct(user.final_accuracy)} after {user.final_step} steps while a correct "
                 f"network with the same weights and learning rate reaches {_pct(ref.final_accuracy)}: "
                 f"the code is wrong{tail}")
        severity = "error" if user.stuck else "warning"
    elif d.verdict == "code+settings":
        cf, mine = d.counterfactuals[key(d.best)], d.fixes[key(d.best)]
        tail, where, fix, conf, confirmed, more = _code(o, ev.session, d, cf.gain)
        title = (f"with {d.describe(d.best)} a correct network with your weights reaches {_pct(cf.accuracy)} "
                 f"but your model stays at {_pct(mine.accuracy)}: the settings and the code both stop it{tail}")
        fix = f"use {d.describe(d.best)}, and {fix}" if fix else f"use {d.describe(d.best)}"
        severity = "error" if user.stuck else "warning"
    else:
        settled = d.best is not None and any(n in SETTLED for n in d.best)
        if not user.stuck or (not settled and ev.session.model.step is None):
            return []  # it learns, slowly; or only a learning rate (of gradcheck's choosing: no step) is in question
        title, fix, conf, confirmed, more = _settings(d)
        severity = "error" if settled else "warning"
        if o.differential.first is not None:
            more.append(f"your network also differs from the reference, {first_difference(o, ev.session)[0]}")
    lines += more + d.notes
    evidence = {
        "verdict": d.verdict, "steps": user.final_step, "user_accuracy": user.final_accuracy,
        "reference_accuracy": ref.final_accuracy, "chance": user.chance, "learning_rate": o.differential.lr,
        "counterfactuals": {k: t.accuracy for k, t in d.counterfactuals.items()},
        "fixes": {k: t.accuracy for k, t in d.fixes.items()},
        "fix_change": key(d.best) if d.best else None,
    }
    q = o.differential.first
    if q is not None:
        evidence["first_difference"] = {"kind": q.kind, "name": q.name, "layer": q.layer,
                                        "relative_difference": q.rel_error, "variant": q.variant}
    if not fix:
        fix = ("compare your backward and your step with plain gradient descent on the correct gradient, "
               "which trains this network from the same weights")
    return [Finding(cause="training-fails", severity=severity, confidence=conf, title=title, fix=fix,
                    evidence=evidence, where=where, detail=tuple(lines), confirmed=confirmed)]
