"""`gradcheck run` folds the lint findings of the model's file into its ranking."""
import os
import sys
import types

import pytest

import gradcheck
from conftest import ROOT
from gradcheck import api, rank
from gradcheck.report import Finding, Where

SEED001 = os.path.join(ROOT, "fixtures", "seeds", "seed001_eval_broadcast.py")


def lint_finding(cause, line, severity="error", confidence=0.8, path=SEED001):
    return Finding(cause=cause, severity=severity, confidence=confidence, title=f"{cause} from the source",
                   fix="fix it", evidence={"col": 5}, where=Where(file=path, line=line))


def runtime_finding(cause, confidence=0.85):
    return Finding(cause=cause, severity="error", confidence=confidence, title=f"{cause} observed",
                   fix="fix it", where=Where(file=SEED001, line=71))


def test_same_cause_is_one_finding_the_runtime_one_more_confident():
    out = rank.corroborate([runtime_finding("eval-broadcast")], [lint_finding("eval-broadcast", 71)])
    (f,) = out
    assert f.title == "eval-broadcast observed"
    assert f.confidence == pytest.approx(1 - 0.15 * (1 - rank.LINT_WEIGHT * 0.8))
    assert any(d.startswith("lint agrees:") and ":71:5" in d for d in f.detail)
    assert f.evidence["lint"][0]["line"] == 71


def test_lint_only_causes_are_kept_with_their_severity_one_per_cause():
    out = rank.corroborate([], [lint_finding("positive-init", 90, "warning", 0.7),
                                lint_finding("positive-init", 95, "warning", 0.7)])
    (f,) = out
    assert f.severity == "warning" and f.where.line == 90 and f.confidence == 0.7
    assert any("also at" in d and ":95" in d for d in f.detail)


@pytest.fixture
def fake_lint(monkeypatch):
    calls = []

    def lint_file(path):
        calls.append(path)
        return [lint_finding("eval-broadcast", 71, path=path), lint_finding("positive-init", 80, "warning", 0.6,
                                                                             path=path)]

    mod = types.ModuleType("gradcheck.lint")
    mod.lint_file = lint_file
    monkeypatch.setitem(sys.modules, "gradcheck.lint", mod)
    monkeypatch.setattr(gradcheck, "lint", mod, raising=False)
    return calls


def test_run_includes_the_files_lint_findings(fake_lint):
    (r,) = api.check_file(SEED001)
    assert fake_lint == [os.path.abspath(SEED001)]
    assert r.causes().count("eval-broadcast") == 1
    top = r.findings[0]
    assert top.cause == "eval-broadcast" and "lint" in top.evidence and top.confidence > 0.85
    assert any(f.cause == "positive-init" and f.severity == "warning" for f in r.findings)
    assert any(c.name == "lint" and c.status == "passed" for c in r.checks)


def test_in_process_model_is_not_linted(fake_lint):
    import nets

    api.check(nets.mlp())
    assert fake_lint == []
