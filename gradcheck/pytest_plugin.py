"""The pytest plugin (entry point ``pytest11``): hooks and the fixture only.

pytest imports this module in every project where gradcheck is installed, so
it imports nothing of gradcheck (nor numpy) at module level: everything heavy
is imported inside the hooks, and only when a test actually uses gradcheck.

What it gives a test suite:

- ``gradcheck.assert_gradients(model)`` / ``gradcheck.assert_trains(model)``
  (in ``gradcheck.testing``): failures show the diagnosis;
- the ``gradcheck`` fixture: ``gradcheck(model)`` fails on any error finding,
  ``gradcheck.gradients(model)``, ``gradcheck.trains(model)``, ``gradcheck.check(model)``;
- the ``@pytest.mark.gradcheck(seed=..., timeout=..., ignore=[...], data=..., strict=...)``
  marker: that test's settings for the fixture (unknown keywords are an error);
- ``--gradcheck PATH``: every ``@gradcheck.register`` model of a file or folder becomes a test item;
- ``--gradcheck-seed/-timeout/-ignore/-strict``: defaults for the whole run;
- a summary of every model checked, at the end of the run.
"""
from __future__ import annotations

import os
from typing import Any

import pytest

_RECORDS = pytest.StashKey[list]()
_ACTIVE: list[list] = []
"""Record lists of the pytest runs in progress, innermost last (pytester nests runs)."""

_SKIP_DIRS = {"__pycache__", "node_modules", "site-packages", "build", "dist"}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gradcheck", "gradcheck: diagnose hand-written numpy neural networks")
    group.addoption("--gradcheck", action="append", default=[], metavar="PATH", dest="gradcheck_paths",
                    help="Collect every @gradcheck.register model in PATH (a .py file, or a folder searched "
                         "recursively for files that use gradcheck) as a test item that fails on any error "
                         "finding. Repeatable. Default: none.")
    group.addoption("--gradcheck-seed", type=int, default=0, metavar="N", dest="gradcheck_seed",
                    help="Seed for gradcheck's batches and random directions. Default: %(default)r")
    group.addoption("--gradcheck-timeout", type=float, default=10.0, metavar="SECONDS", dest="gradcheck_timeout",
                    help="Seconds one call of a model's code may take before it is stopped. Default: %(default)r")
    group.addoption("--gradcheck-ignore", action="append", default=[], metavar="CAUSE", dest="gradcheck_ignore",
                    help="Cause name to leave out of every check (repeatable). Default: none.")
    group.addoption("--gradcheck-strict", action="store_true", default=False, dest="gradcheck_strict",
                    help="Warnings fail a check too, not only errors. Default: %(default)r")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "gradcheck(seed=0, timeout=10.0, ignore=(), data=None, strict=False): settings of the gradcheck "
        "fixture for this test.")
    records: list = []
    config.stash[_RECORDS] = records
    _ACTIVE.append(records)


def pytest_unconfigure(config: pytest.Config) -> None:
    records = config.stash.get(_RECORDS, None)
    if records is not None and _ACTIVE and _ACTIVE[-1] is records:
        _ACTIVE.pop()


def record(*, kind: str, report: Any, passed: bool, target: str, detail: str = "") -> None:
    """Called by ``gradcheck.testing`` after each check, for the end-of-run summary."""
    if _ACTIVE:
        test = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" (", 1)[0]
        _ACTIVE[-1].append({"test": test, "kind": kind, "report": report, "passed": passed,
                            "target": target, "detail": detail})


def config_options(config: pytest.Config) -> dict[str, Any]:
    """The run-wide defaults from the command line."""
    return {"seed": config.getoption("gradcheck_seed"), "timeout": config.getoption("gradcheck_timeout"),
            "ignore": tuple(config.getoption("gradcheck_ignore")), "strict": config.getoption("gradcheck_strict")}


# -- the fixture -------------------------------------------------------------

class GradcheckFixture:
    """What the ``gradcheck`` fixture gives a test.

    ``gradcheck(model, **options)`` fails on any error finding and returns the
    Report; ``.gradients``, ``.trains`` and ``.check`` (no assertion) take the
    same options. Options come from the command line, then the test's
    ``@pytest.mark.gradcheck(...)``, then the call itself.
    """

    def __init__(self, defaults: dict[str, Any]):
        self.defaults = defaults

    def __call__(self, model: Any, **options: Any):
        __tracebackhide__ = True
        from gradcheck import testing

        return testing.assert_clean(model, **{**self.defaults, **options})

    def gradients(self, model: Any, **options: Any):
        __tracebackhide__ = True
        from gradcheck import testing

        return testing.assert_gradients(model, **{**self.defaults, **options})

    def trains(self, model: Any, **options: Any):
        __tracebackhide__ = True
        from gradcheck import testing

        return testing.assert_trains(model, **{**self.defaults, **options})

    def check(self, model: Any, **options: Any):
        from gradcheck import testing

        return testing.check(model, **{**self.defaults, **options})


@pytest.fixture
def gradcheck(request: pytest.FixtureRequest) -> GradcheckFixture:
    """Check a model: ``gradcheck(model)`` fails with the diagnosis on any error finding.

    Also ``gradcheck.gradients(model)``, ``gradcheck.trains(model)`` and
    ``gradcheck.check(model) -> Report``. Settings: ``@pytest.mark.gradcheck(seed=0,
    timeout=10.0, ignore=(), data=None, strict=False)`` and ``--gradcheck-*``.
    """
    from gradcheck import testing

    defaults = config_options(request.config)
    marker = request.node.get_closest_marker("gradcheck")
    if marker is not None:
        if marker.args:
            pytest.fail(f"@pytest.mark.gradcheck takes keyword arguments only ({', '.join(testing.DEFAULTS)}), "
                        f"not {marker.args!r}.", pytrace=False)
        try:
            testing.options(**marker.kwargs)
            problem = None
        except (TypeError, ValueError) as e:
            problem = str(e)
        if problem:
            pytest.fail(f"@pytest.mark.gradcheck: {problem}", pytrace=False)
        defaults.update(marker.kwargs)
    return GradcheckFixture(defaults)


# -- collecting registered models as test items ---------------------------------

class GradcheckFile(pytest.File):
    """A Python file whose registered models become ``GradcheckItem``s."""

    explicit = True
    """False for files found by walking a folder: a file without models is then skipped, not an error."""

    def collect(self):
        from gradcheck import discover

        try:
            found = discover.find(str(self.path))
        except discover.DiscoveryError as e:
            if not self.explicit and "no model found" in str(e):
                return
            raise self.CollectError(f"gradcheck: {e}") from None
        for f in found:
            yield GradcheckItem.from_parent(self, name=f.name, found=f)


class GradcheckItem(pytest.Item):
    """One registered model: passes when gradcheck finds no error (with --gradcheck-strict: no warning)."""

    def __init__(self, *, found: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self.found = found

    def runtest(self) -> None:
        from gradcheck import discover, testing

        opts = config_options(self.config)
        model = discover.build(self.found, seed=opts["seed"])
        testing.assert_clean(model, target=self.found.target, **opts)

    def repr_failure(self, excinfo, style=None):
        from gradcheck import discover, testing

        if isinstance(excinfo.value, (testing.GradcheckFailure, discover.DiscoveryError)):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        line = getattr(getattr(self.found.factory, "__code__", None), "co_firstlineno", 1)
        return self.path, line - 1, f"gradcheck: {self.found.target}"


def _files(path: str) -> list[tuple[str, bool]]:
    """(file, explicit) for a --gradcheck PATH: the file itself, or the files of a folder that use gradcheck."""
    if os.path.isfile(path):
        return [(os.path.abspath(path), True)]
    out = []
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS)
        for name in sorted(files):
            if not name.endswith(".py") or name == "conftest.py":
                continue
            full = os.path.join(root, name)
            try:
                with open(full, encoding="utf-8", errors="replace") as fh:
                    text = fh.read()
            except OSError:
                continue
            if "gradcheck" in text and "register" in text:
                out.append((os.path.abspath(full), False))
    return out


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list) -> None:
    """Add the models of every ``--gradcheck PATH`` (before -k/-m deselection sees the items)."""
    paths = config.getoption("gradcheck_paths")
    if not paths:
        return
    from pathlib import Path

    seen = set()
    for p in paths:
        if not os.path.exists(p):
            raise pytest.UsageError(f"--gradcheck {p}: no such file or folder.")
        for file, explicit in _files(p):
            if file in seen:
                continue
            seen.add(file)
            node = GradcheckFile.from_parent(session, path=Path(file))
            node.explicit = explicit
            rep = node.ihook.pytest_make_collect_report(collector=node)
            if rep.failed:
                session.ihook.pytest_collectreport(report=rep)
                continue
            items.extend(i for i in rep.result if isinstance(i, pytest.Item))


# -- the summary ------------------------------------------------------------------

def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    records = config.stash.get(_RECORDS, None)
    if not records:
        return
    tr = terminalreporter
    tr.write_sep("=", "gradcheck")
    failed = [r for r in records if not r["passed"]]
    verbose = config.getoption("verbose") > 0
    for r in records:
        if r["passed"] and not verbose and len(records) > 8:
            continue
        tr.write_line(_summary_line(r), red=not r["passed"], green=r["passed"])
    seed = config.getoption("gradcheck_seed")
    tr.write_line(f"{len(records)} gradcheck check(s): {len(failed)} failed, "
                  f"{len(records) - len(failed)} passed (seed {seed}). "
                  "`gradcheck run FILE` prints a model's full report.")


def _summary_line(r: dict) -> str:
    rep = r["report"]
    status = "ok  " if r["passed"] else "FAIL"
    what = {"check": "check", "gradients": "gradients", "trains": "trains"}.get(r["kind"], r["kind"])
    cause = ""
    if rep is not None and rep.findings:
        f = rep.findings[0]
        where = f.where.param or (os.path.basename(f.where.file) + f":{f.where.line}" if f.where.file else "")
        cause = f"1. {f.cause}" + (f" ({where}, {f.confidence:.2f})" if where else f" ({f.confidence:.2f})")
        if len(rep.findings) > 1:
            cause += f" +{len(rep.findings) - 1} more"
    verdict = rep.verdict if rep is not None else ""
    extra = f"  [{r['detail']}]" if r["kind"] == "trains" and r["detail"] else ""
    test = f"{r['test']}  " if r["test"] and not r["test"].endswith("::" + r["target"].split("::")[-1]) else ""
    return f"{status} {what:9s} {test}{r['target']}  {verdict}  {cause}{extra}".rstrip()
