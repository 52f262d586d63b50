"""Real reports from the fixtures, for tests of the renderers and the JSON schema.

Built once per test session: clean controls, the seeds, planted bugs in every
layout, files with several models, and models whose code misbehaves.
"""
from __future__ import annotations

import functools
import glob
import os

import numpy as np

from conftest import ROOT

FILES = os.path.join(os.path.dirname(__file__), "files")


def _planted():
    from nets import mlp

    def scale(g, *a):
        g["W1"] = g["W1"] * 0.5

    def one_entry(g, *a):
        g["W2"] = g["W2"].copy()
        g["W2"].flat[3] += 1.0

    def drop_b2(g, *a):
        g.pop("b2")

    yield "rows-clean", mlp()
    yield "sample-tanh-clean", mlp(layout="sample", hidden="tanh")
    yield "columns-scale", mlp(layout="columns", bug=scale)
    yield "rows-one-entry", mlp(bug=one_entry)
    yield "rows-missing-b2", mlp(bug=drop_b2)
    yield "relu-float32", mlp(hidden="relu", dtype=np.float32)


PATHS = sorted(os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "fixtures", "**", "*.py"),
                                                             recursive=True)
               if os.sep + "lint" + os.sep not in p  # fixtures/lint/ holds source for the static rules
               and not os.path.basename(p).startswith("_"))  # _helpers and generators define no model
PATHS += [os.path.relpath(os.path.join(FILES, n), ROOT) for n in ("uses_sibling.py", "bad_returns.py")]
"""Every fixture file, and test files with several or misbehaving models (relative to the repository)."""


@functools.lru_cache(maxsize=None)
def _check_file(path: str) -> tuple:
    from gradcheck import api

    return tuple(api.check_file(os.path.join(ROOT, path), budget=2.0))


def reports_of(path: str) -> tuple:
    """The Reports of one file of ``PATHS``; the test is skipped if the file needs a module not installed."""
    import pytest

    from gradcheck.discover import DiscoveryError

    try:
        return _check_file(path)
    except DiscoveryError as e:
        if "ModuleNotFoundError" in str(e):
            pytest.skip(f"{path} needs a module that is not installed here: {str(e).split('ModuleNotFoundError: ')[1]}")
        if "no model found" in str(e):
            pytest.skip(f"{path} defines no model (a helper module)")
        raise


def file_reports() -> tuple:
    """(path, [Report, ...]) for every file of ``PATHS`` that can be imported here."""
    out = []
    for p in PATHS:
        try:
            out.append((p, _check_file(p)))
        except Exception as e:  # noqa: BLE001 - a fixture needing an absent module, or a helper module
            if "ModuleNotFoundError" not in str(e) and "no model found" not in str(e):
                raise
    return tuple(out)


@functools.lru_cache(maxsize=None)
def planted_reports() -> tuple:
    import gradcheck

    return tuple((name, gradcheck.check(m, target=name)) for name, m in _planted())


def all_reports() -> list:
    """Every Report of the zoo."""
    return [r for _, rs in file_reports() for r in rs] + [r for _, r in planted_reports()]
