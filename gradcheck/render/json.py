"""JSON in the design's shape: one report object, or a list of them for several models.

The shape is a public interface, described by ``docs/report.schema.json``
(the tests validate every report they produce against it). Output is strict
JSON: no NaN or Infinity (evidence turns them into the strings "nan"/"inf").
"""
from __future__ import annotations

import json


def render(reports, **_) -> str:
    docs = [r.to_dict() for r in reports]
    return json.dumps(docs[0] if len(docs) == 1 else docs, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
