"""Print what the oracle concludes on every fixture, and how long it takes.

    python benchmarks/oracle_runs.py [FIXTURE.py ...]

One row per fixture: the oracle's verdict, the first quantity that differs from
the reference, held-out accuracy of the user's model and of the reference after
the side-by-side run, the change that makes the reference learn, what that
change (or the correct gradient) does to the user's own model, and the seconds
the oracle probe took. Numbers are reproducible for a seed; seconds are not.
"""
from __future__ import annotations

import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from expectations import collect  # noqa: E402

from gradcheck import discover, probes, state  # noqa: E402
from gradcheck.causes import all_causes  # noqa: E402
from gradcheck.session import prepare  # noqa: E402


def evidence(found, seed: int = 0):
    model = discover.build(found, seed=seed)
    seconds = {}
    with state.preserved(model):
        np.random.seed(seed)
        session = prepare(model, seed=seed)
        ev = probes.Evidence(session)
        for name in probes.PROBES:
            mod = probes.load(name)
            if any(r not in ev for r in mod.REQUIRES):
                continue
            t = time.perf_counter()
            try:
                ev.items[name] = mod.run(session, ev)
            except probes.ProbeSkipped:
                pass
            except Exception as e:  # noqa: BLE001 - a fixture whose code fails still gets a row
                ev.failures[name] = e
            seconds[name] = time.perf_counter() - t
    return ev, seconds


def pct(x) -> str:
    return "  -  " if x is None else f"{100 * x:4.0f}%"


def row(found) -> str:
    ev, seconds = evidence(found)
    name = os.path.relpath(found.target, os.path.join(ROOT, "fixtures"))
    o = ev.get("oracle")
    if o is None:
        return f"{name:48s} (no oracle: {'forward failed' if 'forward' in ev.failures else 'skipped'})"
    d = o.diagnosis
    q = o.differential.first
    first = f"{q.kind} {q.name}" if q else "-"
    best = "+".join(d.best) if d and d.best else "-"
    fixes = ", ".join(f"{k} {pct(t.accuracy).strip()}" for k, t in d.fixes.items()) if d else ""
    ref = d.counterfactuals.get("+".join(d.best)) if d and d.best else None
    return (f"{name:48s} {o.verdict or '-':13s} {first:16s} {pct(d.user.final_accuracy) if d else '':6s}"
            f"{pct(d.reference.final_accuracy) if d else '':6s} {best:32s} {pct(ref.accuracy) if ref else '  -  ':6s}"
            f" {fixes:44s} {seconds.get('oracle', 0):5.2f}s")


def main(paths: list[str]) -> None:
    paths = paths or [e.path for e in collect(set(all_causes()))]
    print(f"{'fixture':48s} {'verdict':13s} {'first diff':16s} {'user':6s}{'ref':6s} {'change that works':32s}"
          f" {'ref+ch':6s} {'fixes tried on your model':44s} {'time':>6s}")
    total = time.perf_counter()
    for p in paths:
        for found in discover.find(p):
            print(row(found), flush=True)
    print(f"total {time.perf_counter() - total:.1f}s")


if __name__ == "__main__":
    main(sys.argv[1:])
