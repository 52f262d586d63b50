"""Shape audit overhead on the seed fixtures, as ratios (medians of repeats, same process).

For every seed fixture, prints:
  plain      seconds of the check without the shapes probe (median of --repeats)
  audited    seconds of the full check, shapes probe included
  ratio      audited / plain: what the audit costs the whole check
  twins      the shapes probe with its recording on / the same probe with the
             recording twins left off: how much slower the user's own code runs
             while its operations are recorded
  left on    live functions still running the recording code after the audit:
             0 means the user's code runs its original bytecode again, so the
             audit costs nothing once it is off
Usage:
    python benchmarks/bench_shapes.py [--repeats 7]
"""
from __future__ import annotations

import argparse
import contextlib
import glob
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from gradcheck import audit, discover, pipeline, probes  # noqa: E402
from gradcheck import session as session_mod  # noqa: E402
from gradcheck.probes import shapes as shapes_probe  # noqa: E402


def _seconds(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


@contextlib.contextmanager
def _without_shapes_probe():
    saved = list(probes.PROBES)
    probes.PROBES[:] = [p for p in saved if p != "shapes"]
    try:
        yield
    finally:
        probes.PROBES[:] = saved


@contextlib.contextmanager
def _twins_off():
    """The shapes probe as it is, except that the recording twins are never swapped in."""
    real = shapes_probe.audit.recording

    @contextlib.contextmanager
    def off(files, rec):
        yield rec

    shapes_probe.audit.recording = off
    try:
        yield
    finally:
        shapes_probe.audit.recording = real


def _probe_once(model):
    from gradcheck import state

    with state.preserved(model):
        s = session_mod.prepare(model, seed=0)
        ev = probes.Evidence(s)
        try:
            shapes_probe.run(s, ev)
        except probes.ProbeSkipped:
            pass


def _left_on_twins(path: str) -> int:
    """Live functions of the file still running recording code (0: the audit is fully off)."""
    import gc
    import types

    twins = {id(t) for f in audit.files_for(path) for _, t in f.twins.values()}
    return sum(1 for o in gc.get_objects() if isinstance(o, types.FunctionType) and id(o.__code__) in twins)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=11, help="Repeats per figure (median). Default: 11")
    args = ap.parse_args(argv)
    files = sorted(glob.glob(os.path.join(ROOT, "fixtures", "seeds", "seed*.py")))
    print(f"{'fixture':34s} {'plain s':>8s} {'audited s':>9s} {'ratio':>6s} {'twins':>6s} {'left on':>7s}")
    ratios, twins = [], []
    for path in files:
        model = discover.build(discover.find(path)[0])
        runs = {"plain": [], "audited": [], "probe off": [], "probe on": []}
        for _ in range(args.repeats):  # interleaved, so a busy machine slows every figure alike
            with _without_shapes_probe():
                runs["plain"].append(_seconds(lambda: pipeline.check(model)))
            runs["audited"].append(_seconds(lambda: pipeline.check(model)))
            with _twins_off():
                runs["probe off"].append(_seconds(lambda: _probe_once(model)))
            runs["probe on"].append(_seconds(lambda: _probe_once(model)))
        m = {k: statistics.median(v) for k, v in runs.items()}
        r, t = m["audited"] / m["plain"], m["probe on"] / m["probe off"]
        ratios.append(r)
        twins.append(t)
        print(f"{os.path.basename(path):34s} {m['plain']:8.3f} {m['audited']:9.3f} {r:6.2f} {t:6.2f} "
              f"{_left_on_twins(path):7d}")
    print(f"{'median':34s} {'':8s} {'':9s} {statistics.median(ratios):6.2f} {statistics.median(twins):6.2f}")
    print(f"instrumented operations (sites) in the seed files: "
          f"{sum(len(f.sites) for p in files for f in audit.files_for(p))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
