"""The HTML report: one self-contained page, pictures drawn from Report.extras, the same in Jupyter."""
import re
import xml.etree.ElementTree as ET

from html import escape

import numpy as np

import gradcheck
from gradcheck.render import html, svg
from nets import mlp
from zoo import all_reports

EXTRAS = {
    "loss_curve": {"user": [2.3, 2.2, 2.0, 1.7, 1.5, 1.4, 1.3, 1.25, 1.2, 1.18],
                   "reference": [2.3, 1.9, 1.4, 1.0, 0.8, 0.6, 0.5, 0.45, 0.4, 0.38]},
    "accuracy_curve": {"user": [0.1, 0.2, 0.35, 0.5, 0.6, 0.65, 0.7, 0.72, 0.74, 0.75]},
    "activation_hist": {
        "layer 1 (sigmoid)": {"edges": np.linspace(0, 1, 21).tolist(),
                              "counts": [400, 60, 40, 30, 20, 15, 12, 10, 9, 8, 8, 9, 10, 12, 15, 20, 30, 40, 60, 420]},
    },
}


def with_extras(report, extras=EXTRAS):
    """``report`` with pictures' data added (the probes that make them are not written yet)."""
    report.extras = {**report.extras, **extras}
    return report


def svgs(page):
    return re.findall(r"<svg.*?</svg>", page, flags=re.S)


def test_page_is_self_contained():
    page = html.render(all_reports()[:4])
    assert page.startswith("<!doctype html>")
    assert "<script" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page), "no external resource"
    assert "@import" not in page and "url(" not in page


def test_gradient_error_map_comes_from_the_gradient_probe():
    r = gradcheck.check(mlp(bug=lambda g, *a: g.__setitem__("W1", g["W1"] * 0.5)))
    assert set(r.extras["grad_error"]) == {"W1", "b1", "W2", "b2"}
    assert r.extras["grad_error"]["W1"] > r.extras["grad_tolerance"]["W1"] > r.extras["grad_error"]["W2"]
    pics = svgs(html.render([r]))
    bars = [p for p in pics if "gc-bars" in p]
    assert len(bars) == 1 and svg.BAD in bars[0] and svg.GOOD in bars[0] and "tolerance" in bars[0]


def test_every_picture_is_drawn_when_its_data_is_present():
    r = with_extras(gradcheck.check(mlp()))
    page = html.render([r])
    kinds = [re.search(r'class="gc-plot gc-(\w+)"', p).group(1) for p in svgs(page)]
    assert kinds == ["line", "line", "bars", "hist"]
    assert "your model" in page and "reference" in page
    assert 'class="gc-missing"' not in page


def test_absent_pictures_are_named_not_drawn_empty():
    r = gradcheck.check(mlp())
    r.extras.pop("loss_curve", None)                      # as when the training probe could not run
    r.extras.pop("accuracy_curve", None)
    page = html.render([r])
    assert "Loss curves: no training run was recorded" in page
    assert "Activation histograms: no activations were recorded" in page
    assert [p for p in svgs(page) if "gc-bars" in p]  # the gradient map is there


def test_svg_is_well_formed_xml_and_survives_bad_numbers():
    pics = [svg.line_chart([("a", [1.0, float("nan"), 0.5, float("inf"), 0.2], svg.USER)], "t & <b>"),
            svg.line_chart([("a", [float("nan")] * 3, svg.USER)], "all nan"),
            svg.line_chart([("flat", [1.0] * 5, svg.USER), ("one", [3.0], svg.REFERENCE)], "flat"),
            svg.histogram([0, 1, 2], [5, 0], "h"), svg.histogram([0, 1], [1, 2], "malformed"),
            svg.bar_map({"W1": float("nan"), "b1": 0.0, "W<2>": 1e30}, "map", tolerance=1e-4),
            svg.bar_map({}, "none")]
    for p in pics:
        ET.fromstring(p)
    assert "no finite values" in pics[1] and "malformed" in pics[4] and "not finite" in pics[5]


def test_malformed_extras_do_not_break_the_page():
    r = with_extras(gradcheck.check(mlp()), {"loss_curve": [1, 2], "activation_hist": {"l": "x"},
                                             "grad_error": {"W1": "nan?"}})
    page = html.render([r])
    assert "Loss curves" in page


def test_repr_html_is_the_same_report_as_a_fragment():
    r = with_extras(gradcheck.check(mlp(bug=lambda g, *a: g.__setitem__("W1", g["W1"] * 0.5))))
    frag = r._repr_html_()
    assert frag.startswith('<div class="gc">') and "<html" not in frag and "<body" not in frag
    assert len(svgs(frag)) == len(svgs(html.render([r]))) == 4
    assert "gradient-scale" in frag and "fix:" in frag
    # styles are scoped to the report, so they do not restyle the notebook
    css = re.search(r"<style>(.*?)</style>", frag, flags=re.S).group(1)
    rules = [s.strip() for s in re.findall(r"(?:^|})\s*([^{}]+)\{", css)]
    assert rules and all(sel.startswith(".gc") for rule in rules for sel in rule.split(",")), rules


def test_findings_in_the_page_keep_rank_and_the_fix():
    r = next(r for r in all_reports() if len(r.findings) >= 2)
    page = html.render([r])
    positions = [page.index(f'id="gc-{"".join(c if c.isalnum() else "-" for c in r.target)}-{i}"')
                 for i in range(1, len(r.findings) + 1)]
    assert positions == sorted(positions)
    for f in r.findings:
        assert f"fix: {escape(f.fix)}" in page
