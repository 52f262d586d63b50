"""The docs: a generated page for every cause, never stale, and each docstring has the required sections."""
import importlib.util
import os
import re

import pytest

from conftest import ROOT
from gradcheck.causes import all_causes

_spec = importlib.util.spec_from_file_location("gen_docs", os.path.join(ROOT, "scripts", "gen_docs.py"))
gen_docs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen_docs)

SECTIONS = ("## What it does", "## Why is this bad?", "## Confidence")
"""What `gradcheck explain` must be able to say: what the cause detects, why it breaks training, how sure
gradcheck is; and how to fix it: an `## Example` with `Use instead:`, or a `## Fix` section."""


def test_every_cause_page_is_present_and_up_to_date():
    problems = gen_docs.problems()
    assert not problems, ("docs/causes/ is out of date:\n  " + "\n  ".join(problems)
                          + "\nRun `python scripts/gen_docs.py` and commit docs/causes/.")


@pytest.mark.parametrize("name", sorted(all_causes()))
def test_cause_docstring_has_the_sections_explain_prints(name):
    doc = all_causes()[name].doc
    missing = [s for s in SECTIONS if s not in doc]
    if not ("## Example" in doc and "Use instead:" in doc or "## Fix" in doc):
        missing.append("## Example with Use instead: (or ## Fix)")
    assert not missing, f"the docstring of cause {name} lacks {', '.join(missing)} (see helper_guide: causes)"
    assert doc.strip().splitlines()[0].endswith("."), f"{name}: the first line is a one-sentence summary"


def test_the_check_notices_a_stale_a_missing_and_an_orphan_page(tmp_path):
    gen_docs.write(str(tmp_path))
    assert gen_docs.problems(str(tmp_path)) == []
    causes = tmp_path / "docs" / "causes"
    first, second = sorted(all_causes())[:2]
    (causes / f"{first}.md").write_text("old text\n")
    (causes / f"{second}.md").unlink()
    (causes / "renamed-cause.md").write_text("x\n")
    assert gen_docs.problems(str(tmp_path)) == [
        f"docs/causes/{first}.md is stale (the docstring changed)", f"docs/causes/{second}.md is missing",
        "docs/causes/renamed-cause.md documents no registered cause (delete it)"]


def test_pages_are_what_explain_prints():
    from gradcheck import cause_docs

    name = sorted(all_causes())[0]
    with open(os.path.join(ROOT, "docs", "causes", f"{name}.md"), encoding="utf-8") as f:
        page = f.read()
    assert re.sub(r"<!--.*?-->\n\n", "", page) == cause_docs.page(name)


@pytest.mark.parametrize("doc", ["quickstart.md", "contract.md"])
def test_hand_written_docs_exist_and_their_commands_are_real(doc):
    with open(os.path.join(ROOT, "docs", doc), encoding="utf-8") as f:
        text = f.read()
    shell = "\n".join(re.findall(r"```bash\n(.*?)```", text, flags=re.S))
    commands = re.findall(r"^gradcheck ([a-z]+)", shell, flags=re.M) + re.findall(r"`gradcheck ([a-z]+)", text)
    assert commands
    for cmd in commands:
        assert cmd in {"run", "lint", "explain", "causes"}, cmd
    for path in re.findall(r"(fixtures/[\w/]+\.py)", text):
        assert os.path.exists(os.path.join(ROOT, path)), path


def test_the_readme_shows_a_real_run_as_printed():
    from typer.testing import CliRunner

    from gradcheck.cli import app

    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    block = re.search(r"```text\n\$ gradcheck run (\S+)\n(.*?)\n\$ echo \$\?\n(\d)\n```", readme, flags=re.S)
    assert block, "README: the pasted run (```text $ gradcheck run ...) is missing"
    path, printed, code = block.groups()
    cwd = os.getcwd()
    os.chdir(ROOT)  # the README's command runs from the repository root
    try:
        r = CliRunner().invoke(app, ["run", path])
    finally:
        os.chdir(cwd)

    def untimed(s):
        return re.sub(r"\d+\.\d+s", "_s", s).rstrip()
    assert untimed(r.stdout) == untimed(printed), "README: re-paste the output of `gradcheck run " + path + "`"
    assert r.exit_code == int(code)
