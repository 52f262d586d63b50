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


@functools.lru_cache(maxsize=None)
def file_reports() -> tuple:
    """(path, [Report, ...]) for every fixture file and test file with models."""
    from gradcheck import api

    paths = sorted(glob.glob(os.path.join(ROOT, "fixtures", "**", "*.py"), recursive=True))
    paths += [os.path.join(FILES, n) for n in ("uses_sibling.py", "bad_returns.py")]
    out = []
    for p in paths:
        out.append((os.path.relpath(p, ROOT), tuple(api.check_file(p, budget=2.0))))
    return tuple(out)


@functools.lru_cache(maxsize=None)
def planted_reports() -> tuple:
    import gradcheck

    return tuple((name, gradcheck.check(m, target=name)) for name, m in _planted())


def all_reports() -> list:
    """Every Report of the zoo."""
    return [r for _, rs in file_reports() for r in rs] + [r for _, r in planted_reports()]
