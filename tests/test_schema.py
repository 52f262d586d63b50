"""Every JSON report gradcheck produces matches docs/report.schema.json (the public shape)."""
import json
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import ROOT
from gradcheck.cli import app
from gradcheck.render import json as json_render
from gradcheck.report import Check, Finding, Report, Where
from zoo import PATHS, file_reports, planted_reports, reports_of

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in the test extra: pip install -e '.[test]'")

with open(os.path.join(ROOT, "docs", "report.schema.json"), encoding="utf-8") as fh:
    SCHEMA = json.load(fh)
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def errors(doc):
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATOR.iter_errors(doc)]


def test_the_schema_is_a_valid_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("path", PATHS)
def test_reports_of_every_fixture_file_match_the_schema(path):
    reports = reports_of(path)
    doc = json.loads(json_render.render(list(reports)))
    assert errors(doc) == []
    assert isinstance(doc, list) == (len(reports) > 1)


@pytest.mark.parametrize("name", [n for n, _ in planted_reports()])
def test_reports_of_planted_bugs_match_the_schema(name):
    r = dict(planted_reports())[name]
    assert errors(json.loads(json_render.render([r]))) == []


def test_the_zoo_covers_clean_buggy_and_several_models():
    verdicts = {r.verdict for _, rs in file_reports() for r in rs} | {r.verdict for _, r in planted_reports()}
    assert {"clean", "bugs-found"} <= verdicts
    assert any(len(rs) > 1 for _, rs in file_reports())


@pytest.mark.parametrize("args", [
    ["fixtures/core/rows_mlp.py"], ["fixtures/seeds/seed004_nielsen_no_return.py"], ["tests/files/uses_sibling.py"],
])
def test_cli_json_output_matches_the_schema(args):
    r = CliRunner().invoke(app, ["run", *[os.path.join(ROOT, a) for a in args], "--format", "json"])
    assert r.exit_code in (0, 1), r.output
    assert errors(json.loads(r.stdout)) == []


def test_a_report_that_breaks_the_shape_is_rejected():
    doc = json.loads(json_render.render([dict(planted_reports())["rows-one-entry"]]))
    doc["findings"][0]["severity"] = "fatal"
    del doc["checks"]
    assert len(errors(doc)) == 2


_floats = st.floats(allow_nan=True, allow_infinity=True, width=64)
_evidence = st.dictionaries(st.text(min_size=1, max_size=8), st.one_of(
    _floats, st.integers(-10**6, 10**6), st.text(max_size=10), st.lists(_floats, max_size=4),
    st.builds(lambda xs: np.array(xs), st.lists(_floats, max_size=4)), st.booleans(), st.none()), max_size=5)
_findings = st.builds(
    Finding, cause=st.from_regex(r"[a-z]+(-[a-z]+){0,2}", fullmatch=True),
    severity=st.sampled_from(["error", "warning", "info"]),
    confidence=st.floats(-1, 2), title=st.text(min_size=1, max_size=30), fix=st.text(min_size=1, max_size=30),
    evidence=_evidence, where=st.builds(Where, param=st.none() | st.text(min_size=1, max_size=5),
                                        layer=st.none() | st.integers(0, 5), file=st.none() | st.just("m.py"),
                                        line=st.none() | st.integers(1, 500)),
    confirmed=st.none() | st.booleans())


@settings(max_examples=60, deadline=None)
@given(findings=st.lists(_findings, max_size=4), seed=st.integers(0, 2**31))
def test_any_report_renders_to_strict_json_that_matches_the_schema(findings, seed):
    r = Report(target="m.py::model", findings=findings, seed=seed,
               checks=[Check("gradients", "passed", 0.1), Check("forward", "skipped", 0.0, "why")], notes=["n"])
    text = json_render.render([r])  # allow_nan=False: raises on NaN
    assert errors(json.loads(text)) == []
