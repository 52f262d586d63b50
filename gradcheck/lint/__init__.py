"""``gradcheck lint``: static rules over a user's source, never executing it.

Each rule is one module in ``gradcheck.lint.rules`` that registers a check with
``@rule("cause-name")``; the rules are found by walking that package, so adding
a rule is adding a module. The module docstring is the rule's documentation
(``rule_doc``). Rules report the same cause names as the run-time causes.

Public API::

    lint_source(source, filename) -> list[Finding]
    lint_file(path) -> list[Finding]
    lint_paths(paths) -> {path: [Finding, ...]}      # directories walked for *.py
    RULES                                             # {cause name: Rule}
    rule_doc(cause_name) -> str | None
    LintError                                         # unreadable or unparsable input

A line ending in ``# gradcheck: ignore[cause]`` silences that cause on that
line; ``# gradcheck: ignore`` silences all.
"""
from __future__ import annotations

import ast
import importlib
import os
import pkgutil
import tokenize
import warnings
from typing import Iterable

from gradcheck.lint import rules as _rules_package
from gradcheck.lint._context import Context
from gradcheck.lint._registry import RULES, Rule, Violation, rule
from gradcheck.lint._suppress import ignored_lines, is_ignored
from gradcheck.report import Finding, Where

__all__ = ["lint_source", "lint_file", "lint_paths", "rule_doc", "RULES", "Rule", "rule",
           "Violation", "LintError"]

_SKIP_DIRS = {"__pycache__", "node_modules", "venv", "site-packages"}


class LintError(Exception):
    """The input cannot be linted: a missing or unreadable file, or a syntax error.

    ``str(err)`` reads ``file:line: message``; the CLI maps it to exit code 2.
    """

    def __init__(self, file: str, line: int | None, message: str) -> None:
        self.file = file
        self.line = line
        self.message = message
        loc = f"{file}:{line}" if line else file
        super().__init__(f"{loc}: {message}")


def _load_rules() -> None:
    for info in pkgutil.walk_packages(_rules_package.__path__, prefix=_rules_package.__name__ + "."):
        importlib.import_module(info.name)


_load_rules()


def rule_doc(cause_name: str) -> str | None:
    """The documentation of the lint rule reporting ``cause_name`` (None if no rule does)."""
    r = RULES.get(cause_name)
    return r.doc if r is not None else None


def lint_source(source: str, filename: str = "<string>",
                select: Iterable[str] | None = None) -> list[Finding]:
    """Run every lint rule (or the ``select``-ed ones) over one module's source.

    Findings come sorted by line and column. Raises ``LintError`` on a syntax error.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            tree = ast.parse(source, filename=filename)
    except SyntaxError as e:
        raise LintError(filename, e.lineno, f"syntax error: {e.msg}") from e
    except ValueError as e:  # e.g. source with NUL bytes
        raise LintError(filename, None, f"cannot parse: {e}") from e
    ctx = Context(tree, source, filename)
    ignores = ignored_lines(source)
    chosen = [RULES[name] for name in sorted(RULES) if select is None or name in set(select)]
    found: dict[tuple, Finding] = {}
    for r in chosen:
        for v in r.check(ctx):
            finding, last_line = _to_finding(ctx, r, v)
            line = finding.where.line or 0
            if is_ignored(ignores, r.name, line, last_line):
                continue
            key = (r.name, line, finding.evidence.get("col"))
            found.setdefault(key, finding)
    return sorted(found.values(), key=lambda f: (f.where.line or 0, f.evidence.get("col") or 0, f.cause))


def _to_finding(ctx: Context, r: Rule, v: Violation) -> tuple[Finding, int]:
    node = v.node
    line = getattr(node, "lineno", None)
    col = getattr(node, "col_offset", None)
    fn = node if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else ctx.function_of(node)
    function = None
    if fn is not None:
        cls = ctx.class_of(fn)
        function = f"{cls.name}.{fn.name}" if cls is not None else fn.name
    text_line = ctx.lines[line - 1] if line is not None and 0 < line <= len(ctx.lines) else None
    if col is not None and text_line is not None:  # ast counts UTF-8 bytes; report characters
        col = len(text_line.encode("utf-8")[:col].decode("utf-8", errors="replace"))
    evidence: dict = {"col": col + 1 if col is not None else None, **v.evidence}
    if text_line is not None:
        evidence.setdefault("code", text_line.strip())
    finding = Finding(
        cause=r.name,
        severity=v.severity or r.severity,
        confidence=v.confidence,
        title=v.title,
        fix=v.fix,
        evidence=evidence,
        where=Where(file=ctx.filename, line=line, function=function),
    )
    stmt = node if isinstance(node, ast.stmt) else _statement(ctx, node)
    last = getattr(stmt, "end_lineno", None) or line or 0
    body = getattr(stmt, "body", None)
    if isinstance(body, list) and body and isinstance(body[0], ast.AST):
        last = max(line or 0, body[0].lineno - 1)  # a compound statement: only its header lines
    return finding, last


def _statement(ctx: Context, node: ast.AST) -> ast.AST:
    try:
        return ctx.statement_of(node)
    except KeyError:
        return node


def lint_file(path: str | os.PathLike) -> list[Finding]:
    """Lint one file (its encoding cookie is honoured). Raises ``LintError``."""
    path = os.fspath(path)
    try:
        with tokenize.open(path) as fh:
            source = fh.read()
    except FileNotFoundError as e:
        raise LintError(path, None, "no such file") from e
    except IsADirectoryError as e:
        raise LintError(path, None, "is a directory (use lint_paths)") from e
    except (OSError, UnicodeDecodeError, SyntaxError) as e:
        raise LintError(path, None, f"cannot read: {e}") from e
    return lint_source(source, path)


def lint_paths(paths: Iterable[str | os.PathLike]) -> dict[str, list[Finding]]:
    """Lint files and directories (walked for ``*.py``), keyed by file path in walk order."""
    out: dict[str, list[Finding]] = {}
    for p in paths:
        p = os.fspath(p)
        if os.path.isdir(p):
            for f in _python_files(p):
                out[f] = lint_file(f)
        elif os.path.exists(p):
            out[p] = lint_file(p)
        else:
            raise LintError(p, None, "no such file or directory")
    return out


def _python_files(directory: str) -> list[str]:
    found = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS)
        found.extend(os.path.join(root, f) for f in sorted(files) if f.endswith(".py"))
    return found
