"""Small inline SVG plots, drawn by hand so the HTML report needs nothing else.

Three kinds, each a function returning one ``<svg>`` element as a string:

- ``line_chart``: curves over steps (loss, accuracy; the user's model against the reference);
- ``histogram``: one layer's activations, from precomputed ``edges`` and ``counts``;
- ``bar_map``: one horizontal bar per parameter on a log scale (gradient relative error)
  with the tolerance marked, bars over it in red.

No numpy: the inputs are the plain lists of ``Report.extras``. Values that are
not finite are skipped (a curve breaks there), never drawn at a made-up place.
"""
from __future__ import annotations

import math
from html import escape

USER = "#ff7f0e"
"""The user's model, in every plot."""
REFERENCE = "#1f77b4"
"""The reference network."""
HIST = "#9467bd"
GOOD = "#2ca02c"
BAD = "#d62728"
INK = "#333333"
GRID = "#e6e6e6"
FONT = "font-family:system-ui,-apple-system,'Segoe UI',sans-serif;font-size:11px"


def fmt(v: float) -> str:
    """A number in at most 4 significant digits: 0.5, 1.2e-05, 2300."""
    if v != v:
        return "nan"
    if v in (math.inf, -math.inf):
        return "inf" if v > 0 else "-inf"
    if v == 0:
        return "0"
    if 1e-3 <= abs(v) < 1e5:
        return f"{v:.4g}"
    m, e = f"{v:.1e}".split("e")
    return f"{m.replace('.0', '') if m.endswith('.0') else m}e{int(e)}"


def nice_ticks(lo: float, hi: float, n: int = 5, integer: bool = False) -> list[float]:
    """About ``n`` round tick values; the first is <= lo and the last >= hi."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return []
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / max(1, n - 1)
    mag = 10 ** math.floor(math.log10(raw))
    steps = (1, 2, 5, 10) if integer else (1, 2, 2.5, 5, 10)
    step = next(m * mag for m in steps if m * mag >= raw)
    if integer:
        step = max(1, round(step))
    first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    return [round(k * step, 12) for k in range(first, last + 1)]


def _finite(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


class _Frame:
    """Maps data to pixels inside the plot area of a ``width`` x ``height`` SVG."""

    def __init__(self, width, height, x_range, y_range, left=54, right=12, top=26, bottom=34):
        self.w, self.h = width, height
        self.x0, self.x1 = left, width - right
        self.y0, self.y1 = height - bottom, top  # pixel y of the data minimum / maximum
        self.xlo, self.xhi = x_range
        self.ylo, self.yhi = y_range
        if self.xhi == self.xlo:
            self.xhi = self.xlo + 1
        if self.yhi == self.ylo:
            self.yhi = self.ylo + 1

    def px(self, x: float) -> float:
        return self.x0 + (x - self.xlo) / (self.xhi - self.xlo) * (self.x1 - self.x0)

    def py(self, y: float) -> float:
        return self.y0 - (y - self.ylo) / (self.yhi - self.ylo) * (self.y0 - self.y1)

    def axes(self, xticks, yticks, xlabel="", ylabel="", xfmt=fmt, yfmt=fmt) -> list[str]:
        out = []
        for t in yticks:
            y = self.py(t)
            out.append(f'<line x1="{self.x0}" y1="{y:.1f}" x2="{self.x1}" y2="{y:.1f}" stroke="{GRID}"/>')
            out.append(f'<text x="{self.x0 - 4}" y="{y + 3.5:.1f}" text-anchor="end" fill="{INK}">{yfmt(t)}</text>')
        for t in xticks:
            x = self.px(t)
            out.append(f'<line x1="{x:.1f}" y1="{self.y0}" x2="{x:.1f}" y2="{self.y0 + 4}" stroke="{INK}"/>')
            out.append(f'<text x="{x:.1f}" y="{self.y0 + 15}" text-anchor="middle" fill="{INK}">{xfmt(t)}</text>')
        out.append(f'<rect x="{self.x0}" y="{self.y1}" width="{self.x1 - self.x0}" height="{self.y0 - self.y1}" '
                   f'fill="none" stroke="#bbbbbb"/>')
        if xlabel:
            out.append(f'<text x="{(self.x0 + self.x1) / 2:.1f}" y="{self.h - 4}" text-anchor="middle" '
                       f'fill="{INK}">{escape(xlabel)}</text>')
        if ylabel:
            cy = (self.y0 + self.y1) / 2
            out.append(f'<text x="12" y="{cy:.1f}" text-anchor="middle" fill="{INK}" '
                       f'transform="rotate(-90 12 {cy:.1f})">{escape(ylabel)}</text>')
        return out


def _svg(width: int, height: int, title: str, body: list[str], kind: str) -> str:
    t = escape(title)
    return (f'<svg class="gc-plot gc-{kind}" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{t}" style="{FONT}">'
            f'<title>{t}</title><rect width="{width}" height="{height}" fill="#ffffff"/>'
            f'<text x="8" y="16" font-weight="600" fill="{INK}">{t}</text>' + "".join(body) + "</svg>")


def _empty(width: int, height: int, title: str, message: str, kind: str) -> str:
    return _svg(width, height, title, [f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" '
                                       f'fill="#888888">{escape(message)}</text>'], kind)


def line_chart(series: list[tuple[str, list, str]], title: str, xlabel: str = "step", ylabel: str = "",
               width: int = 460, height: int = 250, xs: list | None = None) -> str:
    """Curves ``(label, values, colour)`` over their index, or over ``xs`` (the step of each value,
    for values measured every k steps); a legend names them."""
    def at(i: int) -> float:
        return float(xs[i]) if xs is not None and i < len(xs) else float(i)

    pts = [[(i, float(v)) for i, v in enumerate(vals) if _finite(v)] for _, vals, _ in series]
    ys = [y for p in pts for _, y in p]
    if not ys:
        return _empty(width, height, title, "no finite values to plot", "line")
    n = max(len(vals) for _, vals, _ in series)
    lo, hi = min(ys), max(ys)
    if hi == lo:  # a flat curve sits in the middle of the frame
        pad = abs(lo) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    yt = nice_ticks(lo, hi)
    x_end = max(1.0, at(n - 1))
    xt = [t for t in nice_ticks(0, x_end, 6, integer=True) if t <= x_end]
    fr = _Frame(width, height, (0, x_end), (yt[0], yt[-1]))
    body = fr.axes(xt, yt, xlabel, ylabel, xfmt=lambda t: str(int(t)))
    for (label, vals, colour), p in zip(series, pts):
        path, prev = [], None
        for i, y in p:
            path.append(f"{'L' if prev == i - 1 else 'M'}{fr.px(at(i)):.1f},{fr.py(y):.1f}")
            prev = i
        if len(p) == 1:
            i, y = p[0]
            body.append(f'<circle cx="{fr.px(at(i)):.1f}" cy="{fr.py(y):.1f}" r="3" fill="{colour}"/>')
        body.append(f'<path d="{" ".join(path)}" fill="none" stroke="{colour}" stroke-width="2.5" '
                    f'stroke-linejoin="round"><title>{escape(label)}</title></path>')
    x = fr.x1  # legend in the title row, right-aligned: it never covers a curve
    for label, _, colour in reversed(series):
        x -= 6.5 * len(label) + 4
        body.append(f'<text x="{x:.1f}" y="16" fill="{INK}">{escape(label)}</text>'
                    f'<line x1="{x - 22:.1f}" y1="12" x2="{x - 4:.1f}" y2="12" stroke="{colour}" stroke-width="3"/>')
        x -= 34
    return _svg(width, height, title, body, "line")


def histogram(edges: list, counts: list, title: str, width: int = 300, height: int = 190,
              colour: str = HIST) -> str:
    """Bars of ``counts`` between consecutive ``edges`` (len(edges) == len(counts) + 1)."""
    ok = (len(edges) == len(counts) + 1 and len(counts) > 0 and all(_finite(e) for e in edges)
          and all(_finite(c) and c >= 0 for c in counts))
    if not ok:
        return _empty(width, height, title, "histogram data is malformed", "hist")
    top = max(counts) or 1
    yt = nice_ticks(0, top, 4)
    xt = [t for t in nice_ticks(edges[0], edges[-1], 5) if edges[0] <= t <= edges[-1]]
    fr = _Frame(width, height, (edges[0], edges[-1]), (0, yt[-1]), left=44)
    body = fr.axes(xt, yt, "activation", "count")
    total = sum(counts) or 1
    for lo, hi, c in zip(edges, edges[1:], counts):
        if c <= 0:
            continue
        x, x2, y = fr.px(lo), fr.px(hi), fr.py(c)
        body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(1.0, x2 - x - 0.5):.1f}" '
                    f'height="{fr.y0 - y:.1f}" fill="{colour}"><title>[{fmt(lo)}, {fmt(hi)}): {fmt(c)} '
                    f'({100 * c / total:.1f}%)</title></rect>')
    return _svg(width, height, title, body, "hist")


def bar_map(values: dict, title: str, tolerance: dict | float | None = None, width: int = 460,
            floor: float = 1e-12) -> str:
    """One bar per name on a log scale from ``floor``; red when over its tolerance, green otherwise."""
    names = list(values)
    if not names:
        return _empty(width, 80, title, "no parameters", "bars")
    row, top, bottom = 22, 40, 34
    height = top + row * len(names) + bottom
    label_w = min(160, 14 + 7 * max(len(str(n)) for n in names))
    vals = [float(values[k]) if _finite(values[k]) else math.inf for k in names]
    tols = {k: (tolerance.get(k) if isinstance(tolerance, dict) else tolerance) for k in names}
    finite = [v for v in vals if math.isfinite(v) and v > 0]
    hi_exp = max(0, math.ceil(math.log10(max(finite)))) if finite else 0
    lo_exp = math.floor(math.log10(floor))
    fr = _Frame(width, height, (lo_exp, hi_exp), (0, len(names)), left=label_w, right=70, top=top, bottom=bottom)
    step = max(1, math.ceil((hi_exp - lo_exp) / 7))
    xt = list(range(lo_exp, hi_exp + 1, step))
    body = fr.axes(xt, [], "relative error (log scale)", xfmt=lambda t: f"1e{int(t)}")
    for i, (name, v) in enumerate(zip(names, vals)):
        y = fr.y1 + i * row + 4
        tol = tols[name]
        bad = not math.isfinite(v) or (tol is not None and v > tol)
        e = hi_exp if not math.isfinite(v) else math.log10(max(v, floor))
        x2 = fr.px(min(max(e, lo_exp), hi_exp))
        colour = BAD if bad else GOOD
        label = "not finite" if not math.isfinite(v) else fmt(v)
        body.append(f'<text x="{fr.x0 - 6}" y="{y + 12}" text-anchor="end" fill="{INK}">{escape(str(name))}</text>')
        body.append(f'<rect x="{fr.x0}" y="{y}" width="{max(2.0, x2 - fr.x0):.1f}" height="{row - 8}" '
                    f'fill="{colour}"><title>{escape(str(name))}: {label}'
                    f'{f" (tolerance {fmt(tol)})" if tol is not None else ""}</title></rect>')
        body.append(f'<text x="{max(x2, fr.x0 + 2) + 4:.1f}" y="{y + 12}" fill="{INK}">{label}</text>')
    tol_vals = {t for t in tols.values() if t is not None and t > 0}
    for t in sorted(tol_vals):
        x = fr.px(math.log10(t))
        body.append(f'<line x1="{x:.1f}" y1="{fr.y1 - 2}" x2="{x:.1f}" y2="{fr.y0}" stroke="{INK}" '
                    f'stroke-dasharray="4 3"/>')
        body.append(f'<text x="{x:.1f}" y="{fr.y1 - 5}" text-anchor="middle" fill="{INK}">tolerance {fmt(t)}</text>')
    return _svg(width, height, title, body, "bars")
