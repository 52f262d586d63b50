"""The HTML report in a real headless browser: the pictures are drawn, not a blank page.

Needs Chromium (`.ci/run` installs Debian's `chromium` when it is absent); the
test is skipped, saying why, when no browser binary is found.
"""
import copy
import os
import shutil
import subprocess
import tempfile

import numpy as np
import pytest

from gradcheck.render import html, svg
from png import decode, pixels
from test_render_html import EXTRAS, with_extras
from zoo import planted_reports, reports_of

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
WIDTH, HEIGHT = 1200, 1600


def browser():
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    pytest.skip(f"no headless browser: none of {', '.join(BROWSERS)} is on PATH "
                "(.ci/run installs Debian's chromium: apt-get install -y chromium)")


def screenshot(page: str, tmp_path, keep: bool = False) -> tuple[int, int, list, int]:
    src = tmp_path / "report.html"
    src.write_text(page, encoding="utf-8")
    out = tmp_path / "report.png"
    with tempfile.TemporaryDirectory() as profile:
        cmd = [browser(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--hide-scrollbars", f"--user-data-dir={profile}", f"--screenshot={out}",
               f"--window-size={WIDTH},{HEIGHT}", src.as_uri()]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert out.exists(), f"the browser wrote no screenshot (exit {proc.returncode}): {proc.stderr[-2000:]}"
    if keep and os.environ.get("GRADCHECK_KEEP_SCREENSHOT"):  # to look at it
        shutil.copy(out, os.environ["GRADCHECK_KEEP_SCREENSHOT"])
    return decode(out.read_bytes())


def near(c, target, tol=40):
    return all(abs(a - b) <= tol for a, b in zip(c, target))


def rgb(hex_colour):
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


def test_plots_are_drawn_in_a_real_browser(tmp_path):
    # a real report with one wrong parameter: its gradient map has red and green bars
    r = with_extras(copy.copy(dict(planted_reports())["columns-scale"]))
    tol = r.extras["grad_tolerance"]
    assert sorted(k for k, v in r.extras["grad_error"].items() if v > tol[k]) == ["W1"]
    width, height, rows, bpp = screenshot(html.render([r]), tmp_path, keep=True)
    assert (width, height) == (WIDTH, HEIGHT)
    colours = {"user curve": rgb(svg.USER), "reference curve": rgb(svg.REFERENCE), "histogram": rgb(svg.HIST),
               "failing gradient bar": rgb(svg.BAD), "passing gradient bar": rgb(svg.GOOD)}
    count = dict.fromkeys(colours, 0)
    box = [width, height, 0, 0]  # the plot area: where plot colours are
    for x, y, c in pixels(rows, bpp):
        for name, target in colours.items():
            if near(c, target):
                count[name] += 1
                box = [min(box[0], x), min(box[1], y), max(box[2], x), max(box[3], y)]
                break
    for name, n in count.items():
        assert n >= 150, f"{name}: only {n} pixels of its colour in the screenshot ({count})"
    x0, y0, x1, y1 = box
    assert x1 - x0 > 400 and y1 - y0 > 200, f"plot area too small: {box}"
    area = [c for x, y, c in pixels(rows[y0:y1 + 1], bpp) if x0 <= x <= x1]
    ink = sum(1 for c in area if min(c) < 235)
    assert ink / len(area) > 0.05, f"the plot area is nearly blank ({ink} of {len(area)} pixels drawn)"


def test_a_report_without_pictures_still_renders(tmp_path):
    clean = copy.copy(reports_of("fixtures/core/rows_mlp.py")[0])
    clean.extras = {}
    width, height, rows, bpp = screenshot(html.render([clean]), tmp_path)
    dark = sum(1 for _, _, c in pixels(rows[:400], bpp) if max(c) < 100)
    assert dark > 500, "the headline and the findings text are not on the page"
