"""The library entry points behind the CLI, the notebook and the pytest plugin."""
from __future__ import annotations

import contextlib
import io

from gradcheck import discover, pipeline
from gradcheck.batch import BadData
from gradcheck.model import InvalidModel, Model
from gradcheck.report import Report

BAD_INPUT = (discover.DiscoveryError, pipeline.CheckImpossible, BadData, InvalidModel)
"""Exceptions that mean checking is impossible (exit code 2)."""


def check(model: Model, *, seed: int = 0, data: str | None = None, budget: float = 10.0,
          target: str | None = None, skip: tuple[str, ...] = (), quiet: bool = True,
          explore: float = 2.0) -> Report:
    """Check one ``gradcheck.Model``; the model is left exactly as it was.

    ``quiet`` hides what the user's code prints while it is being checked.
    """
    if not isinstance(model, Model):
        raise InvalidModel(f"gradcheck.check expects a gradcheck.Model, not {type(model).__name__}.")
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink) if quiet else contextlib.nullcontext():
        return pipeline.check(model, seed=seed, data=data, budget=budget, target=target, skip=skip,
                              explore=explore)


def check_file(target: str, *, seed: int = 0, data: str | None = None, budget: float = 10.0,
               import_budget: float = 20.0, skip: tuple[str, ...] = (), explore: float = 2.0) -> list[Report]:
    """Check every model in ``file.py`` (or the one in ``file.py::name``)."""
    sink = io.StringIO()
    reports = []
    with contextlib.redirect_stdout(sink):
        found = discover.find(target, budget=import_budget)
        for f in found:
            model = discover.build(f, seed=seed)
            reports.append(pipeline.check(model, seed=seed, data=data, budget=budget, target=f.target, skip=skip,
                                          explore=explore))
    return reports


def explain(cause: str) -> str | None:
    """The documentation of a cause (and of its lint rule, when there is one)."""
    from gradcheck.causes import all_causes

    c = all_causes().get(cause)
    lint_doc = None
    try:
        from gradcheck import lint

        lint_doc = lint.rule_doc(cause)
    except (ImportError, AttributeError):
        pass
    if c is None and lint_doc is None:
        return None
    parts = [f"{cause}\n{'=' * len(cause)}\n"]
    if c is not None:
        parts.append(c.doc.strip())
    if lint_doc:
        parts.append("\n## Static rule (gradcheck lint)\n" + lint_doc.strip())
    return "\n".join(parts) + "\n"
