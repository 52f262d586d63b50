"""The command line: ``gradcheck run | lint | explain | causes``.

Commands only parse arguments, call the library and render. Exit codes:
0 no error finding, 1 error findings, 2 checking impossible (bad input).
"""
from __future__ import annotations

import os
import sys
from enum import Enum
from typing import List, Optional

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Find the bugs in a neural network written by hand in numpy.")


class RunFormat(str, Enum):
    text = "text"
    json = "json"
    html = "html"


class LintFormat(str, Enum):
    text = "text"
    json = "json"
    sarif = "sarif"


def _fail(message: str) -> None:
    typer.echo(f"gradcheck: error: {message}", err=True)
    raise typer.Exit(2)


def _emit(text: str, output: Optional[str]) -> None:
    if output:
        with open(output, "w", encoding="utf-8") as f:
            f.write(text)
        typer.echo(f"gradcheck: report written to {output}", err=True)
    else:
        typer.echo(text, nl=not text.endswith("\n"))


def _color(output: Optional[str]) -> bool:
    return output is None and sys.stdout.isatty() and os.environ.get("NO_COLOR") is None


@app.command()
def run(
    target: str = typer.Argument(..., help="FILE.py, or FILE.py::NAME for one registered model."),
    format: RunFormat = typer.Option(RunFormat.text, "--format", "-f", help="Output format. Default: text."),
    output: Optional[str] = typer.Option(None, "--output", "-o", help="Write the report to this file. Default: stdout."),
    seed: int = typer.Option(0, help="Seed for batches and random directions. Default: 0."),
    data: Optional[str] = typer.Option(None, "--data", help="Data file (mnist_train.csv, mnist.pkl.gz, .npz) "
                                       "instead of the model's data() or the bundled MNIST sample. Default: none."),
    timeout: float = typer.Option(10.0, "--timeout", help="Seconds one call of your code may take. Default: 10."),
    import_timeout: float = typer.Option(20.0, "--import-timeout", help="Seconds importing your file may take. "
                                         "Default: 20."),
    ignore: List[str] = typer.Option([], "--ignore", help="Cause name to leave out (repeatable). Default: none."),
    explore: float = typer.Option(2.0, "--explore", help="Seconds shape exploration may spend re-checking the "
                                  "model at other layer widths and batch sizes, when it can be rebuilt and its "
                                  "own check passed (0: off). Default: 2."),
) -> None:
    """Check the models in a file: gradients, training dynamics, shapes; ranked causes with fixes."""
    from gradcheck import api

    try:
        reports = api.check_file(target, seed=seed, data=data, budget=timeout, import_budget=import_timeout,
                                 skip=tuple(ignore), explore=explore)
    except api.BAD_INPUT as e:
        _fail(str(e))
    except Exception as e:  # noqa: BLE001 - never dump a traceback on the user
        _fail(f"internal error while checking {target}: {type(e).__name__}: {e}. "
              "This is a bug in gradcheck; please report it with the file you checked.")
    from gradcheck.render import html, json, text

    if format == RunFormat.json:
        out = json.render(reports)
    elif format == RunFormat.html:
        out = html.render(reports)
    else:
        out = text.render(reports, color=_color(output))
    _emit(out, output)
    raise typer.Exit(max(r.exit_code for r in reports))


@app.command()
def lint(
    paths: List[str] = typer.Argument(..., help="Python files or folders to lint."),
    format: LintFormat = typer.Option(LintFormat.text, "--format", "-f", help="Output format. Default: text."),
    output: Optional[str] = typer.Option(None, "--output", "-o", help="Write to this file. Default: stdout."),
) -> None:
    """Static checks from the source alone (nothing is executed), with file:line."""
    from gradcheck import lint as lint_mod

    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        _fail(f"{missing[0]}: no such file or folder.")
    try:
        results = lint_mod.lint_paths(paths)
    except lint_mod.LintError as e:
        _fail(str(e))
    findings = [f for fs in results.values() for f in fs]
    if format == LintFormat.sarif:
        from gradcheck.render import sarif

        out = sarif.render(results)
    elif format == LintFormat.json:
        import json as _json

        out = _json.dumps({path: [f.to_dict() | {"col": f.evidence.get("col")} for f in fs]
                           for path, fs in results.items()}, indent=2)
    else:
        from gradcheck.render.text import one_line

        out = "\n".join(one_line(f) for f in findings) + ("\n" if findings else "")
        out += f"{len(findings)} finding(s) in {len(results)} file(s)\n"
    _emit(out, output)
    raise typer.Exit(1 if any(f.severity == "error" for f in findings) else 0)


@app.command()
def explain(cause: str = typer.Argument(..., help="A cause name, e.g. gradient-scale.")) -> None:
    """What a cause means, why it breaks training, and how to fix it."""
    from gradcheck import api

    doc = api.explain(cause)
    if doc is None:
        _fail(f"unknown cause {cause!r}. `gradcheck causes` lists them.")
    typer.echo(doc)


@app.command()
def causes() -> None:
    """List every cause gradcheck can report."""
    from gradcheck.causes import all_causes

    for name, c in all_causes().items():
        typer.echo(f"{name:28s} {c.family:11s} {c.summary}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
