"""One self-contained HTML page: the findings and the pictures, with no external resource.

Everything is inline (CSS, SVG): the file opens offline, from an e-mail or a CI
artifact, and the same markup (``standalone=False``) is what
``Report._repr_html_`` shows in Jupyter. Per report: the headline and verdict,
the ranked causes, the pictures, each finding in full, then notes and checks.

Pictures come from ``Report.extras`` (keys documented in ``gradcheck.report.EXTRAS``):
a picture is drawn only when its data is present, and the page says which are
absent and why, instead of drawing an empty frame.
"""
from __future__ import annotations

import html as _html
import json as _json
import os

from gradcheck.render import svg
from gradcheck.render.text import counts, location, overall
from gradcheck.report import VERSION, Finding, Report

e = _html.escape

_CSS = """
.gc{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;color:#222;line-height:1.4;max-width:980px}
.gc h1{font-size:1.4em;margin:.2em 0 .6em}.gc h2{font-size:1.15em;margin:.3em 0}
.gc h3{font-size:1em;margin:1.4em 0 .4em;border-bottom:1px solid #ddd;padding-bottom:.2em}
.gc .gc-report{border:1px solid #ddd;border-radius:6px;padding:1em 1.2em;margin:1em 0;background:#fff}
.gc .gc-meta{color:#666;font-size:.9em}.gc code,.gc pre,.gc .gc-where{font-family:ui-monospace,Menlo,Consolas,monospace}
.gc .gc-badge{display:inline-block;border-radius:3px;padding:0 .45em;color:#fff;font-size:.85em;font-weight:600}
.gc .gc-bugs-found,.gc .gc-error{background:#c62828}.gc .gc-warnings,.gc .gc-warning{background:#e69500}
.gc .gc-clean{background:#2e7d32}.gc .gc-info{background:#0277bd}
.gc table{border-collapse:collapse;margin:.3em 0}.gc td,.gc th{padding:.15em .7em .15em 0;text-align:left;
vertical-align:top}.gc th{font-weight:600;color:#555;font-size:.9em}
.gc .gc-conf{display:inline-block;width:60px;height:8px;background:#eee;margin-right:.4em}
.gc .gc-conf span{display:block;height:8px;background:#555}
.gc .gc-plots{display:flex;flex-wrap:wrap;gap:12px}.gc .gc-plots svg{border:1px solid #e3e3e3;border-radius:4px}
.gc .gc-nowrap{white-space:nowrap}.gc .gc-missing{color:#777;font-size:.9em;margin:.3em 0}
.gc .gc-finding{border-left:4px solid #999;padding:.4em .8em;margin:.8em 0;background:#fafafa}
.gc .gc-finding.error{border-color:#c62828}.gc .gc-finding.warning{border-color:#e69500}
.gc .gc-finding.info{border-color:#0277bd}.gc .gc-where{color:#555;font-size:.92em}
.gc .gc-fix{font-weight:600;margin-top:.2em}.gc pre{margin:.3em 0;white-space:pre-wrap;font-size:.88em}
.gc details{margin-top:.3em;font-size:.9em;color:#555}.gc ul{margin:.2em 0;padding-left:1.3em}
"""

_ABSENT = {
    "loss_curve": "Loss curves: no training run was recorded for this model.",
    "accuracy_curve": "Accuracy curves: no accuracy was recorded during training.",
    "activation_hist": "Activation histograms: no activations were recorded.",
    "grad_error": "Gradient error map: the gradient check did not run (see the checks below).",
}


def _confidence(c: float) -> str:
    return f'<span class="gc-conf" title="confidence {c:.2f}"><span style="width:{100 * c:.0f}%"></span></span>{c:.2f}'


def _where(f: Finding) -> str:
    w = f.where
    parts = [p for p in (f"param {w.param}" if w.param else "", f"layer {w.layer}" if w.layer is not None else "",
                         location(f)) if p]
    return " &middot; ".join(e(p) for p in parts)


def _short_where(f: Finding) -> str:
    w = f.where
    parts = [p for p in (w.param or "", f"layer {w.layer}" if w.layer is not None else "",
                         os.path.basename(w.file) + (f":{w.line}" if w.line else "") if w.file else "") if p]
    return f'<span title="{e(location(f))}">' + " &middot; ".join(e(p) for p in parts) + "</span>"


def _ranked(r: Report) -> str:
    rows = "".join(
        f'<tr><td>{i}.</td><td class="gc-nowrap"><a href="#{_anchor(r, i)}"><code>{e(f.cause)}</code></a></td>'
        f'<td><span class="gc-badge gc-{f.severity}">{f.severity}</span></td>'
        f'<td class="gc-nowrap">{_confidence(f.confidence)}</td><td class="gc-where">{_short_where(f)}</td></tr>'
        for i, f in enumerate(r.findings, 1))
    return ('<table class="gc-ranked"><tr><th></th><th>cause (most likely first)</th><th>severity</th>'
            f'<th>confidence</th><th>where</th></tr>{rows}</table>')


def _anchor(r: Report, i: int) -> str:
    slug = "".join(c if c.isalnum() else "-" for c in r.target)
    return f"gc-{slug}-{i}"


def _finding(r: Report, f: Finding, i: int) -> str:
    detail = f"<pre>{e(chr(10).join(f.detail))}</pre>" if f.detail else ""
    evidence = _json.dumps(f.to_dict()["evidence"], indent=1, ensure_ascii=False)
    confirmed = " &middot; fix confirmed" if f.confirmed else ""
    return (f'<div class="gc-finding {f.severity}" id="{_anchor(r, i)}">'
            f'<div><b>{i}. <code>{e(f.cause)}</code></b> <span class="gc-badge gc-{f.severity}">{f.severity}</span> '
            f'confidence {f.confidence:.2f}{confirmed}</div>'
            + (f'<div class="gc-where">{_where(f)}</div>' if _where(f) else "")
            + f'<div>{e(f.title)}</div>{detail}<div class="gc-fix">fix: {e(f.fix)}</div>'
            f'<details><summary>evidence</summary><pre>{e(evidence)}</pre>'
            f'<div>docs: <code>gradcheck explain {e(f.cause)}</code></div></details></div>')


def _curve(data, title: str, ylabel: str, steps=None) -> str | None:
    if not isinstance(data, dict):
        return None
    series = [(label, data[key], colour) for key, label, colour in
              (("user", "your model", svg.USER), ("reference", "reference", svg.REFERENCE))
              if isinstance(data.get(key), (list, tuple)) and len(data[key])]
    xs = steps if isinstance(steps, (list, tuple)) and series and len(steps) == len(series[0][1]) else None
    return svg.line_chart(series, title, ylabel=ylabel, xs=xs) if series else None


def plots(extras: dict) -> tuple[list[str], list[str]]:
    """(the SVG pictures that ``extras`` has data for, a sentence for each that it has not)."""
    drawn, absent = [], []
    extras = extras if isinstance(extras, dict) else {}
    for key, title, ylabel in (("loss_curve", "Loss during training", "loss"),
                               ("accuracy_curve", "Accuracy during training", "accuracy")):
        steps = extras.get("curve_steps")
        pic = _curve(extras.get(key), title, ylabel, steps.get("user") if isinstance(steps, dict) else None)
        (drawn.append(pic) if pic else absent.append(_ABSENT[key]))
    grad = extras.get("grad_error")
    if isinstance(grad, dict) and grad:
        drawn.append(svg.bar_map(grad, "Gradient relative error per parameter",
                                 tolerance=extras.get("grad_tolerance")))
    else:
        absent.append(_ABSENT["grad_error"])
    hists = extras.get("activation_hist")
    if isinstance(hists, dict) and hists:
        for layer, h in hists.items():
            if isinstance(h, dict):
                drawn.append(svg.histogram(list(h.get("edges", [])), list(h.get("counts", [])),
                                           f"Activations: {layer}"))
    else:
        absent.append(_ABSENT["activation_hist"])
    return drawn, absent


def _checks(r: Report) -> str:
    rows = "".join(f"<tr><td>{e(c.name)}</td><td>{e(c.status)}</td><td>{c.seconds:.2f} s</td>"
                   f"<td>{e(c.note)}</td></tr>" for c in r.checks)
    return f"<table><tr><th>check</th><th>status</th><th>time</th><th>note</th></tr>{rows}</table>"


def report(r: Report) -> str:
    """One report as an HTML section."""
    parts = ['<section class="gc-report">',
             f'<div class="gc-meta">gradcheck {VERSION} &middot; <code>{e(r.target)}</code> &middot; '
             f'seed {r.seed}</div>',
             f'<h2><span class="gc-badge gc-{r.verdict}">{e(r.verdict)}</span> {e(r.headline or r.verdict)}</h2>',
             f'<div class="gc-meta">{e(counts(r))}</div>']
    if r.findings:
        parts.append(_ranked(r))
    drawn, absent = plots(r.extras)
    parts.append("<h3>Pictures</h3>")
    if drawn:
        parts.append('<div class="gc-plots">' + "".join(drawn) + "</div>")
    parts += [f'<p class="gc-missing">{e(a)}</p>' for a in absent]
    if r.findings:
        parts.append("<h3>Findings</h3>")
        parts += [_finding(r, f, i) for i, f in enumerate(r.findings, 1)]
    parts.append("<h3>Notes and checks</h3>")
    if r.notes:
        parts.append("<ul>" + "".join(f"<li>{e(n)}</li>" for n in r.notes) + "</ul>")
    parts.append(_checks(r))
    parts.append("</section>")
    return "\n".join(parts)


def render(reports: list[Report], standalone: bool = True, **_) -> str:
    """The page for ``reports``; ``standalone=False`` gives the fragment Jupyter embeds."""
    head = f"<p><b>{e(overall(reports))}</b></p>" if len(reports) > 1 else ""
    body = head + "\n".join(report(r) for r in reports)
    if not standalone:
        return f'<div class="gc"><style>{_CSS}</style>{body}</div>'
    title = e(reports[0].target) if len(reports) == 1 else f"{len(reports)} models"
    return ("<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width,initial-scale=1'>"
            f"<title>gradcheck: {title}</title><style>body{{margin:1.5em;background:#f6f6f6}}{_CSS}</style>"
            f"</head><body><div class='gc'><h1>gradcheck report</h1>{body}</div></body></html>\n")
