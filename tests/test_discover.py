"""Finding models in user files: registration, zero-config, safe import."""
import os

import pytest

from gradcheck import discover
from conftest import ROOT

FILES = os.path.join(os.path.dirname(__file__), "files")


def test_registered_models_found_with_sibling_import_and_main_not_run():
    found = discover.find(os.path.join(FILES, "uses_sibling.py"))
    assert [f.name for f in found] == ["small", "other"]  # the Nielsen-like class is ignored
    m = discover.build(found[0])
    assert m.name == "small" and m.source.endswith("uses_sibling.py")


def test_pick_one_model_by_name():
    found = discover.find(os.path.join(FILES, "uses_sibling.py") + "::other")
    assert [f.name for f in found] == ["other"]
    with pytest.raises(discover.DiscoveryError, match="no model named 'nope'"):
        discover.find(os.path.join(FILES, "uses_sibling.py") + "::nope")


def test_zero_config_nielsen_and_rashid():
    (n,) = discover.find(os.path.join(ROOT, "fixtures/core/nielsen_ok.py"))
    assert n.kind == "nielsen"
    m = discover.build(n)
    assert list(m.get_params()) == ["W1", "b1", "W2", "b2"] and m.layout == "sample"
    (r,) = discover.find(os.path.join(ROOT, "fixtures/seeds/seed002_rashid.py"))
    m = discover.build(r)
    assert r.kind == "rashid" and m.backward is None and set(m.get_params()) == {"wih", "who"}


def test_import_time_training_is_stopped_with_advice():
    with pytest.raises(discover.DiscoveryError, match="__main__"):
        discover.find(os.path.join(FILES, "trains_at_import.py"), budget=0.5)


@pytest.mark.parametrize("name,match", [
    ("missing.py", "no such file"),
    ("syntax_error.py", r"syntax_error.py:1: syntax error"),
    ("no_model.py", "no model found"),
])
def test_bad_files(name, match):
    with pytest.raises(discover.DiscoveryError, match=match):
        discover.find(os.path.join(FILES, name))


def test_factory_raising_is_bad_input():
    (f,) = discover.find(os.path.join(FILES, "factory_raises.py"))
    with pytest.raises(discover.DiscoveryError, match="ValueError: cannot build"):
        discover.build(f)
