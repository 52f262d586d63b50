"""Shape exploration: re-run the gradient check on other layer widths and batch sizes.

Some gradient bugs are invisible at the size a network is written for: a
``dW`` transposed only "when the shape is wrong" is right on every
non-square weight and wrong on a square one; a sum over the wrong axis is
right when the batch has one sample. When the model can be rebuilt with other
sizes (a registered factory with a ``sizes`` argument, or a zero-config
textbook class), this probe asks hypothesis for small configurations (layer
widths 1..8, batch sizes 1, odd and larger), runs the gradient check on each
with synthetic data, and keeps the smallest one that fails.

It is cheap by construction: it runs only when the check at the model's own
size passed, on tiny networks, within a time budget (``Session.explore_seconds``),
and it is reproducible: hypothesis is derandomised and every configuration is
built and checked with the session's seed.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

NAME = "shape_exploration"
REQUIRES = ("gradients",)

MAX_WIDTH = 8
"""Largest layer width tried: small enough that a check takes milliseconds, large enough for odd and even."""
MAX_BATCH = 9
MAX_EXAMPLES = 60
"""Configurations hypothesis generates before giving up (shrinking a failure comes on top)."""


@dataclass
class ExplorationEvidence:
    tried: int
    """Configurations checked."""
    seconds: float
    budget: float
    seed: int
    default: dict
    """The model's own configuration: {"sizes": [...], "batch": n}."""
    failing: dict | None = None
    """The smallest configuration whose gradient check fails, or None."""
    nested: Any = field(default=None, repr=False)
    """The failing configuration's Evidence: its findings are judged like the model's own."""
    context: str = ""
    """How nested findings say where they were found."""


def _max_batch(model) -> int:
    return 3 if model.layout == "sample" else MAX_BATCH  # one call per sample: keep it cheap


def _passed(g, pat) -> bool:
    """The gradient check passed: nothing flagged, or only flags the reference overruled (kinks)."""
    if g is None:
        return False
    if not g.failed and g.scale > 0:
        return True
    if pat is not None and pat.source == "reference":
        return not pat.wrong or pat.sign_convention and not pat.explanations
    return False


def _config_key(cfg) -> tuple:
    sizes, batch = cfg
    return (sum(sizes) + batch, max(sizes), tuple(sizes), batch)


def run(session, evidence) -> ExplorationEvidence:
    from gradcheck.probes import ProbeSkipped

    model = session.model
    budget = getattr(session, "explore_seconds", 0.0) or 0.0
    g = evidence["gradients"]
    if budget <= 0:
        raise ProbeSkipped("shape exploration is off")
    if model.resize is None or not model.sizes:
        raise ProbeSkipped("the model cannot be rebuilt with other sizes (give the registered factory a "
                           "`sizes` argument to enable shape exploration)")
    if not _passed(evidence.get("gradients"), evidence.get("gradient_patterns")) or \
            any(k in evidence.failures for k in ("forward", "gradients")):
        raise ProbeSkipped("the check at the model's own size already failed")
    default = {"sizes": list(model.sizes), "batch": g.n}
    t0 = time.perf_counter()
    found: dict[tuple, Any] = {}
    tried = [0]

    def fails(cfg) -> bool:
        sizes, batch = cfg
        key = (tuple(sizes), batch)
        if key in found:
            return True
        if time.perf_counter() - t0 > budget:
            return False  # out of time: nothing more fails, so hypothesis stops quickly
        tried[0] += 1
        ev = _check(session, list(sizes), batch)
        if ev is not None:
            found[key] = ev
            return True
        return False

    _search(model, fails)
    seconds = time.perf_counter() - t0
    if not found:
        evidence.notes.append(f"shape exploration: {tried[0]} configurations (widths up to {MAX_WIDTH}, batch "
                              f"1..{_max_batch(model)}) in {seconds:.1f} s, seed {session.seed}: none fails")
        return ExplorationEvidence(tried[0], seconds, budget, session.seed, default)
    (sizes, batch), nested = min(found.items(), key=lambda kv: _config_key((list(kv[0][0]), kv[0][1])))
    failing = {"sizes": list(sizes), "batch": batch}
    context = (f"found by shape exploration at sizes {list(sizes)} with a batch of {batch} "
               f"(seed {session.seed}); the check at the model's own sizes {default['sizes']} passes")
    evidence.notes.append(f"shape exploration: {tried[0]} configurations in {seconds:.1f} s, seed {session.seed}: "
                          f"smallest failing configuration sizes {list(sizes)}, batch {batch}")
    return ExplorationEvidence(tried[0], seconds, budget, session.seed, default, failing, nested, context)


def _search(model, fails) -> None:
    """Let hypothesis look for a failing configuration and shrink it (derandomised: reproducible)."""
    from hypothesis import HealthCheck, Phase, find, settings
    from hypothesis import strategies as st
    from hypothesis.errors import Flaky, NoSuchExample, Unsatisfiable

    n_layers = len(model.sizes)
    widths = st.integers(1, MAX_WIDTH)
    sizes = st.tuples(*([widths] * (n_layers - 1) + [st.integers(2, MAX_WIDTH)]))
    batch = st.integers(1, _max_batch(model))
    cfg = st.tuples(sizes, batch)
    opts = settings(database=None, derandomize=True, max_examples=MAX_EXAMPLES, deadline=None,
                    suppress_health_check=list(HealthCheck), phases=[Phase.generate, Phase.shrink],
                    report_multiple_bugs=False)
    try:
        find(cfg, fails, settings=opts)
    except (NoSuchExample, Unsatisfiable, Flaky):
        pass
    except Exception:  # noqa: BLE001 - whatever hypothesis raises, the failures found so far stand
        pass


def _check(session, sizes: list[int], batch: int):
    """The gradient check of the model rebuilt at ``sizes`` on synthetic data; its Evidence if it fails."""
    from gradcheck import probes, state, usercode
    from gradcheck.batch import Batch
    from gradcheck.session import BadReturn, Session

    model = session.model
    np_state = np.random.get_state()
    try:
        np.random.seed(session.seed)
        try:
            m = usercode.call("factory", model.resize, tuple(sizes), budget=session.budget)
        except Exception:  # noqa: BLE001 - a size the user's code cannot build is not a gradient bug
            return None
        if m is None or not hasattr(m, "get_params"):
            return None
        rng = np.random.default_rng(session.seed)
        pool = max(2 * batch, 8)
        X = rng.normal(size=(pool, sizes[0]))
        labels = rng.integers(0, sizes[-1], size=pool)
        data = Batch(X, np.eye(sizes[-1])[labels], labels)
        s = Session(m, data, seed=session.seed, budget=session.budget)
        s.check_batch = batch
        ev = probes.Evidence(s)
        with state.preserved(m):
            for name in ("forward", "gradients", "gradient_patterns"):
                try:
                    ev.items[name] = probes.load(name).run(s, ev)
                except probes.ProbeSkipped:
                    continue
                except BadReturn as e:
                    if name == "forward" or e.role == "forward":
                        return None  # the model does not run at this size: not a gradient bug
                    ev.failures[name] = e
                    break
                except usercode.UserCodeError:
                    return None  # user code that cannot run at this size (hard-coded shapes)
                except Exception:  # noqa: BLE001 - a size gradcheck cannot analyse is not a finding
                    return None
        failed = getattr(ev.failures.get("gradients"), "kind", None) == "shape" or (
            ev.get("gradients") is not None and not _passed(ev.get("gradients"), ev.get("gradient_patterns")))
        return ev if failed else None
    finally:
        np.random.set_state(np_state)
