"""Assertions for tests: "the gradients are right", "the model trains", "nothing is wrong".

The helpers raise ``GradcheckFailure`` (an ``AssertionError``) whose message is
gradcheck's text diagnosis, so a failing test says what is wrong, where, with
the numbers and the fix. They work under any test runner; under pytest the
``gradcheck`` plugin adds a fixture, a marker, model collection and a summary
(see ``gradcheck.pytest_plugin``). Every helper sets ``__tracebackhide__`` so
pytest shows the test's own line, not gradcheck's.

A ``model`` argument is a ``gradcheck.Model`` or a function returning one (such
as a ``@gradcheck.register`` factory). Options, shared by every helper, the
``@pytest.mark.gradcheck(...)`` marker and the ``--gradcheck-*`` options, are
in ``DEFAULTS``.
"""
from __future__ import annotations

import contextlib
import difflib
import io
import math
import os
import sys
from typing import Any

from gradcheck.model import Model
from gradcheck.report import Report

DEFAULTS: dict[str, Any] = {"seed": 0, "timeout": 10.0, "ignore": (), "data": None, "strict": False}
"""Options of every check: ``seed`` (batches and random directions), ``timeout``
(seconds one call of the model's code may take), ``ignore`` (cause names to
leave out), ``data`` (a data file instead of the model's own ``data()``),
``strict`` (warnings fail too, not only errors)."""

_TYPES = {"seed": (int,), "timeout": (int, float), "ignore": (list, tuple, set, frozenset),
          "data": (str, os.PathLike, type(None)), "strict": (bool,)}

GRADIENT_FAMILIES = ("gradient", "shape", "forward")
"""Cause families that make ``assert_gradients`` fail: the gradient is wrong,
or the forward/backward cannot be evaluated, so it cannot be right."""

TRAINS = {"steps": 20, "batch": 32, "min_decrease": 0.05}
"""Defaults of ``assert_trains``: user steps on one fixed batch, its size, and
the relative drop of the loss that counts as training (5 %: a network that
learns at all overfits one small batch much faster than that)."""


class GradcheckFailure(AssertionError):
    """A gradcheck assertion failed; ``report`` is the diagnosis."""

    def __init__(self, message: str, report: Report | None = None):
        super().__init__(message)
        self.report = report


GradcheckFailure.__module__ = "gradcheck"  # shown as gradcheck.GradcheckFailure in test output


def options(**given: Any) -> dict[str, Any]:
    """``DEFAULTS`` updated with ``given``, validated (unknown names, types, cause names)."""
    unknown = sorted(set(given) - set(DEFAULTS))
    if unknown:
        raise TypeError(f"gradcheck got unexpected option(s) {', '.join(map(repr, unknown))}; "
                        f"valid options: {', '.join(DEFAULTS)}.")
    out = dict(DEFAULTS)
    for k, v in given.items():
        if not isinstance(v, _TYPES[k]) or (k == "seed" and isinstance(v, bool)):
            raise TypeError(f"gradcheck option {k}={v!r}: expected {' or '.join(t.__name__ for t in _TYPES[k])} "
                            f"(default {DEFAULTS[k]!r}).")
        out[k] = v
    if isinstance(out["ignore"], (list, tuple, set, frozenset)):
        out["ignore"] = tuple(out["ignore"])
        _check_cause_names(out["ignore"])
    if out["timeout"] <= 0:
        raise ValueError(f"gradcheck option timeout={out['timeout']!r}: must be a positive number of seconds.")
    return out


def _check_cause_names(names: tuple[str, ...]) -> None:
    from gradcheck.causes import all_causes

    known = all_causes()
    for n in names:
        if n not in known:
            close = difflib.get_close_matches(str(n), known, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"gradcheck option ignore: unknown cause {n!r}.{hint} `gradcheck causes` lists them.")


def as_model(model: Any) -> Model:
    """A ``Model``, or what a zero-argument factory (``@gradcheck.register``) returns."""
    if isinstance(model, Model):
        return model
    if callable(model):
        built = model()
        if isinstance(built, Model):
            if built.name is None:
                built.name = getattr(model, "__name__", None)
            return built
        raise TypeError(f"{getattr(model, '__name__', model)!r} returned {type(built).__name__}, not a "
                        "gradcheck.Model.")
    raise TypeError(f"expected a gradcheck.Model or a function returning one, not {type(model).__name__}.")


def _target(given: Any, m: Model) -> str:
    """``file.py::name`` for a factory (or a model built by one), else the model's name."""
    import inspect

    fn = given if not isinstance(given, Model) else m.factory
    try:
        path = inspect.getsourcefile(fn) if fn is not None else m.source
    except TypeError:
        path = m.source
    if not path:
        return m.label
    rel = os.path.relpath(path)
    return f"{path if rel.startswith('..') else rel}::{m.label}"


def check(model: Any, *, target: str | None = None, **opts: Any) -> Report:
    """The Report for ``model`` under these options (no assertion)."""
    o = options(**opts)
    from gradcheck import api

    m = as_model(model)
    return api.check(m, seed=o["seed"], data=None if o["data"] is None else os.fspath(o["data"]),
                     budget=float(o["timeout"]), skip=o["ignore"], target=target or _target(model, m))


def _diagnosis(report: Report) -> str:
    from gradcheck.render import text

    return text.render([report], color=False)


def _record(kind: str, report: Report | None, passed: bool, target: str, detail: str = "") -> None:
    """Tell the pytest plugin (when it is loaded) about this check, for its end-of-run summary."""
    plugin = sys.modules.get("gradcheck.pytest_plugin")
    if plugin is not None:
        plugin.record(kind=kind, report=report, passed=passed, target=target, detail=detail)


def _failing(report: Report, strict: bool) -> list:
    return [f for f in report.findings if f.severity == "error" or (strict and f.severity == "warning")]


def assert_clean(model: Any, *, target: str | None = None, **opts: Any) -> Report:
    """Fail when gradcheck finds any error (with ``strict=True``, any warning too); return the Report."""
    __tracebackhide__ = True
    o = options(**opts)
    report = check(model, target=target, **o)
    bad = _failing(report, o["strict"])
    _record("check", report, not bad, report.target)
    if bad:
        raise GradcheckFailure(f"gradcheck found {len(bad)} problem(s) in {report.target}:\n\n"
                               + _diagnosis(report), report)
    return report


def assert_gradients(model: Any, **opts: Any) -> Report:
    """Fail unless every parameter's gradient matches finite differences; return the Report.

    Fails on error findings of the gradient, shape and forward families
    (``GRADIENT_FAMILIES``), and when the gradient check could not run. The
    failure message is the diagnosis: which parameter, the worst entries,
    the fix. Findings of other families (data, initialisation, ...) do not
    fail it; ``assert_clean`` does.
    """
    __tracebackhide__ = True
    o = options(**opts)
    report = check(model, **o)
    from gradcheck.causes import all_causes

    causes = all_causes()
    bad = [f for f in _failing(report, o["strict"])
           if (causes[f.cause].family if f.cause in causes else "gradient") in GRADIENT_FAMILIES]
    status = next((c.status for c in report.checks if c.name == "gradients"), "not run")
    ok = not bad and status == "passed"
    _record("gradients", report, ok, report.target)
    if not ok:
        reasons = [f"{len(bad)} finding(s) about the gradient"] if bad else []
        if status != "passed" and not (status == "failed" and bad):
            reasons.append(f"the gradient check {status}")
        raise GradcheckFailure(f"gradcheck: the gradients of {report.target} are not correct "
                               f"({'; '.join(reasons)}):\n\n" + _diagnosis(report), report)
    return report


def loss_curve(model: Model, *, steps: int, batch: int, seed: int = 0, data: str | None = None,
               timeout: float = 10.0) -> tuple[list[float], str]:
    """The loss on one fixed batch before and after each of ``steps`` calls of the model's ``step``.

    Runs on the model's own ``data()`` (or ``data``, or the bundled MNIST
    sample); the model is restored exactly afterwards. Returns the curve and
    the loss family it was measured with.
    """
    import numpy as np

    from gradcheck import state
    from gradcheck.session import prepare

    np_state = np.random.get_state()
    try:
        with contextlib.redirect_stdout(io.StringIO()), state.preserved(model):
            np.random.seed(seed)
            session = prepare(model, seed=seed, data_path=data, budget=timeout)
            family = _loss_family(model, session)
            b = session.batch(min(batch, session.data.n))
            curve = [_loss(model, family, session.output(b), b)]
            for _ in range(steps):
                session.step(b)
                curve.append(_loss(model, family, session.output(b), b))
    finally:
        np.random.set_state(np_state)
    return curve, family


def _loss_family(model: Model, session) -> str:
    if callable(model.loss):
        return "custom"
    if model.loss != "auto":
        return model.loss
    from gradcheck import probes

    ev = probes.Evidence(session)
    try:
        ev.items["forward"] = probes.load("forward").run(session, ev)
        probes.load("gradients").run(session, ev)  # infers the loss family from the user's gradient
    except probes.ProbeSkipped:
        return "mse"
    return session.loss or "mse"


def _loss(model: Model, family: str, out, b) -> float:
    from gradcheck import losses
    from gradcheck.batch import to_layout

    if family == "custom":
        if model.layout == "sample":
            return float(sum(model.loss(o.reshape(-1, 1), y.reshape(-1, 1)) for o, y in zip(out, b.Y))) / b.n
        return float(model.loss(to_layout(out, model.layout), to_layout(b.Y, model.layout)))
    return losses.FUNCS[family](out, b.Y) / b.n


def _short(values: list[float], limit: int = 6) -> str:
    """A curve cut like numpy cuts arrays in messages: the first and last values only."""
    def f(v):
        return f"{v:.4g}"
    if len(values) <= limit:
        return "[" + ", ".join(map(f, values)) + "]"
    half = limit // 2
    return "[" + ", ".join(map(f, values[:half])) + ", ..., " + ", ".join(map(f, values[-half:])) + "]"


def assert_trains(model: Any, *, steps: int = TRAINS["steps"], batch: int = TRAINS["batch"],
                  min_decrease: float = TRAINS["min_decrease"], **opts: Any) -> Report:
    """Fail unless the model's own training step lowers the loss; return the Report.

    Uses the training curve of the report when a training probe recorded one
    (``extras["loss_curve"]["user"]``); otherwise calls the model's ``step``
    ``steps`` times on one fixed batch of ``batch`` samples (the classic
    "can it overfit one small batch" sanity check). It passes when the last
    loss is finite and at least ``min_decrease`` (relative) below the first.
    The failure message gives the curve and the full diagnosis.
    """
    __tracebackhide__ = True
    o = options(**opts)
    m = as_model(model)
    report = check(m, target=_target(model, m), **o)
    user = (report.extras.get("loss_curve") or {}).get("user") if isinstance(report.extras, dict) else None
    if isinstance(user, (list, tuple)) and len(user) >= 2:
        curve, source = [float(v) for v in user], "the training run gradcheck recorded"
    else:
        if m.step is None:
            _record("trains", report, False, report.target, "no step")
            raise GradcheckFailure(f"gradcheck: cannot tell whether {report.target} trains: the Model has no "
                                   "step. Pass Model(step=...) with the function that applies one update, as "
                                   "your training loop does.", report)
        from gradcheck.api import BAD_INPUT
        from gradcheck.session import BadReturn
        from gradcheck.usercode import UserCodeError

        try:
            curve, family = loss_curve(m, steps=steps, batch=batch, seed=o["seed"], data=o["data"],
                                       timeout=float(o["timeout"]))
        except (UserCodeError, BadReturn, *BAD_INPUT) as e:
            _record("trains", report, False, report.target, str(e))
            raise GradcheckFailure(f"gradcheck: {report.target} does not train: training it failed: {e}\n\n"
                                   + _diagnosis(report), report) from None
        source = f"{steps} calls of your step() on one batch of {batch} samples, {family} loss"
    first, last = curve[0], curve[-1]
    ok = math.isfinite(first) and math.isfinite(last) and last <= first * (1 - min_decrease)
    change = f"{first:.4g} -> {last:.4g}"
    _record("trains", report, ok, report.target, change)
    if not ok:
        what = ("the loss is not finite" if not (math.isfinite(first) and math.isfinite(last)) else
                f"the loss went from {first:.4g} to {last:.4g} "
                f"({'+' if last >= first else ''}{100 * (last - first) / abs(first or 1):.1f}%; "
                f"required: at least -{100 * min_decrease:g}%)")
        hint = ("" if report.errors else
                "  the gradients are correct, so look at the settings: the learning rate, the initial "
                "weights, the scale of the inputs\n")
        raise GradcheckFailure(f"gradcheck: {report.target} does not train: {what}\n"
                               f"  measured over {source}\n  loss: {_short(curve)}\n{hint}\n" + _diagnosis(report),
                               report)
    return report
