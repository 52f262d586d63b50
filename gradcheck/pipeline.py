"""``check(model) -> Report``: model -> probes -> evidence -> causes -> findings -> rank.

One direction: probes measure (never judge), causes judge evidence (never run
user code), the lint findings of the model's file join them
(``rank.corroborate``), ``rank`` orders the findings. The model is left exactly as it was
found: everything it can reach is snapshotted before and restored after, and
the parameters are verified bit for bit.
"""
from __future__ import annotations

import time
from typing import Callable

import numpy as np

from gradcheck import causes as cause_registry
from gradcheck import probes, rank, state
from gradcheck.batch import BadData
from gradcheck.model import Model
from gradcheck.report import Check, Finding, Report
from gradcheck.session import BadReturn, prepare
from gradcheck.usercode import UserCodeError


class CheckImpossible(Exception):
    """Checking cannot start (the data or the parameters are unusable): exit code 2."""


def check(model: Model, *, seed: int = 0, data: str | None = None, budget: float = 10.0,
          target: str | None = None, skip: tuple[str, ...] = (),
          progress: Callable[[str], None] | None = None, explore: float = 2.0) -> Report:
    """Run every probe and cause on ``model`` and return the ranked Report.

    Args:
        model: the user's ``gradcheck.Model``.
        seed: makes the random directions and batches reproducible.
        data: path of a data file to use instead of the model's ``data()`` or the bundled sample.
        budget: seconds one call of the user's code may take before it is stopped.
        target: label for the report (default: the model's name).
        skip: cause names to leave out (like a suppressed health check).
        progress: called with the name of each stage as it starts (for a progress display).
        explore: seconds shape exploration may take when the model can be rebuilt with other
            sizes and its own check passed (0: off).
    """
    np_state = np.random.get_state()
    report = Report(target=target or model.label, seed=seed)
    try:
        before = state.fingerprint(model.get_params())
        with state.preserved(model):
            findings, checks, notes, extras = _run(model, seed=seed, data=data, budget=budget,
                                                   progress=progress or _quiet, explore=explore)
        after = state.fingerprint(model.get_params())
    finally:
        np.random.set_state(np_state)
    if after != before:
        changed = [k for k in before if after.get(k) != before[k]]
        raise RuntimeError(f"gradcheck failed to restore parameters {changed}: please report this bug.")
    static, lint_check = lint_findings(model)
    if lint_check is not None:
        checks.append(lint_check)
    findings = rank.corroborate(findings, static)
    findings = [f for f in findings if f.cause not in skip]
    report.findings = rank.rank(findings)
    report.checks, report.notes, report.extras = checks, notes, extras
    report.headline = rank.headline(report.findings)
    return report


def _quiet(stage: str) -> None:
    pass


def lint_findings(model: Model) -> tuple[list[Finding], Check | None]:
    """The static findings of the model's file (``gradcheck.lint.lint_file``), if both exist.

    A model built in-process has no file, and gets none.
    """
    from gradcheck import lint

    path = model.source
    if not path or not str(path).endswith(".py"):
        return [], None
    t = time.perf_counter()
    try:
        found = list(lint.lint_file(path))
    except Exception as e:  # noqa: BLE001 - a lint failure must not stop the run-time check
        return [], Check("lint", "error", time.perf_counter() - t, f"{type(e).__name__}: {e}")
    return found, Check("lint", "passed", time.perf_counter() - t, f"{len(found)} finding(s)")


def _run(model: Model, *, seed: int, data: str | None, budget: float, progress: Callable[[str], None],
         explore: float = 0.0):
    checks: list[Check] = []
    t0 = time.perf_counter()
    progress("data")
    np.random.seed(seed)
    try:
        session = prepare(model, seed=seed, data_path=data, budget=budget)
    except BadData as e:
        raise CheckImpossible(str(e)) from e
    except (UserCodeError, BadReturn) as e:
        # the model's own data() failed: a finding, nothing else can run
        from gradcheck.causes.forward import code_raises

        checks.append(Check("data", "error", time.perf_counter() - t0, str(e)))
        return code_raises.from_failures({"data": e}, None), checks, [], {}
    checks.append(Check("data", "passed", time.perf_counter() - t0, f"{session.data.n} samples"))
    session.explore_seconds = explore
    evidence = probes.Evidence(session)
    for name in probes.PROBES:
        mod = probes.load(name)
        missing = [r for r in mod.REQUIRES if r not in evidence]
        if missing:
            checks.append(Check(name, "skipped", 0.0, f"needs {', '.join(missing)}"))
            continue
        t = time.perf_counter()
        progress(name)
        try:
            evidence.items[name] = mod.run(session, evidence)
            status, note = "passed", ""
        except probes.ProbeSkipped as e:
            status, note = "skipped", str(e)
        except (UserCodeError, BadReturn) as e:
            evidence.failures[name] = e
            status, note = "error", str(e)
        checks.append(Check(name, status, time.perf_counter() - t, note))
    progress("causes")
    findings = judge(evidence)
    failed = {f.cause for f in findings if f.severity == "error" and "configuration" not in f.evidence}
    explored = any(f.severity == "error" and "configuration" in f.evidence for f in findings)
    checks = [Check(c.name, "failed" if c.status == "passed" and (_probe_failed(c.name, failed) or
                                                                   (c.name == "shape_exploration" and explored))
                    else c.status, c.seconds, c.note) for c in checks]
    return findings, checks, evidence.notes, evidence.extras


# probe -> the causes judged from its evidence: the check is "failed" when one of them is an error
_PROBE_CAUSES = {
    "architecture": {"bottleneck-layer", "target-range"},
    "inputs": {"unnormalized-inputs", "integer-overflow"},
    "init": {"positive-init", "symmetric-init", "init-scale"},
    "activations": {"saturated-activations", "dead-relu"},
    "leakage": {"softmax-axis"},
}


def _probe_failed(probe: str, failed_causes: set[str]) -> bool:
    if probe == "gradients":
        return any(c.startswith("gradient-") for c in failed_causes)
    return bool(_PROBE_CAUSES.get(probe, set()) & failed_causes)


def judge(evidence: probes.Evidence) -> list[Finding]:
    """Every registered cause whose evidence is present judges it.

    A probe whose evidence carries a ``nested`` Evidence (shape exploration: the
    check of the model rebuilt at another size) has it judged the same way, for
    the gradient causes only; its findings say where they were found (the
    evidence's ``context``). A finding that does not say whether its fix was
    confirmed gets the oracle's answer (``probes.oracle.confirm``).
    """
    from gradcheck.probes import oracle

    out: list[Finding] = []
    for c in cause_registry.all_causes().values():
        if c.judge is None:
            continue
        if any(r not in evidence and r != "failures" for r in c.requires):
            continue
        out.extend(oracle.confirm(evidence, f) for f in c.judge(evidence))
    for item in list(evidence.items.values()):
        nested = getattr(item, "nested", None)
        if nested is not None:
            # only what the nested check is about: the gradient (synthetic data says nothing about the rest)
            causes = cause_registry.all_causes()
            out.extend(_in_context(f, item) for f in judge(nested)
                       if f.cause in causes and (causes[f.cause].family == "gradient" or f.cause == "gradient-shape"))
    return out


def _in_context(f: Finding, item) -> Finding:
    import dataclasses

    config = getattr(item, "failing", None) or {}
    return dataclasses.replace(
        f, detail=(item.context,) + tuple(f.detail),
        evidence={**f.evidence, "configuration": config, "default_configuration": getattr(item, "default", None)})
