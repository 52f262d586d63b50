"""The cause registry: one module per cause, each judging evidence into findings.

A cause module has a docstring with fixed sections (what it detects, why it
breaks training, how to fix it, how its confidence is computed) and one
function decorated with ``@cause``. The docstring is what ``gradcheck explain``
prints and what ``docs/causes/`` is generated from.

Modules live in family subpackages (``gradient/``, ``forward/``, ...). They are
found by walking this package, so adding a cause is adding a module; this file
is the one place where they are registered.
"""
from __future__ import annotations

import importlib
import pkgutil
import sys
from dataclasses import dataclass
from typing import Callable, Iterable

from gradcheck.report import Finding


@dataclass(frozen=True)
class Cause:
    name: str
    """Stable kebab-case name."""
    family: str
    """gradient, forward, data, init, activation, update, shape, capacity."""
    requires: tuple[str, ...]
    """Evidence names the judge needs; it is skipped when one is missing."""
    judge: Callable[..., list[Finding]] | None
    """evidence -> findings; None for a cause that only lint rules report."""
    doc: str
    """The module docstring: the cause's documentation."""

    @property
    def summary(self) -> str:
        return self.doc.strip().splitlines()[0] if self.doc.strip() else self.name


_CAUSES: dict[str, Cause] = {}


def cause(name: str, *, requires: Iterable[str] = ()) -> Callable:
    """Register the decorated ``judge(evidence) -> list[Finding]`` as cause ``name``."""

    def deco(fn: Callable) -> Callable:
        module = sys.modules[fn.__module__]
        family = fn.__module__.split(".")[2] if fn.__module__.count(".") >= 3 else "other"
        _register(Cause(name, family, tuple(requires), fn, module.__doc__ or ""))
        return fn

    return deco


def documented(name: str, module_name: str) -> None:
    """Register a cause that has documentation but no run-time judge (reported by lint)."""
    module = sys.modules[module_name]
    family = module_name.split(".")[2] if module_name.count(".") >= 3 else "other"
    _register(Cause(name, family, (), None, module.__doc__ or ""))


def _register(c: Cause) -> None:
    old = _CAUSES.get(c.name)
    if old is not None and old.judge is not None and c.judge is not None and old.judge is not c.judge:
        raise RuntimeError(f"cause {c.name!r} registered twice")
    if old is None or old.judge is None:
        _CAUSES[c.name] = c


_loaded = False


def all_causes() -> dict[str, Cause]:
    """Every registered cause, by name (imports all cause modules once)."""
    global _loaded
    if not _loaded:
        for info in pkgutil.walk_packages(__path__, prefix=__name__ + "."):
            importlib.import_module(info.name)
        _loaded = True
    return dict(sorted(_CAUSES.items()))


def get(name: str) -> Cause:
    causes = all_causes()
    if name not in causes:
        raise KeyError(name)
    return causes[name]
