"""SARIF 2.1.0 output of gradcheck lint: structure, levels, rules and locations."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from gradcheck.lint import RULES, lint_paths, lint_source
from gradcheck.render.sarif import render, to_sarif
from gradcheck.report import Finding, Where

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "lint"

# The parts of the SARIF 2.1.0 schema (OASIS sarif-schema-2.1.0.json) that gradcheck
# emits, with the same required keys, enums, minimums and closed property lists.
_BAG = {"type": "object"}
_MESSAGE = {"type": "object", "additionalProperties": False,
            "properties": {"text": {"type": "string"}, "markdown": {"type": "string"},
                           "id": {"type": "string"}, "arguments": {"type": "array"}, "properties": _BAG},
            "anyOf": [{"required": ["text"]}, {"required": ["id"]}]}
_MULTIFORMAT = {"type": "object", "additionalProperties": False, "required": ["text"],
                "properties": {"text": {"type": "string"}, "markdown": {"type": "string"}, "properties": _BAG}}
_LEVEL = {"enum": ["none", "note", "warning", "error"]}
_ARTIFACT_LOCATION = {"type": "object", "additionalProperties": False,
                      "properties": {"uri": {"type": "string", "format": "uri-reference"},
                                     "uriBaseId": {"type": "string"},
                                     "index": {"type": "integer", "minimum": -1},
                                     "description": _MESSAGE, "properties": _BAG}}
_REGION = {"type": "object", "additionalProperties": False,
           "properties": {"startLine": {"type": "integer", "minimum": 1},
                          "startColumn": {"type": "integer", "minimum": 1},
                          "endLine": {"type": "integer", "minimum": 1},
                          "endColumn": {"type": "integer", "minimum": 1},
                          "charOffset": {"type": "integer"}, "charLength": {"type": "integer"},
                          "byteOffset": {"type": "integer"}, "byteLength": {"type": "integer"},
                          "snippet": {"type": "object"}, "message": _MESSAGE,
                          "sourceLanguage": {"type": "string"}, "properties": _BAG}}
_LOCATION = {"type": "object", "additionalProperties": False, "properties": {
    "id": {"type": "integer"},
    "physicalLocation": {"type": "object", "additionalProperties": False,
                         "properties": {"address": {"type": "object"}, "artifactLocation": _ARTIFACT_LOCATION,
                                        "region": _REGION, "contextRegion": _REGION, "properties": _BAG},
                         "anyOf": [{"required": ["address"]}, {"required": ["artifactLocation"]}]},
    "logicalLocations": {"type": "array", "items": {
        "type": "object", "additionalProperties": False,
        "properties": {"name": {"type": "string"}, "index": {"type": "integer"},
                       "fullyQualifiedName": {"type": "string"}, "decoratedName": {"type": "string"},
                       "parentIndex": {"type": "integer"}, "kind": {"type": "string"}, "properties": _BAG}}},
    "message": _MESSAGE, "annotations": {"type": "array"}, "relationships": {"type": "array"},
    "properties": _BAG}}
_RULE = {"type": "object", "additionalProperties": False, "required": ["id"], "properties": {
    "id": {"type": "string"}, "deprecatedIds": {"type": "array"}, "guid": {"type": "string"},
    "deprecatedGuids": {"type": "array"}, "name": {"type": "string"}, "deprecatedNames": {"type": "array"},
    "shortDescription": _MULTIFORMAT, "fullDescription": _MULTIFORMAT, "messageStrings": {"type": "object"},
    "defaultConfiguration": {"type": "object", "additionalProperties": False, "properties": {
        "enabled": {"type": "boolean"}, "level": _LEVEL, "rank": {"type": "number"},
        "parameters": _BAG, "properties": _BAG}},
    "helpUri": {"type": "string"}, "help": _MULTIFORMAT, "relationships": {"type": "array"},
    "properties": _BAG}}
_RESULT = {"type": "object", "required": ["message"], "properties": {
    "ruleId": {"type": "string"}, "ruleIndex": {"type": "integer", "minimum": -1},
    "level": _LEVEL, "message": _MESSAGE,
    "locations": {"type": "array", "items": _LOCATION}, "properties": _BAG}}
SARIF_SUBSET = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object", "required": ["version", "runs"], "additionalProperties": False,
    "properties": {
        "$schema": {"type": "string", "format": "uri"},
        "version": {"enum": ["2.1.0"]},
        "runs": {"type": "array", "items": {
            "type": "object", "required": ["tool"],
            "properties": {
                "tool": {"type": "object", "required": ["driver"], "additionalProperties": False,
                         "properties": {"driver": {
                             "type": "object", "required": ["name"],
                             "properties": {"name": {"type": "string"}, "version": {"type": "string"},
                                            "semanticVersion": {"type": "string"},
                                            "informationUri": {"type": "string", "format": "uri"},
                                            "rules": {"type": "array", "items": _RULE}}},
                             "extensions": {"type": "array"}, "properties": _BAG}},
                "invocations": {"type": "array", "items": {
                    "type": "object", "required": ["executionSuccessful"],
                    "properties": {"executionSuccessful": {"type": "boolean"}}}},
                "columnKind": {"enum": ["utf16CodeUnits", "unicodeCodePoints"]},
                "originalUriBaseIds": {"type": "object", "additionalProperties": _ARTIFACT_LOCATION},
                "results": {"type": "array", "items": _RESULT},
            }}},
        "properties": _BAG,
    },
}


def _log(findings_by_file) -> dict:
    return json.loads(render(findings_by_file))


@pytest.fixture(scope="module")
def fixture_log():
    return _log(lint_paths([str(FIXTURES)]))


def test_schema_subset_validates_the_fixture_run(fixture_log):
    jsonschema.validate(fixture_log, SARIF_SUBSET, format_checker=jsonschema.FormatChecker())


def test_empty_input_is_a_valid_log_with_all_rules():
    log = _log({})
    jsonschema.validate(log, SARIF_SUBSET)
    run = log["runs"][0]
    assert run["results"] == []
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} == set(RULES)


def test_driver_and_rules(fixture_log):
    driver = fixture_log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "gradcheck"
    rules = {r["id"]: r for r in driver["rules"]}
    assert set(RULES) <= set(rules)
    for name, rule in RULES.items():
        d = rules[name]
        assert "## What it does" in d["help"]["markdown"]
        assert "What it does" in d["help"]["text"] and "## " not in d["help"]["text"]
        assert d["shortDescription"]["text"] == rule.summary
        assert d["fullDescription"]["text"]
        assert d["defaultConfiguration"]["level"] == {"error": "error", "warning": "warning", "info": "note"}[rule.severity]


def test_results_match_findings(fixture_log):
    findings = lint_paths([str(FIXTURES)])
    run = fixture_log["runs"][0]
    results = run["results"]
    assert len(results) == sum(len(v) for v in findings.values()) > 0
    rules = run["tool"]["driver"]["rules"]
    for res in results:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["level"] in ("error", "warning", "note")
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"].endswith(".py")
        assert loc["region"]["startLine"] >= 1 and loc["region"]["startColumn"] >= 1
        assert res["message"]["text"]


def test_levels_map_from_severities():
    f = [Finding("nan-inf", sev, 0.5, "t", "f", where=Where(file="a.py", line=1)) for sev in ("error", "warning", "info")]
    levels = [r["level"] for r in _log({"a.py": f})["runs"][0]["results"]]
    assert levels == ["error", "warning", "note"]


def test_location_line_and_column_from_the_finding():
    src = "import numpy as np\n\n\nW = np.mat(np.eye(2))\n"
    log = _log({"pkg/model.py": lint_source(src, "pkg/model.py")})
    [res] = log["runs"][0]["results"]
    loc = res["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": "pkg/model.py", "uriBaseId": "%SRCROOT%"}
    assert loc["region"] == {"startLine": 4, "startColumn": 5}
    assert res["ruleId"] == "matrix-type" and res["level"] == "warning"


def test_columns_count_characters_not_bytes():
    src = "import numpy as np\nx = 'é'; W = np.mat(np.eye(2))\n"
    [res] = _log({"m.py": lint_source(src, "m.py")})["runs"][0]["results"]
    assert res["locations"][0]["physicalLocation"]["region"]["startColumn"] == 14


def test_uris_are_encoded_and_absolute_paths_become_file_uris(tmp_path):
    rel = Finding("matrix-type", "warning", 0.9, "t", "f", where=Where(file="my dir/net.py", line=2))
    absolute = Finding("matrix-type", "warning", 0.9, "t", "f", where=Where(file=str(tmp_path / "n.py"), line=2))
    results = _log({"x": [rel, absolute]})["runs"][0]["results"]
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results]
    assert uris[0] == "my%20dir/net.py"
    assert uris[1].startswith("file://") and uris[1].endswith("/n.py")


def test_a_finding_without_a_line_has_no_region():
    f = Finding("gradient-scale", "error", 0.9, "scaled", "divide by n", where=Where(file="m.py"))
    log = _log({"m.py": [f]})
    jsonschema.validate(log, SARIF_SUBSET)
    [res] = log["runs"][0]["results"]
    assert "region" not in res["locations"][0]["physicalLocation"]
    assert "gradient-scale" in {r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]}


def test_to_sarif_and_render_agree():
    findings = {"m.py": lint_source("import numpy as np\nW = np.mat(1)\n", "m.py")}
    assert json.loads(render(findings)) == json.loads(json.dumps(to_sarif(findings)))
