"""The pytest plugin, run through pytester: helpers, fixture, marker, --gradcheck collection, summary."""
import os
import re
import subprocess
import sys

import pytest

# imported here, before any in-process pytester run: pytester unloads modules a run imported, and numpy's
# C extension cannot be loaded twice in one process
import numpy  # noqa: F401
import gradcheck.api  # noqa: F401
import gradcheck.testing  # noqa: F401
from conftest import ROOT

with open(os.path.join(ROOT, "fixtures", "core", "rows_mlp.py"), encoding="utf-8") as fh:
    GOOD = fh.read()
HALF_W1 = GOOD.replace('"W1": X.T @ d1', '"W1": 0.5 * (X.T @ d1)')
CLIMBS = GOOD.replace("getattr(self, name) - self.lr * g", "getattr(self, name) + self.lr * g")
assert HALF_W1 != GOOD and CLIMBS != GOOD


@pytest.fixture
def models(pytester):
    """A folder of model files, importable from the tests as `good`, `half_w1`, `climbs`."""
    pytester.makepyfile(good=GOOD, half_w1=HALF_W1, climbs=CLIMBS)
    pytester.syspathinsert()
    return pytester


def test_the_plugin_is_loaded_through_its_entry_point(pytester):
    config = pytester.parseconfig()
    plugin = config.pluginmanager.get_plugin("gradcheck")
    assert plugin is not None and plugin.__name__ == "gradcheck.pytest_plugin"


def test_every_option_is_in_one_group_and_its_help_ends_with_the_default(pytester):
    config = pytester.parseconfig()
    group = config._parser.getgroup("gradcheck")
    names = [o.names()[0] for o in group.options]
    assert names == ["--gradcheck", "--gradcheck-seed", "--gradcheck-timeout", "--gradcheck-ignore",
                     "--gradcheck-strict"]
    for o in group.options:
        assert re.search(r"Default: [^ ]+$", o.attrs()["help"]), o.attrs()["help"]
    out = pytester.runpytest("--help").stdout.str()
    assert "--gradcheck=PATH" in out and "Default: 0" in out and "Default: 10.0" in out


def test_importing_the_plugin_imports_neither_numpy_nor_gradcheck_internals():
    code = ("import sys, gradcheck.pytest_plugin; "
            "bad = [m for m in sys.modules if m == 'numpy' "
            "or m.startswith('gradcheck.') and m != 'gradcheck.pytest_plugin'];"
            "print(bad)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_assert_gradients_fails_with_the_diagnosis_at_the_users_line(models):
    models.makepyfile(test_grads="""
        import gradcheck
        import good, half_w1

        def test_good():
            report = gradcheck.assert_gradients(good.model)
            assert report.verdict == "clean"

        def test_half():
            gradcheck.assert_gradients(half_w1.model)
    """)
    result = models.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1, failed=1)
    out = result.stdout.str()
    assert "gradcheck.GradcheckFailure: gradcheck: the gradients of half_w1.py::model are not correct" in out
    assert "1. gradient-scale  [error, confidence 0.90]" in out and "--> param W1, layer 1" in out
    assert "fix: dW1 is 0.5x too small: multiply it by 2" in out
    assert ">       gradcheck.assert_gradients(half_w1.model)" in out
    assert "testing.py" not in out and "gradcheck/__init__.py" not in out  # __tracebackhide__


def test_assert_trains_passes_on_a_learning_model_and_shows_the_curve_when_not(models):
    models.makepyfile(test_trains="""
        import gradcheck
        import good, climbs

        def test_good():
            gradcheck.assert_trains(good.model)

        def test_climbs():
            gradcheck.assert_trains(climbs.model, steps=10)
    """)
    result = models.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    out = result.stdout.str()
    assert "gradcheck: climbs.py::model does not train: the loss went from" in out
    # the training probe recorded the curve; its diagnosis names the step that climbs
    assert "measured over the training run gradcheck recorded" in out
    assert "loss: [" in out and "update-direction" in out


def test_the_fixture_and_marker(models):
    models.makepyfile(test_fixture="""
        import pytest
        import good, half_w1

        def test_clean(gradcheck):
            report = gradcheck(good.model)
            assert report.verdict == "clean" and report.seed == 0

        @pytest.mark.gradcheck(seed=3)
        def test_marker_seed(gradcheck):
            assert gradcheck.check(good.model).seed == 3

        def test_bug(gradcheck):
            gradcheck(half_w1.model)

        def test_methods(gradcheck):
            gradcheck.gradients(good.model)
            gradcheck.trains(good.model)

        @pytest.mark.gradcheck(sede=3)
        def test_unknown_keyword(gradcheck):
            pass

        @pytest.mark.gradcheck(ignore=["gradient-scal"])
        def test_unknown_cause(gradcheck):
            pass

        @pytest.mark.gradcheck(3)
        def test_positional(gradcheck):
            pass
    """)
    result = models.runpytest("--gradcheck-seed", "0")
    result.assert_outcomes(passed=3, failed=1, errors=3)
    out = result.stdout.str()
    assert "gradcheck found 1 problem(s) in half_w1.py::model" in out
    assert "@pytest.mark.gradcheck: gradcheck got unexpected option(s) 'sede'; valid options: seed, timeout" in out
    assert "unknown cause 'gradient-scal'. Did you mean 'gradient-scale'?" in out
    assert "takes keyword arguments only" in out


def test_command_line_defaults_reach_the_fixture(models):
    models.makepyfile(test_cli_defaults="""
        import half_w1

        def test_seed(gradcheck):
            assert gradcheck.check(half_w1.model).seed == 7

        def test_ignored(gradcheck):
            gradcheck(half_w1.model)   # both gradient causes ignored from the command line
    """)
    result = models.runpytest("--gradcheck-seed", "7", "--gradcheck-ignore", "gradient-scale",
                              "--gradcheck-ignore", "gradient-mismatch")
    result.assert_outcomes(passed=2)


def test_gradcheck_path_collects_every_registered_model(pytester):
    pytester.mkpydir("models")
    (pytester.path / "models" / "good.py").write_text(GOOD)
    (pytester.path / "models" / "half_w1.py").write_text(HALF_W1)
    (pytester.path / "models" / "helpers.py").write_text("raise SystemExit('not a model file: never imported')\n")
    (pytester.path / "models" / "nested").mkdir()
    (pytester.path / "models" / "nested" / "two.py").write_text(
        GOOD + "\n\n@gradcheck.register(name='second')\ndef second():\n    return model()\n")
    ids = pytester.runpytest("--gradcheck", "models", "--collect-only", "-q").stdout.lines
    assert [i for i in ids if "::" in i] == ["models/good.py::model", "models/half_w1.py::model",
                                             "models/nested/two.py::model", "models/nested/two.py::second"]
    result = pytester.runpytest("--gradcheck", "models", "-rA")
    result.assert_outcomes(passed=3, failed=1)
    out = result.stdout.str()
    assert "gradcheck found 1 problem(s) in models/half_w1.py::model" in out
    assert "1. gradient-scale  [error, confidence 0.90]" in out and "Traceback" not in out
    pytester.runpytest("--gradcheck", "models", "-k", "second").assert_outcomes(passed=1, deselected=3)


def test_gradcheck_path_errors_are_clear(pytester):
    pytester.makepyfile(empty="x = 1\n")
    result = pytester.runpytest("--gradcheck", "empty.py")
    assert result.ret != 0
    out = result.stdout.str()
    assert "ERROR collecting" in out and "no model found" in out and "@gradcheck.register" in out
    missing = pytester.runpytest("--gradcheck", "nowhere")
    assert missing.ret == pytest.ExitCode.USAGE_ERROR
    assert "--gradcheck nowhere: no such file or folder." in missing.stderr.str()


def test_summary_lists_every_check_at_the_end(models):
    models.makepyfile(test_summary="""
        import gradcheck
        import good, half_w1

        def test_a(gradcheck):
            gradcheck(good.model)

        def test_b():
            gradcheck.assert_gradients(half_w1.model)
    """)
    lines = models.runpytest().stdout.lines
    start = next(i for i, l in enumerate(lines) if "= gradcheck =" in l)
    summary = lines[start + 1:start + 4]
    assert summary[0].startswith("ok   check     test_summary.py::test_a  good.py::model  clean")
    assert summary[1].startswith("FAIL gradients test_summary.py::test_b  half_w1.py::model  bugs-found  "
                                 "1. gradient-scale (W1, 0.90)")
    assert summary[2].startswith("2 gradcheck check(s): 1 failed, 1 passed (seed 0).")


def test_no_summary_when_gradcheck_is_not_used(pytester):
    pytester.makepyfile(test_plain="def test_x():\n    assert True\n")
    out = pytester.runpytest().stdout.str()
    assert "= gradcheck =" not in out
