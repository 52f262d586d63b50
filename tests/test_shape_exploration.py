"""Shape exploration: a gradient bug that the model's own sizes hide is found at the smallest size that shows it."""
import os

import gradcheck
from gradcheck import api
from nets import finding_causes, mlp

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
HIDDEN = os.path.join(HERE, "files", "transpose_if_shape_wrong.py")


def test_transposed_gradient_hidden_by_non_square_default_is_found():
    (r,) = api.check_file(HIDDEN)
    f = r.findings[0]
    assert (f.cause, f.where.param) == ("gradient-transposed", "W2")
    config = f.evidence["configuration"]
    sizes = config["sizes"]
    assert sizes[1] == sizes[2] >= 2          # W2 is square there
    assert sum(sizes) <= 6 and config["batch"] <= 3   # and the configuration is a small one
    assert f.evidence["default_configuration"]["sizes"] == [784, 20, 10]
    assert any("found by shape exploration" in d for d in f.detail)
    assert any(c.name == "shape_exploration" and c.status == "failed" for c in r.checks)


def test_shape_exploration_is_reproducible():
    (a,) = api.check_file(HIDDEN)
    (b,) = api.check_file(HIDDEN)
    assert a.findings[0].evidence["configuration"] == b.findings[0].evidence["configuration"]


def test_shape_exploration_can_be_turned_off():
    (r,) = api.check_file(HIDDEN, explore=0)
    assert finding_causes(r) == []


def test_correct_zero_config_network_explored_without_false_alarm():
    (r,) = api.check_file(os.path.join(ROOT, "fixtures", "core", "nielsen_ok.py"))
    assert finding_causes(r) == []
    assert any(n.startswith("shape exploration:") and "none fails" in n for n in r.notes)


def test_model_without_sizes_is_not_explored():
    r = gradcheck.check(mlp())
    assert finding_causes(r) == []
    assert any(c.name == "shape_exploration" and c.status == "skipped" for c in r.checks)


def test_resize_is_found_on_registered_factories_with_sizes():
    from gradcheck import discover

    (found,) = discover.find(HIDDEN)
    m = discover.build(found)
    assert m.sizes == (784, 20, 10)
    small = m.resize((3, 4, 2))
    assert {k: v.shape for k, v in small.get_params().items()} == {"W1": (3, 4), "b1": (4,), "W2": (4, 2), "b2": (2,)}
