"""The library entry points behind the CLI, the notebook and the pytest plugin."""
from __future__ import annotations

import contextlib
import io
from typing import Callable

from gradcheck import discover, pipeline
from gradcheck.batch import BadData
from gradcheck.model import InvalidModel, Model
from gradcheck.report import Report

BAD_INPUT = (discover.DiscoveryError, pipeline.CheckImpossible, BadData, InvalidModel)
"""Exceptions that mean checking is impossible (exit code 2)."""


def check(model: Model, *, seed: int = 0, data: str | None = None, budget: float = 10.0,
          target: str | None = None, skip: tuple[str, ...] = (), quiet: bool = True,
          progress: Callable[[str], None] | None = None, explore: float = 2.0) -> Report:
    """Check one ``gradcheck.Model``; the model is left exactly as it was.

    ``quiet`` hides what the user's code prints while it is being checked;
    ``progress`` is called with each stage's name (see ``gradcheck.progress``);
    ``explore`` is the time budget of shape exploration in seconds (0: off).
    """
    if not isinstance(model, Model):
        raise InvalidModel(f"gradcheck.check expects a gradcheck.Model, not {type(model).__name__}.")
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink) if quiet else contextlib.nullcontext():
        return pipeline.check(model, seed=seed, data=data, budget=budget, target=target, skip=skip,
                              progress=progress, explore=explore)


def check_file(target: str, *, seed: int = 0, data: str | None = None, budget: float = 10.0,
               import_budget: float = 20.0, skip: tuple[str, ...] = (),
               progress: Callable[[str], None] | None = None, explore: float = 2.0) -> list[Report]:
    """Check every model in ``file.py`` (or the one in ``file.py::name``).

    ``progress`` is called with ``"target: stage"`` as each stage starts.
    """
    say = progress or (lambda stage: None)
    sink = io.StringIO()
    reports = []
    with contextlib.redirect_stdout(sink):
        say(f"{target}: import")
        found = discover.find(target, budget=import_budget)
        for f in found:
            say(f"{f.target}: build")
            model = discover.build(f, seed=seed)
            reports.append(pipeline.check(model, seed=seed, data=data, budget=budget, target=f.target, skip=skip,
                                          progress=lambda stage, t=f.target: say(f"{t}: {stage}"),
                                          explore=explore))
    return reports


def explain(cause: str) -> str | None:
    """The documentation page of a cause (Markdown; with its lint rule, when there is one), or None."""
    from gradcheck import cause_docs as pages

    return pages.page(cause)
