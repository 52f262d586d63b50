"""A self-contained HTML page: the findings of each report (no external resources)."""
from __future__ import annotations

import html as _html

from gradcheck.render.text import where_line
from gradcheck.report import VERSION

_CSS = """body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;color:#222}
.f{border-left:4px solid #999;padding:.4em .8em;margin:1em 0;background:#fafafa}
.error{border-color:#c62828}.warning{border-color:#f9a825}.info{border-color:#0277bd}
.where{font-family:monospace;color:#555}.fix{font-weight:600}pre{margin:.3em 0}"""


def _report(r) -> str:
    e = _html.escape
    parts = [f"<h2>{e(r.target)}</h2>", f"<p><b>{e(r.headline)}</b> (verdict: {e(r.verdict)}, seed {r.seed})</p>"]
    for i, f in enumerate(r.findings, 1):
        parts.append(f'<div class="f {f.severity}"><div><b>{i}. {e(f.cause)}</b> [{f.severity}, '
                     f'confidence {f.confidence:.2f}]</div><div class="where">{e(where_line(f))}</div>'
                     f'<div>{e(f.title)}</div>'
                     + (f"<pre>{e(chr(10).join(f.detail))}</pre>" if f.detail else "")
                     + f'<div class="fix">fix: {e(f.fix)}</div></div>')
    if r.notes:
        parts.append("<ul>" + "".join(f"<li>{e(n)}</li>" for n in r.notes) + "</ul>")
    return "\n".join(parts)


def render(reports, standalone: bool = True, **_) -> str:
    body = "\n".join(_report(r) for r in reports)
    if not standalone:
        return f"<div><style>{_CSS}</style>{body}</div>"
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>gradcheck report</title>"
            f"<style>{_CSS}</style></head><body><h1>gradcheck {VERSION}</h1>{body}</body></html>\n")
