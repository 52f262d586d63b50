"""gradcheck lint: fixtures (pylint functional style), suppression comments, errors, paths."""
from __future__ import annotations

import ast
import re
import tokenize
from pathlib import Path

import pytest

from gradcheck.lint import RULES, LintError, lint_file, lint_paths, lint_source, rule_doc
from gradcheck.report import SEVERITIES, Finding

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "lint"
BAD = sorted(FIXTURES.glob("*_bad.py"))
CLEAN = sorted(set(FIXTURES.glob("*_good.py")) | set(FIXTURES.glob("clean_*.py")))
MARKER = re.compile(r"#\s*\[([a-z0-9-]+(?:\s*,\s*[a-z0-9-]+)*)\]")
SECTIONS = ("## What it does", "## Why is this bad?", "## Example", "Use instead:", "## Fix")


def expected_markers(path: Path) -> set[tuple[int, str]]:
    """``(line, cause)`` for every trailing ``# [cause, ...]`` comment."""
    out = set()
    with path.open() as fh:
        for tok in tokenize.generate_tokens(fh.readline):
            if tok.type == tokenize.COMMENT and (m := MARKER.search(tok.string)):
                out.update((tok.start[0], c.strip()) for c in m.group(1).split(","))
    return out


def found(findings: list[Finding]) -> set[tuple[int, str]]:
    return {(f.where.line, f.cause) for f in findings}


def describe(findings: list[Finding]) -> str:
    return "\n".join(f"  {f.where.line}: {f.cause}: {f.title}" for f in findings)


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.name)
def test_bad_fixture_fires_exactly_on_marked_lines(path):
    expected = expected_markers(path)
    assert expected, f"{path.name} has no # [cause] markers"
    findings = lint_file(path)
    got = found(findings)
    assert got == expected, (
        f"\nmissing: {sorted(expected - got)}\nunexpected: {sorted(got - expected)}\n{describe(findings)}")


@pytest.mark.parametrize("path", CLEAN, ids=lambda p: p.name)
def test_clean_fixture_has_no_findings(path):
    findings = lint_file(path)
    assert findings == [], describe(findings)


def test_every_rule_has_a_bad_and_a_good_fixture():
    for name in RULES:
        stem = name.replace("-", "_")
        assert (FIXTURES / f"{stem}_bad.py").exists(), name
        assert (FIXTURES / f"{stem}_good.py").exists(), name
        assert any((name in {c for _, c in expected_markers(FIXTURES / f"{stem}_bad.py")},)), name


def test_at_least_three_clean_networks():
    assert len(list(FIXTURES.glob("clean_*.py"))) >= 3


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.py")), ids=lambda p: p.name)
def test_fixtures_import_only_numpy_and_scipy_and_do_not_train_at_import(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            mods = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            mods = [node.module or ""]
        else:
            continue
        for m in mods:
            assert m.split(".")[0] in ("numpy", "scipy", "random", "__future__"), (path.name, m)
    for stmt in tree.body:  # module level: only definitions, imports, constants and the main guard
        ok = isinstance(stmt, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef, ast.Assign)) or (
            isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)) or (
            isinstance(stmt, ast.If) and "__main__" in ast.unparse(stmt.test))
        if isinstance(stmt, ast.Assign):
            ok = not any(isinstance(n, ast.Call) for n in ast.walk(stmt.value))
        assert ok, f"{path.name}:{stmt.lineno} runs code at import"


# ---------------------------------------------------------------- the registry and docs
def test_rules_are_the_designed_cause_names():
    assert set(RULES) == {
        "forward-returns-none", "positive-init", "symmetric-init", "rescaled-weights", "dead-updates",
        "update-aliasing", "softmax-axis", "nan-inf", "matrix-type", "integer-overflow", "eval-broadcast"}


@pytest.mark.parametrize("name", sorted(RULES))
def test_rule_docstring_has_the_fixed_sections(name):
    doc = rule_doc(name)
    assert doc is not None
    positions = [doc.find(s) for s in SECTIONS]
    assert all(p >= 0 for p in positions), (name, dict(zip(SECTIONS, positions)))
    assert positions == sorted(positions), f"{name}: sections out of order"
    assert RULES[name].section("Fix"), name
    assert RULES[name].severity in SEVERITIES


def test_rule_doc_unknown_is_none():
    assert rule_doc("no-such-cause") is None


def test_rule_modules_are_one_per_rule():
    modules = {r.module for r in RULES.values()}
    assert len(modules) == len(RULES)
    for name, r in RULES.items():
        assert r.module.rsplit(".", 1)[1] == name.replace("-", "_")


# ---------------------------------------------------------------- findings
def test_findings_carry_location_function_and_column():
    src = "import numpy as np\n\nclass Net:\n    def __init__(self):\n        self.W = np.asmatrix(np.zeros((2, 2)))\n"
    [f] = lint_source(src, "net.py")
    assert f.cause == "matrix-type" and f.severity == "warning"
    assert (f.where.file, f.where.line, f.where.function) == ("net.py", 5, "Net.__init__")
    assert f.evidence["col"] == 18
    assert f.title and f.fix and 0 < f.confidence <= 1
    f.to_dict()  # JSON-serialisable


def test_seed_004_names_the_variable_to_return():
    src = (FIXTURES / "seed_004_bad.py").read_text()
    [f] = [f for f in lint_source(src, "network.py") if f.cause == "forward-returns-none"]
    assert f.evidence["suggested_return"] == "a"
    assert "return a" in f.fix
    assert f.where.function == "Network.feedforward"


# ---------------------------------------------------------------- ignore comments
BUGGY = "import numpy as np\nW1 = np.asmatrix(np.random.rand(3, 3)){comment}\n"


def test_ignore_comment_for_one_cause():
    findings = lint_source(BUGGY.format(comment="  # gradcheck: ignore[matrix-type]"), "x.py")
    assert {f.cause for f in findings} == {"positive-init"}


def test_ignore_comment_for_several_causes():
    src = BUGGY.format(comment="  # gradcheck: ignore[matrix-type, positive-init]")
    assert lint_source(src, "x.py") == []


def test_bare_ignore_silences_everything_on_the_line():
    assert lint_source(BUGGY.format(comment="  # gradcheck: ignore"), "x.py") == []


def test_ignore_comment_for_another_cause_changes_nothing():
    src = BUGGY.format(comment="  # gradcheck: ignore[nan-inf]")
    assert {f.cause for f in lint_source(src, "x.py")} == {"positive-init", "matrix-type"}


def test_ignore_comment_only_applies_to_its_own_line():
    src = BUGGY.format(comment="") + "W2 = np.asmatrix(np.random.rand(3, 3))  # gradcheck: ignore\n"
    assert {f.where.line for f in lint_source(src, "x.py")} == {2}


def test_ignore_on_last_line_of_a_multiline_statement():
    src = "import numpy as np\nW1 = np.asmatrix(\n    np.eye(3))  # gradcheck: ignore[matrix-type]\n"
    assert lint_source(src, "x.py") == []


def test_ignore_text_inside_a_string_is_not_a_comment():
    src = 'import numpy as np\nW1 = np.asmatrix(np.eye(3)); s = "# gradcheck: ignore"\n'
    assert [f.cause for f in lint_source(src, "x.py")] == ["matrix-type"]


# ---------------------------------------------------------------- errors
def test_syntax_error_raises_lint_error_with_file_and_line():
    with pytest.raises(LintError) as err:
        lint_source("import numpy as np\n\ndef f(:\n    pass\n", "broken.py")
    assert err.value.file == "broken.py" and err.value.line == 3
    assert str(err.value).startswith("broken.py:3:")


def test_syntax_error_in_a_file(tmp_path):
    p = tmp_path / "bad.py"
    p.write_text("x = (\n")
    with pytest.raises(LintError, match=r"bad\.py:\d+"):
        lint_file(p)


def test_missing_file_is_a_lint_error(tmp_path):
    with pytest.raises(LintError, match="no such file"):
        lint_paths([str(tmp_path / "nope.py")])


def test_lint_error_is_not_a_syntax_error():
    assert not issubclass(LintError, SyntaxError)


def test_encoding_cookie_is_honoured(tmp_path):
    p = tmp_path / "latin.py"
    p.write_bytes(b"# -*- coding: latin-1 -*-\nimport numpy as np\n# caf\xe9\nW = np.mat(np.eye(2))\n")
    assert [f.cause for f in lint_file(p)] == ["matrix-type"]


# ---------------------------------------------------------------- paths
def test_lint_paths_walks_directories_for_python_files(tmp_path):
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "a.py").write_text("import numpy as np\nW = np.mat(np.eye(2))\n")
    (tmp_path / "pkg" / "sub" / "b.py").write_text("x = 1\n")
    (tmp_path / "pkg" / "notes.txt").write_text("W = np.mat(1)\n")
    (tmp_path / "pkg" / ".hidden").mkdir()
    (tmp_path / "pkg" / ".hidden" / "c.py").write_text("import numpy as np\nnp.mat(1)\n")
    single = tmp_path / "single.py"
    single.write_text("import numpy as np\nW1 = np.random.rand(3, 3)\n")
    result = lint_paths([str(tmp_path / "pkg"), str(single)])
    assert sorted(Path(p).name for p in result) == ["a.py", "b.py", "single.py"]
    by_name = {Path(p).name: [f.cause for f in fs] for p, fs in result.items()}
    assert by_name == {"a.py": ["matrix-type"], "b.py": [], "single.py": ["positive-init"]}


def test_lint_paths_on_the_fixture_directory():
    result = lint_paths([str(FIXTURES)])
    assert len(result) == len(list(FIXTURES.glob("*.py")))
    for path, findings in result.items():
        if Path(path).name.startswith("clean_") or path.endswith("_good.py"):
            assert findings == [], path


def test_lint_source_never_executes_the_code(tmp_path):
    marker = tmp_path / "ran"
    src = f"open({str(marker)!r}, 'w').write('x')\nimport numpy as np\nW = np.mat(1)\n"
    assert [f.cause for f in lint_source(src, "x.py")] == ["matrix-type"]
    assert not marker.exists()


# ---------------------------------------------------------------- executable docs
def _doc_blocks(doc: str) -> tuple[str, str]:
    """The ```python block under ``## Example`` and the one after ``Use instead:``."""
    example = doc.split("## Example", 1)[1]
    bad_part, good_part = example.split("Use instead:", 1)
    grab = lambda part: part.split("```python", 1)[1].split("```", 1)[0]  # noqa: E731
    return grab(bad_part), grab(good_part)


@pytest.mark.parametrize("name", sorted(RULES))
def test_rule_doc_example_fires_and_use_instead_does_not(name):
    bad, good = _doc_blocks(rule_doc(name))
    prelude = "import numpy as np\n"
    assert name in {f.cause for f in lint_source(prelude + bad, f"{name}-example.py")}, bad
    assert name not in {f.cause for f in lint_source(prelude + good, f"{name}-fixed.py")}, good


# ---------------------------------------------------------------- robustness
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

_SOURCES = [p.read_text() for p in sorted(FIXTURES.glob("*.py"))]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_SOURCES), st.data())
def test_lint_never_crashes_on_mangled_fixtures(source, data):
    lines = source.splitlines()
    drop = data.draw(st.sets(st.integers(0, max(0, len(lines) - 1)), max_size=8))
    mangled = "\n".join(line for i, line in enumerate(lines) if i not in drop) + "\n"
    try:
        findings = lint_source(mangled, "mangled.py")
    except LintError as e:
        assert e.file == "mangled.py"
        return
    for f in findings:
        assert f.cause in RULES and f.severity in SEVERITIES and f.where.line >= 1


def test_lint_never_crashes_on_the_standard_library():
    import json as json_pkg
    import unittest

    for pkg in (json_pkg, unittest):
        lint_paths([str(Path(pkg.__file__).parent)])


def test_ignore_on_a_multiline_def_header():
    src = ("import numpy as np\n\n\ndef sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n\n\n"
           "class Net:\n    def feedforward(self,\n                    a):  # gradcheck: ignore[forward-returns-none]\n"
           "        for w in self.weights:\n            a = sigmoid(w @ a)\n")
    assert lint_source(src, "x.py") == []
    assert [f.cause for f in lint_source(src.replace("# gradcheck: ignore[forward-returns-none]", ""), "x.py")] \
        == ["forward-returns-none"]
