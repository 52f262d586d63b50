"""The lint rule registry: one module per rule, each registered with ``@rule``.

A rule is a function ``check(ctx) -> Iterable[Violation]`` over one parsed
module. It never builds a ``Finding`` itself: it says *what* it saw and *where*
(a ``Violation``), and the driver in ``gradcheck.lint`` turns that into a
``Finding`` with the rule's cause name, the file, line, column and function.
The rule module's docstring is the rule's documentation (``rule_doc``).
"""
from __future__ import annotations

import ast
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Violation:
    """One thing a rule saw in the source, before it becomes a Finding."""

    node: ast.AST
    """The node the finding points at (its line and column are used)."""

    title: str
    """One line: what is wrong here."""

    fix: str
    """What to change, as an action."""

    confidence: float = 0.8
    """0..1: how sure the rule is that this is the bug."""

    severity: str | None = None
    """Overrides the rule's default severity for this one violation."""

    evidence: dict[str, Any] = field(default_factory=dict)
    """Extra facts for the JSON report (names, the suggested variable, ...)."""


@dataclass(frozen=True)
class Rule:
    """A registered lint rule."""

    name: str
    """The cause name it reports (kebab-case, from the design's list)."""

    severity: str
    """Default severity of its findings."""

    check: Callable[..., Iterable[Violation]]
    """``check(ctx) -> Iterable[Violation]``."""

    doc: str
    """The rule module's docstring: the rule's documentation page."""

    module: str
    """Dotted name of the rule module."""

    @property
    def summary(self) -> str:
        """The docstring's first line."""
        text = self.doc.strip()
        return text.splitlines()[0] if text else self.name

    def section(self, title: str) -> str:
        """The text of one ``## title`` section of the docstring ('' if absent)."""
        out: list[str] = []
        inside = False
        for line in self.doc.splitlines():
            if line.startswith("## "):
                inside = line[3:].strip().lower() == title.lower()
                continue
            if inside:
                out.append(line)
        return "\n".join(out).strip()


RULES: dict[str, Rule] = {}
"""Every lint rule, by cause name. Filled when ``gradcheck.lint`` is imported."""


def rule(name: str, *, severity: str = "error") -> Callable:
    """Register the decorated ``check(ctx)`` as the lint rule for cause ``name``."""
    if severity not in SEVERITIES:
        raise ValueError(f"severity must be one of {SEVERITIES}, not {severity!r}")

    def deco(fn: Callable) -> Callable:
        module = sys.modules[fn.__module__]
        old = RULES.get(name)
        if old is not None and old.check is not fn:
            raise RuntimeError(f"lint rule {name!r} registered twice ({old.module}, {fn.__module__})")
        RULES[name] = Rule(name, severity, fn, module.__doc__ or "", fn.__module__)
        return fn

    return deco
