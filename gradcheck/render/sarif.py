"""SARIF 2.1.0 output for ``gradcheck lint``: findings by file -> one SARIF log.

SARIF is the format code-scanning services (GitHub, GitLab, VS Code's SARIF
viewer) read. One run, tool ``gradcheck``; one rule per cause (the lint rules,
plus any other cause a finding reports), each with the rule's documentation as
its help text; one result per finding with its level, message and location.

    render({"net.py": [Finding, ...]}) -> str     # JSON text
    to_sarif(...) -> dict                          # the same, as a dict
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path, PurePath
from typing import Any, Mapping, Sequence
from urllib.parse import quote

from gradcheck.report import VERSION, Finding

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/gradcheck/gradcheck"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def render(findings_by_file: Mapping[str, Sequence[Finding]]) -> str:
    """The SARIF log for these findings, as indented JSON text."""
    return json.dumps(to_sarif(findings_by_file), indent=2, ensure_ascii=False) + "\n"


def to_sarif(findings_by_file: Mapping[str, Sequence[Finding]]) -> dict[str, Any]:
    rules = _rules(findings_by_file)
    index = {r["id"]: i for i, r in enumerate(rules)}
    results = []
    for path, findings in findings_by_file.items():
        for f in findings:
            results.append(_result(path, f, index[f.cause]))
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "gradcheck",
                "version": VERSION,
                "semanticVersion": VERSION,
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }},
            "invocations": [{"executionSuccessful": True}],
            "columnKind": "unicodeCodePoints",
            "originalUriBaseIds": {"%SRCROOT%": {"description": {
                "text": "The directory gradcheck ran in; relative file paths start there."}}},
            "results": results,
        }],
    }


def _result(path: str, f: Finding, rule_index: int) -> dict[str, Any]:
    file = f.where.file or path
    physical: dict[str, Any] = {"artifactLocation": _artifact(file)}
    if f.where.line:
        region: dict[str, Any] = {"startLine": int(f.where.line)}
        col = f.evidence.get("col")
        if isinstance(col, int) and col >= 1:
            region["startColumn"] = col
        physical["region"] = region
    location: dict[str, Any] = {"physicalLocation": physical}
    if f.where.function:
        location["logicalLocations"] = [{"fullyQualifiedName": f.where.function, "kind": "function"}]
    evidence = {k: v for k, v in f.to_dict()["evidence"].items() if k not in ("col", "code")}
    return {
        "ruleId": f.cause,
        "ruleIndex": rule_index,
        "level": LEVELS[f.severity],
        "message": {"text": f"{f.title}. Fix: {f.fix}" if f.fix else f.title},
        "locations": [location],
        "properties": {"confidence": round(f.confidence, 3), "fix": f.fix, "evidence": evidence},
    }


def _artifact(file: str) -> dict[str, Any]:
    p = PurePath(file)
    if p.is_absolute():
        return {"uri": Path(file).as_uri()}
    posix = PurePath(os.path.normpath(file)).as_posix()
    return {"uri": quote(posix), "uriBaseId": "%SRCROOT%"}


def _rules(findings_by_file: Mapping[str, Sequence[Finding]]) -> list[dict[str, Any]]:
    from gradcheck.lint import RULES

    causes = dict.fromkeys(sorted(RULES))
    for findings in findings_by_file.values():
        for f in findings:
            causes.setdefault(f.cause)
    out = []
    for name in causes:
        r = RULES.get(name)
        doc = r.doc if r is not None else _cause_doc(name)
        summary = doc.strip().splitlines()[0] if doc.strip() else name
        what = _section(doc, "What it does") or summary
        descriptor: dict[str, Any] = {
            "id": name,
            "name": "".join(part.capitalize() for part in name.split("-")),
            "shortDescription": {"text": summary},
            "fullDescription": {"text": what},
            "help": {"text": _plain(doc) or summary, "markdown": doc.strip() or summary},
        }
        if r is not None:
            descriptor["defaultConfiguration"] = {"level": LEVELS[r.severity]}
        out.append(descriptor)
    return out


def _cause_doc(name: str) -> str:
    """Documentation of a run-time cause (for findings that did not come from lint)."""
    try:
        from gradcheck.causes import all_causes

        c = all_causes().get(name)
        return c.doc if c is not None else ""
    except Exception:  # the run-time registry is optional for SARIF output
        return ""


def _section(doc: str, title: str) -> str:
    out, inside = [], False
    for line in doc.splitlines():
        if line.startswith("## "):
            inside = line[3:].strip().lower() == title.lower()
            continue
        if inside:
            out.append(line)
    return " ".join(" ".join(out).split())


def _plain(doc: str) -> str:
    """The docstring without Markdown headings' hashes and code fences."""
    text = re.sub(r"^## ", "", doc.strip(), flags=re.MULTILINE)
    return re.sub(r"^```\w*\n?", "", text, flags=re.MULTILINE)
