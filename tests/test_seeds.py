"""The five founding cases are diagnosed as the design's table says (first cause first)."""
import os

import pytest

from gradcheck import api
from conftest import ROOT

SEEDS = os.path.join(ROOT, "fixtures", "seeds")

# seed file -> causes that must be reported, the first one ranked first
TABLE = {
    "seed000_raw_pixels.py": ["unnormalized-inputs", "saturated-activations", "positive-init"],
    "seed001_eval_broadcast.py": ["eval-broadcast"],
    "seed003_momentum_on_weights.py": ["logits-not-probabilities", "rescaled-weights", "symmetric-init",
                                       "bottleneck-layer"],
    "seed004_nielsen_no_return.py": ["forward-returns-none"],
}


@pytest.fixture(scope="module")
def reports():
    return {name: api.check_file(os.path.join(SEEDS, name))[0] for name in os.listdir(SEEDS) if name.endswith(".py")}


@pytest.mark.parametrize("name", sorted(TABLE))
def test_seed_diagnosed_as_the_design_says(reports, name):
    r = reports[name]
    causes = r.causes()
    expected = TABLE[name]
    assert causes[0] == expected[0], causes
    assert r.findings[0].severity == "error"
    for c in expected:
        assert c in causes, (c, causes)
    assert r.exit_code == 1


def test_seed002_rashid_is_the_control(reports):
    r = reports["seed002_rashid.py"]
    assert r.errors == [], r.causes()
    assert set(r.causes()) <= {"approximate-gradient", "init-scale", "saturated-activations"}
    assert "approximate-gradient" in r.causes()
    assert r.exit_code == 0


def test_headline_names_the_stage(reports):
    assert reports["seed003_momentum_on_weights.py"].headline.startswith("Your backward pass is wrong")
    assert reports["seed000_raw_pixels.py"].headline.startswith("Your input data is the problem")
    assert reports["seed004_nielsen_no_return.py"].headline.startswith("Your program itself is broken")
