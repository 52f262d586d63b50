"""Cost of the dynamics probes (architecture, inputs, init, activations, leakage) per fixture.

Prints seconds per probe and the forward calls each made, next to the
gradient probe for scale. Usage:
    python benchmarks/dynamics_probes.py [--only SUBSTRING]
"""
from __future__ import annotations

import argparse
import glob
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from gradcheck import discover, probes, state  # noqa: E402
from gradcheck.session import prepare  # noqa: E402

PROBES = ("gradients", "architecture", "inputs", "init", "activations", "leakage")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--only", default="")
    args = ap.parse_args(argv)
    files = sorted(glob.glob(os.path.join(ROOT, "fixtures", "dynamics", "*.py")) +
                   glob.glob(os.path.join(ROOT, "fixtures", "seeds", "*.py")) +
                   glob.glob(os.path.join(ROOT, "fixtures", "core", "*.py")))
    print(f"{'model':52s} " + " ".join(f"{p[:8]:>14s}" for p in PROBES))
    totals = {p: 0.0 for p in PROBES}
    for path in files:
        if args.only not in path:
            continue
        for found in discover.find(path):
            model = discover.build(found)
            with state.preserved(model):
                s = prepare(model)
                ev = probes.Evidence(s)
                cells = []
                for name in probes.PROBES:
                    mod = probes.load(name)
                    if any(r not in ev for r in mod.REQUIRES):
                        if name in PROBES:
                            cells.append(f"{'-':>14s}")
                        continue
                    before = s.calls.get("forward", 0)
                    t = time.perf_counter()
                    try:
                        ev.items[name] = mod.run(s, ev)
                    except Exception:  # noqa: BLE001 - a failing probe is shown as failed
                        pass
                    dt = time.perf_counter() - t
                    if name in PROBES:
                        totals[name] += dt
                        cells.append(f"{dt * 1000:7.1f}ms/{s.calls.get('forward', 0) - before:<4d}")
            print(f"{os.path.relpath(path, ROOT)[:40] + '::' + found.name:52s} " + " ".join(cells))
    print("totals (s): " + ", ".join(f"{p} {v:.2f}" for p, v in totals.items()))
    print("cells: milliseconds / forward calls")
    return 0


if __name__ == "__main__":
    sys.exit(main())
