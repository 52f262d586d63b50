"""Renderers: ``render(reports, **options) -> str``, nothing else.

One module per format (``text``, ``json``, ``html``; ``sarif`` for lint), each
with a ``render(reports: list[Report], **options) -> str`` function that only
reads the reports: the same ``Report`` feeds the terminal, JSON, the HTML
page, Jupyter (``Report._repr_html_``) and the pytest plugin. Options a
renderer does not know are ignored, so callers can pass ``color=`` to all.
Modules are imported only when their format is asked for.
"""
from __future__ import annotations

import importlib

FORMATS = ("text", "json", "html")
"""Formats of ``gradcheck run --format``."""


def render(fmt: str, reports, **options) -> str:
    """Render ``reports`` (a list of ``Report``) in format ``fmt``."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    return importlib.import_module(f"gradcheck.render.{fmt}").render(list(reports), **options)
