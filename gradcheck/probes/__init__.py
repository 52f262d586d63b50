"""Probes run the user's model and measure; they never judge.

Each probe module has ``NAME``, ``REQUIRES`` (probes whose evidence it needs)
and ``run(session, evidence) -> object``: the evidence it returns is stored
under ``NAME``. A probe whose user code raised, or returned something
unusable, leaves its exception in ``evidence.failures`` instead; causes judge
those too. The order of ``PROBES`` is the order they run in.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

PROBES = ["forward", "gradients", "gradient_patterns", "architecture", "inputs", "init", "activations", "leakage",
          "shapes", "shape_exploration", "training", "oracle"]
"""Probe modules in run order (grown by later probes: activations, training, ...)."""


class ProbeSkipped(Exception):
    """A probe cannot measure anything meaningful (e.g. the output is NaN); not a failure."""


@dataclass
class Evidence:
    """Everything the probes measured for one model, by probe name."""

    session: Any
    items: dict[str, Any] = field(default_factory=dict)
    failures: dict[str, BaseException] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)
    """Data for pictures, copied to ``Report.extras`` (keys agreed in ``gradcheck.report.EXTRAS``)."""

    def __contains__(self, name: str) -> bool:
        return name in self.items

    def __getitem__(self, name: str) -> Any:
        return self.items[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self.items.get(name, default)


def load(name: str):
    return importlib.import_module(f"gradcheck.probes.{name}")
