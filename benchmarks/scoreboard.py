"""Diagnosis scoreboard: gradcheck on every runnable fixture.

Prints, per expected cause: fixtures, detected, ranked first, in the top
three; false error findings on clean fixtures; seconds per case. Usage:
    python benchmarks/scoreboard.py [--only SUBSTRING] [--seed N]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from expectations import collect  # noqa: E402

from gradcheck import api  # noqa: E402
from gradcheck.causes import all_causes  # noqa: E402


def score(exp, reports):
    errs = [f for r in reports for f in r.findings if f.severity == "error"]
    ranked = [f.cause for r in reports for f in r.findings]
    if exp.clean:
        return {"clean": True, "false_errors": [f.cause for f in errs], "ranked": ranked}
    first = exp.causes[0]
    pos = ranked.index(first) if first in ranked else None
    param_ok = exp.param is None or any(
        f.cause == first and (f.where.param == exp.param or f.evidence.get("param") == exp.param)
        for r in reports for f in r.findings)
    return {"clean": False, "detected": pos is not None, "first": pos == 0 and param_ok,
            "top3": pos is not None and pos < 3, "all": all(c in ranked for c in exp.causes), "ranked": ranked}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--only", default="")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--verbose", "-v", action="store_true")
    args = ap.parse_args(argv)
    exps = [e for e in collect(set(all_causes())) if args.only in e.name]
    per_cause = defaultdict(lambda: [0, 0, 0, 0])
    clean_total = clean_false = 0
    times, misses = [], []
    for e in exps:
        t = time.perf_counter()
        try:
            reports = api.check_file(e.path, seed=args.seed)
            res = score(e, reports)
        except Exception as ex:  # noqa: BLE001 - a crash is a miss, shown in the table
            res = {"clean": e.clean, "false_errors": [f"crash: {ex}"], "detected": False, "first": False,
                   "top3": False, "all": False, "ranked": [f"crash: {type(ex).__name__}: {ex}"]}
        times.append(time.perf_counter() - t)
        if res["clean"]:
            clean_total += 1
            if res["false_errors"]:
                clean_false += 1
                misses.append((e.name, "false errors: " + ", ".join(res["false_errors"])))
        else:
            row = per_cause[e.causes[0]]
            row[0] += 1
            row[1] += res["detected"]
            row[2] += res["first"]
            row[3] += res["top3"]
            if not res["first"]:
                misses.append((e.name, f"expected {e.causes[0]} first; got {res['ranked'][:4]}"))
        if args.verbose:
            print(f"{e.name:55s} {times[-1]:6.2f}s  {res['ranked'][:4]}")
    print(f"{'cause':30s} {'cases':>5s} {'detected':>9s} {'first':>6s} {'top3':>5s}")
    tot = [0, 0, 0, 0]
    for cause, row in sorted(per_cause.items()):
        print(f"{cause:30s} {row[0]:5d} {row[1]:9d} {row[2]:6d} {row[3]:5d}")
        tot = [a + b for a, b in zip(tot, row)]
    print(f"{'TOTAL':30s} {tot[0]:5d} {tot[1]:9d} {tot[2]:6d} {tot[3]:5d}")
    if tot[0]:
        print(f"ranked first: {100 * tot[2] / tot[0]:.1f} %   in top three: {100 * tot[3] / tot[0]:.1f} %")
    print(f"clean fixtures: {clean_total}, with a false error finding: {clean_false}")
    if times:
        ts = sorted(times)
        print(f"seconds per case: median {ts[len(ts) // 2]:.2f}, max {ts[-1]:.2f}, total {sum(ts):.1f}")
    for name, why in misses:
        print(f"  miss: {name}: {why}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
