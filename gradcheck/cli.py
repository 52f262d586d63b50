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


class Color(str, Enum):
    auto = "auto"
    always = "always"
    never = "never"


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
        typer.echo(text, nl=not text.endswith("\n"), color=True)  # colour was decided by _color already


def _color(output: Optional[str], choice: str = "auto") -> bool:
    """Colour the text report? Only on a terminal (or when asked), never with NO_COLOR set."""
    from gradcheck.render.text import use_color

    if output is not None:
        return choice == "always"
    return use_color(sys.stdout, choice)


@app.command()
def run(
    target: str = typer.Argument(..., help="FILE.py, or FILE.py::NAME for one registered model."),
    format: RunFormat = typer.Option(RunFormat.text, "--format", "-f", show_default=False,
                                     help="Output format. Default: text."),
    output: Optional[str] = typer.Option(None, "--output", "-o", show_default=False,
                                         help="Write the report to this file. Default: stdout."),
    seed: int = typer.Option(0, show_default=False, help="Seed for batches and random directions. Default: 0."),
    data: Optional[str] = typer.Option(None, "--data", show_default=False,
                                       help="Data file (mnist_train.csv, mnist.pkl.gz, .npz) instead of the "
                                            "model's data() or the bundled MNIST sample. Default: none."),
    timeout: float = typer.Option(10.0, "--timeout", show_default=False,
                                  help="Seconds one call of your code may take. Default: 10."),
    import_timeout: float = typer.Option(20.0, "--import-timeout", show_default=False,
                                         help="Seconds importing your file may take. Default: 20."),
    ignore: List[str] = typer.Option([], "--ignore", show_default=False,
                                     help="Cause name to leave out (repeatable). Default: none."),
    color: Color = typer.Option(Color.auto, "--color", show_default=False,
                                help="Colour the text report: auto (only on a terminal, and not when NO_COLOR "
                                     "is set), always, never. Default: auto."),
    explore: float = typer.Option(2.0, "--explore", show_default=False,
                                  help="Seconds shape exploration may spend re-checking the model at other layer "
                                       "widths and batch sizes, when it can be rebuilt and its own check passed "
                                       "(0: off). Default: 2."),
) -> None:
    """Check the models in a file: gradients, training dynamics, shapes; ranked causes with fixes.

    The report goes to stdout (or --output); a progress line appears on stderr
    when a check takes more than a second and stderr is a terminal.
    """
    from gradcheck import api
    from gradcheck.progress import Progress

    try:
        with Progress(sys.stderr) as progress:
            reports = api.check_file(target, seed=seed, data=data, budget=timeout, import_budget=import_timeout,
                                     skip=tuple(ignore), progress=progress, explore=explore)
    except api.BAD_INPUT as e:
        _fail(str(e))
    except Exception as e:  # noqa: BLE001 - never dump a traceback on the user
        _fail(f"internal error while checking {target}: {type(e).__name__}: {e}. "
              "This is a bug in gradcheck; please report it with the file you checked.")
    from gradcheck import render

    out = render.render(format.value, reports, color=_color(output, color.value))
    _emit(out, output)
    raise typer.Exit(max(r.exit_code for r in reports))


@app.command()
def lint(
    paths: List[str] = typer.Argument(..., help="Python files or folders to lint."),
    format: LintFormat = typer.Option(LintFormat.text, "--format", "-f", show_default=False,
                                      help="Output format. Default: text."),
    output: Optional[str] = typer.Option(None, "--output", "-o", show_default=False,
                                         help="Write to this file. Default: stdout."),
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
def explain(cause: str = typer.Argument(..., help="A cause name, e.g. gradient-scale (`gradcheck causes` lists "
                                        "them)."),
            markdown: bool = typer.Option(False, "--markdown", show_default=False,
                                          help="Print the page as Markdown, as in docs/causes/. Default: off.")
            ) -> None:
    """What a cause detects, why it breaks training, how to fix it, and how sure gradcheck is."""
    from gradcheck import cause_docs as pages

    doc = pages.page(cause)
    if doc is None:
        close = pages.suggest(cause)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        _fail(f"unknown cause {cause!r}.{hint} `gradcheck causes` lists them.")
    typer.echo(doc if markdown else pages.terminal(doc, color=_color(None)), nl=False)


@app.command()
def causes() -> None:
    """List every cause gradcheck can report, by family, with what it detects."""
    from gradcheck import cause_docs as pages

    groups = pages.by_family()
    width = max(len(c.name) for _, cs in groups for c in cs)
    color = _color(None)
    total = 0
    for family, cs in groups:
        typer.echo(typer.style(f"{family} ({len(cs)})", bold=True) if color else f"{family} ({len(cs)})")
        for c in cs:
            tag = "" if c.judge is not None else "  [lint]"
            typer.echo(f"  {c.name:{width}s}  {c.summary}{tag}")
        total += len(cs)
    typer.echo(f"\n{total} causes. `gradcheck explain NAME` prints what a cause detects, why it breaks "
               "training and how to fix it.")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
