"""JSON in the design's shape: one report object, or a list for several models."""
from __future__ import annotations

import json


def render(reports, **_) -> str:
    docs = [r.to_dict() for r in reports]
    return json.dumps(docs[0] if len(docs) == 1 else docs, indent=2, ensure_ascii=False)
