"""Figures of the training probe: time per part and what it measured, per fixture / test network.

Usage: python benchmarks/training_probe.py [FILE ...]   (default: seeds, core and training fixtures,
and the correct networks of tests/nets.py in every layout and activation). Prints, per model, the
probe's seconds, the loss curve's ends, median update-to-weight ratios, the sweep and the overfit run.
"""
from __future__ import annotations

import glob
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))

from gradcheck import discover, probes, state  # noqa: E402
from gradcheck.session import prepare  # noqa: E402


def evidence_of(model, seed=0):
    np.random.seed(seed)
    with state.preserved(model):
        session = prepare(model, seed=seed)
        ev = probes.Evidence(session)
        for name in probes.PROBES:
            mod = probes.load(name)
            if any(r not in ev for r in mod.REQUIRES):
                continue
            try:
                ev.items[name] = mod.run(session, ev)
            except Exception as e:  # noqa: BLE001
                ev.failures[name] = e
    return ev


def models(args):
    if args:
        files = args
    else:
        # runnable fixtures only: fixtures/lint/ is source for the static rules, _files are helpers
        files = sorted(f for f in glob.glob(os.path.join(ROOT, "fixtures", "*", "*.py"))
                       if os.sep + "lint" + os.sep not in f and not os.path.basename(f).startswith("_"))
    for f in files:
        for found in discover.find(f):
            yield os.path.relpath(f, ROOT) + "::" + found.name, discover.build(found)
    if not args:
        from nets import mlp
        for layout in ("rows", "columns", "sample"):
            for hidden in ("sigmoid", "tanh", "relu"):
                yield f"nets.mlp({layout}, {hidden})", mlp(layout=layout, hidden=hidden)
            yield f"nets.mlp({layout}, sigmoid, mse)", mlp(layout=layout, loss="mse")


def med(xs):
    xs = [x for x in xs if x == x]
    return float(np.median(xs)) if xs else float("nan")


def main(args):
    for label, model in models(args):
        t = time.perf_counter()
        ev = evidence_of(model)
        secs = time.perf_counter() - t
        tr = ev.get("training")
        if tr is None:
            print(f"{label}: no training evidence ({ev.failures.get('training')})")
            continue
        print(f"{label}: probe {tr.seconds:.2f}s (all {secs:.2f}s) parts "
              + " ".join(f"{k}={v:.2f}" for k, v in tr.timings.items()))
        print(f"   steps {tr.steps} stop={tr.stopped!r} loss {tr.loss[0]:.4g} -> {tr.loss[-1]:.4g} "
              f"(min {min(tr.loss):.4g}) acc {tr.accuracy[0]:.2f} -> {tr.accuracy[-1]:.2f} user {tr.user_accuracy}")
        for k, p in tr.params.items():
            print(f"   {k:10s} ratio {med(p.ratio):.2e} alpha {med(p.alpha):+.2e} fitA {med(p.fit_alpha):+.2e} "
                  f"cosT {med(p.cos_theta):+.2f} cosG {med(p.cos_grad):+.2f} lr_eff {med(p.lr_eff):.3g} "
                  f"norm {p.norm[0]:.3g}->{p.norm[-1]:.3g} changed {sum(p.changed)}/{len(p.changed)}")
        for sc in tr.slopes:
            print(f"   slope step {sc.step}: total {sc.total:+.2e} base {sc.base:.4g} after {sc.after:.4g} per "
                  + " ".join(f"{k}:{v:+.1e}" for k, v in sc.per_param.items()))
        if tr.repeat:
            print("   repeat norms " + " ".join(f"{k}:" + ",".join(f"{x:.2g}" for x in v) for k, v in tr.repeat.norms.items()))
        if tr.zero:
            print("   zero " + " ".join(f"{k}:a={tr.zero.alpha[k]:+.2g},cos={tr.zero.cos_theta[k]:+.2f},u={tr.zero.update[k]:.2g}" for k in tr.zero.alpha))
        if tr.sweep:
            print(f"   summed {tr.summed} overshoot {sum(a>b*1.01 for a,b in zip(tr.batch_after,tr.batch_before))}/{tr.steps}"); print(f"   sweep init {tr.sweep.initial:.4g} " + " ".join(f"{s:g}:{l:.4g}" for s, l in zip(tr.sweep.scales, tr.sweep.loss)))
        if tr.overfit:
            o = tr.overfit
            print(f"   overfit {o.steps} steps {o.initial:.4g} -> {o.final:.4g} acc {o.accuracy[-1]} ({o.stopped}, {o.seconds:.2f}s)")


if __name__ == "__main__":
    main(sys.argv[1:])
