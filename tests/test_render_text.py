"""The text report: headline, ranked causes, what/where/numbers/fix; colour and progress only on a terminal."""
import io
import json
import os
import re
import time

import pytest
from typer.testing import CliRunner

from conftest import ROOT
from gradcheck import cli
from gradcheck.progress import Progress
from gradcheck.render import text
from zoo import planted_reports, reports_of

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
SEED003 = os.path.join(ROOT, "fixtures/seeds/seed003_momentum_on_weights.py")


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_finding_reads_what_where_numbers_fix():
    r = dict(planted_reports())["columns-scale"]
    out = text.render([r])
    lines = out.splitlines()
    assert lines[0].startswith("gradcheck 0.1.0: columns-scale") and "(seed 0)" in lines[0]
    assert lines[1] == r.headline
    i = lines.index("1. gradient-scale  [error, confidence 0.90]")
    assert lines[i + 1].startswith("   --> param W1, layer 1 (") and "nets.py:" in lines[i + 1]
    assert "0.5" in lines[i + 2]  # the number
    assert any(l.startswith("   fix: ") and "multiply it by 2" in l for l in lines[i:])
    assert "   docs: gradcheck explain gradient-scale" in lines
    assert lines[-1] == "verdict: bugs-found (1 error, 0 warnings)"


def test_several_findings_get_a_ranked_table_first():
    r = reports_of("fixtures/seeds/seed003_momentum_on_weights.py")[0]
    assert len(r.findings) >= 2
    out = text.render([r])
    table = out.index("Likely causes, most likely first")
    assert table < out.index("1. " + r.findings[0].cause + "  [")
    rows = out[table:].splitlines()[1:len(r.findings) + 1]
    assert [row.split()[1] for row in rows] == [f.cause for f in r.findings]
    assert rows[0].split()[2:4] == [r.findings[0].severity, f"{r.findings[0].confidence:.2f}"]


def test_several_models_end_with_one_line_over_all():
    rs = reports_of("tests/files/bad_returns.py")
    out = text.render(list(rs))
    assert out.rstrip().splitlines()[-1] == f"{len(rs)} models checked: {len(rs)} with errors, 0 with warnings, 0 clean"


def test_plain_text_has_no_colour_codes_and_colour_has_them():
    r = dict(planted_reports())["columns-scale"]
    assert not ANSI.search(text.render([r], color=False))
    coloured = text.render([r], color=True)
    assert ANSI.search(coloured) and ANSI.sub("", coloured) == text.render([r], color=False)


def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert text.use_color(Terminal()) and not text.use_color(io.StringIO())
    assert text.use_color(io.StringIO(), "always") and not text.use_color(Terminal(), "never")
    monkeypatch.setenv("NO_COLOR", "1")
    assert not text.use_color(Terminal())
    monkeypatch.setenv("NO_COLOR", "")  # empty means unset (no-color.org)
    assert text.use_color(Terminal())


def test_cli_output_is_plain_when_not_a_terminal_and_coloured_on_request():
    runner = CliRunner()
    plain = runner.invoke(cli.app, ["run", SEED003])
    assert plain.exit_code == 1 and not ANSI.search(plain.output)
    forced = runner.invoke(cli.app, ["run", SEED003, "--color", "always"])
    def untimed(s):
        return re.sub(r"\d+\.\d+s", "_s", s)
    assert ANSI.search(forced.stdout) and untimed(ANSI.sub("", forced.stdout)) == untimed(plain.stdout)


def test_progress_draws_on_a_terminal_after_the_delay_and_erases_itself():
    tty = Terminal()
    with Progress(tty, delay=0.05, interval=0.01) as p:
        p("model.py::model: gradients")
        time.sleep(0.3)
    out = tty.getvalue()
    assert "gradcheck: model.py::model: gradients (" in out and " s)" in out
    assert out.endswith("\r\033[K")


def test_progress_is_silent_when_quick_or_not_a_terminal():
    quick, pipe = Terminal(), io.StringIO()
    with Progress(quick, delay=5.0) as p:
        p("gradients")
    with Progress(pipe, delay=0.0, interval=0.01) as p:
        p("gradients")
        time.sleep(0.1)
    assert quick.getvalue() == "" and pipe.getvalue() == ""


def test_cli_progress_never_reaches_stdout_or_json(monkeypatch):
    # force the progress line on (as on a terminal) with no delay: stdout must stay pure JSON
    import gradcheck.progress as progress

    real = progress.Progress.__init__

    def eager(self, stream, delay=1.0, interval=0.1, enabled=None):
        real(self, stream, delay=0.0, interval=0.001, enabled=True)

    monkeypatch.setattr(progress.Progress, "__init__", eager)
    r = CliRunner().invoke(cli.app, ["run", SEED003, "--format", "json"])
    assert r.exit_code == 1
    assert json.loads(r.stdout)["verdict"] == "bugs-found"
    assert "\r" not in r.stdout and "gradcheck: " not in r.stdout
    assert "gradcheck: " in r.stderr  # the progress line went to stderr


def test_pipeline_reports_each_stage_to_the_progress_callback():
    from gradcheck import api

    stages = []
    api.check_file(os.path.join(ROOT, "fixtures/core/rows_mlp.py"), progress=stages.append)
    names = [s.split(": ", 1)[1] for s in stages]
    assert names[:2] == ["import", "build"] and "gradients" in names and names[-1] == "causes"


def test_causes_lists_every_cause_by_family():
    from gradcheck.causes import all_causes

    r = CliRunner().invoke(cli.app, ["causes"])
    assert r.exit_code == 0
    for name, c in all_causes().items():
        assert re.search(rf"^  {re.escape(name)} +{re.escape(c.summary)}", r.output, flags=re.M), name
    assert f"{len(all_causes())} causes." in r.output


def test_explain_prints_the_page_and_suggests_close_names():
    runner = CliRunner()
    r = runner.invoke(cli.app, ["explain", "gradient-scale"])
    assert r.exit_code == 0 and "```" not in r.output and "\n    dW1 = X.T @ delta1 / n" in r.output
    assert r.output.startswith("gradient-scale\n==============\n")
    md = runner.invoke(cli.app, ["explain", "gradient-scale", "--markdown"])
    assert md.output.startswith("# gradient-scale\n") and "```python" in md.output
    bad = runner.invoke(cli.app, ["explain", "gradient-scal"])
    assert bad.exit_code == 2 and "Did you mean gradient-scale" in bad.output
