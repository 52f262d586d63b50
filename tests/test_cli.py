"""The command line: exit codes, formats, and one-paragraph errors for bad input."""
import json
import os

import pytest
from typer.testing import CliRunner

from gradcheck.cli import app
from conftest import ROOT

FILES = os.path.join(os.path.dirname(__file__), "files")
runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args))


def test_clean_fixture_exits_0():
    r = run("run", os.path.join(ROOT, "fixtures/core/rows_mlp.py"))
    assert r.exit_code == 0, r.output
    assert "verdict: clean" in r.output


def test_seed004_forward_returns_none_exit_1():
    r = run("run", os.path.join(ROOT, "fixtures/seeds/seed004_nielsen_no_return.py"))
    assert r.exit_code == 1
    assert "1. forward-returns-none" in r.output
    assert "seed004_nielsen_no_return.py:" in r.output


def test_json_shape():
    r = run("run", os.path.join(ROOT, "fixtures/seeds/seed004_nielsen_no_return.py"), "--format", "json")
    doc = json.loads(r.stdout)
    assert doc["verdict"] == "bugs-found" and doc["gradcheck"] == "0.1.0"
    f = doc["findings"][0]
    assert set(f) >= {"cause", "severity", "confidence", "title", "evidence", "where", "fix"}
    assert f["cause"] == "forward-returns-none" and f["where"]["line"] > 0
    assert {c["name"] for c in doc["checks"]} >= {"forward", "gradients"}


@pytest.mark.parametrize("name", ["missing.py", "syntax_error.py", "no_model.py", "factory_raises.py"])
def test_bad_input_exit_2_one_paragraph_no_traceback(name):
    r = run("run", os.path.join(FILES, name))
    assert r.exit_code == 2
    assert "Traceback" not in r.output
    assert r.output.startswith("gradcheck: error:") and r.output.count("\n") == 1


def test_import_time_training_exit_2():
    r = run("run", os.path.join(FILES, "trains_at_import.py"), "--import-timeout", "0.5")
    assert r.exit_code == 2 and "__main__" in r.output


@pytest.mark.parametrize("model,cause", [
    ("raises", "code-raises"), ("returns_nan", "nan-inf"), ("wrong_shape", "output-shape"), ("hangs", "code-raises"),
    ("backward_returns_string", "bad-return"),
])
def test_misbehaving_forward_is_a_finding(model, cause):
    r = run("run", os.path.join(FILES, "bad_returns.py") + "::" + model, "--timeout", "0.5", "--format", "json")
    assert r.exit_code == 1, r.output
    doc = json.loads(r.stdout)
    assert doc["findings"][0]["cause"] == cause
    assert doc["findings"][0]["where"].get("file", "").endswith("bad_returns.py") or cause == "code-raises"


def test_several_models_all_checked():
    r = run("run", os.path.join(FILES, "uses_sibling.py"), "--format", "json")
    docs = json.loads(r.stdout)
    assert [d["target"].split("::")[1] for d in docs] == ["small", "other"]


def test_causes_and_explain():
    r = run("causes")
    assert "gradient-scale" in r.output and "forward-returns-none" in r.output
    r = run("explain", "gradient-scale")
    assert r.exit_code == 0 and "Why is this bad?" in r.output and "Use instead:" in r.output
    assert run("explain", "no-such-cause").exit_code == 2


def test_output_file_and_seed(tmp_path):
    out = tmp_path / "r.json"
    r = run("run", os.path.join(ROOT, "fixtures/core/rows_mlp.py"), "--format", "json", "--output", str(out),
            "--seed", "3")
    assert r.exit_code == 0
    assert json.loads(out.read_text())["seed"] == 3
