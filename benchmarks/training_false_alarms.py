"""False alarms of the update causes on correct networks: counts per cause over many seeds.

Usage: python benchmarks/training_false_alarms.py [SEEDS]   (default 5)
Runs tests/nets.py's correct networks (every layout, activation and loss, with and without a
backward, float64 and float32) over SEEDS weight seeds and check seeds, and the correct fixtures;
prints each error (and warning) from the update causes, then the totals.
"""
from __future__ import annotations

import glob
import os
import sys
import time
from collections import Counter

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))

import gradcheck  # noqa: E402
from nets import mlp  # noqa: E402

OURS = {"dead-updates", "rescaled-weights", "update-direction", "learning-rate-too-small",
        "learning-rate-too-large", "update-aliasing", "param-shape-changed", "cannot-overfit"}


def cases(seeds):
    for seed in range(seeds):
        for layout in ("rows", "columns", "sample"):
            for hidden in ("sigmoid", "tanh", "relu"):
                for loss in ("cross_entropy", "mse"):
                    yield f"mlp({layout},{hidden},{loss},seed={seed})", (
                        lambda l=layout, h=hidden, lo=loss, s=seed: mlp(layout=l, hidden=h, loss=lo, seed=s)), seed
            yield f"mlp({layout},step-only,seed={seed})", (lambda l=layout, s=seed: mlp(layout=l, with_backward=False, seed=s)), seed
            yield f"mlp({layout},float32,seed={seed})", (lambda l=layout, s=seed: mlp(layout=l, dtype=np.float32, seed=s)), seed


def main(seeds: int) -> None:
    errors, warnings, n, t0 = Counter(), Counter(), 0, time.perf_counter()
    for label, make, seed in cases(seeds):
        r = gradcheck.check(make(), seed=seed)
        n += 1
        for f in r.findings:
            if f.cause in OURS:
                (errors if f.severity == "error" else warnings)[f.cause] += 1
                print(f"{label}: {f.severity} {f.cause} {f.where.param}: {f.title}")
    files = [p for p in glob.glob(os.path.join(ROOT, "fixtures", "training", "control_*.py"))]
    files += [os.path.join(ROOT, "fixtures", p) for p in ("core/rows_mlp.py", "core/nielsen_ok.py",
                                                         "seeds/seed002_rashid.py")]
    for p in sorted(files):
        for seed in range(seeds):
            for r in gradcheck.check_file(p, seed=seed):
                n += 1
                for f in r.findings:
                    if f.cause in OURS:
                        (errors if f.severity == "error" else warnings)[f.cause] += 1
                        print(f"{os.path.relpath(p, ROOT)} seed {seed}: {f.severity} {f.cause}: {f.title}")
    print(f"\n{n} checks of correct networks in {time.perf_counter() - t0:.0f}s: "
          f"{sum(errors.values())} errors {dict(errors)}, {sum(warnings.values())} warnings {dict(warnings)}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
