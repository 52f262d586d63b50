"""Speed of the finite-difference engine against the usual ways of checking a gradient.

For 784-30-10 and 784-100-10 sigmoid/softmax networks (rows, float64, batch
16, one BLAS thread) it prints forward evaluations and wall time (median of
repeats, all in the same run) of:

- gradcheck's fast check on a correct network (the gradient probe);
- gradcheck localising one wrong entry of W1, and classifying one wrong
  tensor (W1 halved; W2 transposed on a square variant is in the tests);
- a bare numpy check along 3 random directions over all parameters (6 evals);
- a naive per-entry central-difference loop (2P evals; timed on a subset and
  extrapolated, said so in the table);
- ``torch.autograd.gradcheck`` fast_mode on and off, when torch is importable
  (optional; the slow mode is extrapolated from a subset of columns too).

Then a robustness table: injected bugs x 10 seeds, how many the fast check
missed (gradcheck and the bare 3-direction check).

Usage: python benchmarks/bench_gradcheck.py [--repeats N] [--quick]
"""
from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import gradcheck  # noqa: E402
from gradcheck import losses, probes  # noqa: E402
from gradcheck.session import prepare  # noqa: E402

BATCH = 16


class Net:
    """784-h-10, sigmoid hidden, softmax cross-entropy (summed), rows."""

    def __init__(self, hidden, seed=0, bug=None):
        rng = np.random.default_rng(seed)
        self.W1 = rng.normal(0, 1 / np.sqrt(784), (784, hidden))
        self.b1 = rng.normal(0, 0.1, hidden)
        self.W2 = rng.normal(0, 1 / np.sqrt(hidden), (hidden, 10))
        self.b2 = rng.normal(0, 0.1, 10)
        self.bug = bug

    def params(self):
        return {"W1": self.W1, "b1": self.b1, "W2": self.W2, "b2": self.b2}

    def forward(self, X):
        self.h = 1 / (1 + np.exp(-(X @ self.W1 + self.b1)))
        return self.h @ self.W2 + self.b2

    def backward(self, X, Y):
        s = self.forward(X)
        p = np.exp(s - s.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        d2 = p - Y
        d1 = (d2 @ self.W2.T) * self.h * (1 - self.h)
        g = {"W1": X.T @ d1, "b1": d1.sum(0), "W2": self.h.T @ d2, "b2": d2.sum(0)}
        if self.bug:
            self.bug(g)
        return g


def model(hidden, seed=0, bug=None):
    net = Net(hidden, seed, bug)
    return gradcheck.Model(params=net.params, forward=net.forward, backward=net.backward,
                           loss="cross_entropy", layout="rows"), net


def median_time(fn, repeats):
    ts = []
    out = None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts), out


def interleaved(fns, repeats):
    """Median time and last result of each function, run in turns (fair on a loaded machine)."""
    ts = [[] for _ in fns]
    outs = [None] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            t = time.perf_counter()
            outs[i] = fn()
            ts[i].append(time.perf_counter() - t)
    return [(statistics.median(t), o) for t, o in zip(ts, outs)]


# -- gradcheck -------------------------------------------------------------------

_FORWARD = {}


def gradcheck_run(session, classify=True):
    """The gradient probe (and the classifier when something failed); returns (evals, evidence).

    The forward probe (one evaluation that checks the output is usable) runs once per
    session, outside the timing: it is not part of the gradient check.
    """
    ev = probes.Evidence(session)
    if id(session) not in _FORWARD:
        _FORWARD[id(session)] = probes.load("forward").run(session, ev)
    ev.items["forward"] = _FORWARD[id(session)]
    g = probes.load("gradients").run(session, ev)
    ev.items["gradients"] = g
    evals = g.evals
    if classify and g.failed:
        try:
            p = probes.load("gradient_patterns").run(session, ev)
            ev.items["gradient_patterns"] = p
            evals += getattr(p, "evals", 0)
        except (probes.ProbeSkipped, ModuleNotFoundError):
            pass
    return evals, ev


# -- the baselines ---------------------------------------------------------------

def data(session):
    b = session.batch(BATCH, offset=16)
    return np.asarray(b.X, dtype=np.float64), b.Y


def bare_three_directions(net, X, Y, seed=0, k=3):
    """What a careful person writes: 3 random directions over all parameters, 2 forwards each."""
    rng = np.random.default_rng(seed)
    g = net.backward(X, Y)
    ps = net.params()
    ok = True
    for _ in range(k):
        rs = {n: rng.standard_normal(p.shape) for n, p in ps.items()}
        eps = 1e-6
        for n, p in ps.items():
            p += eps * rs[n]
        lp = losses.cross_entropy(net.forward(X), Y)
        for n, p in ps.items():
            p -= 2 * eps * rs[n]
        lm = losses.cross_entropy(net.forward(X), Y)
        for n, p in ps.items():
            p += eps * rs[n]
        num = (lp - lm) / (2 * eps)
        ana = sum(float(np.sum(g[n] * rs[n])) for n in ps)
        ok &= abs(ana - num) <= 1e-5 * max(abs(ana), abs(num), 1e-8)
    return 2 * k, ok


def naive_loop(net, X, Y, limit):
    """Per-entry central differences over the first ``limit`` entries of every parameter (in order)."""
    ps = net.params()
    evals = 0
    h = 1e-6
    for p in ps.values():
        flat = p.reshape(-1)
        for i in range(min(limit - evals // 2, flat.size)):
            old = flat[i]
            flat[i] = old + h
            lp = losses.cross_entropy(net.forward(X), Y)
            flat[i] = old - h
            lm = losses.cross_entropy(net.forward(X), Y)
            flat[i] = old
            evals += 2
            _ = (lp - lm) / (2 * h)
        if evals // 2 >= limit:
            break
    return evals


def torch_checks(net, X, Y, repeats, subset_cols):
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    ps = net.params()
    names = list(ps)
    Xt, Yt = torch.tensor(X), torch.tensor(Y)
    evals = [0]

    def f(W1, b1, W2, b2):
        evals[0] += 1
        h = torch.sigmoid(Xt @ W1 + b1)
        s = h @ W2 + b2
        return -(Yt * torch.log_softmax(s, dim=1)).sum()

    inputs = tuple(torch.tensor(ps[n], requires_grad=True) for n in names)
    out = {}
    evals[0] = 0
    t, _ = median_time(lambda: torch.autograd.gradcheck(f, inputs, fast_mode=True, eps=1e-6, atol=1e-5,
                                                       rtol=1e-3), repeats)
    out["fast"] = (evals[0] // repeats, t)
    # slow mode: 2 evals per input entry; time a subset of one tensor's columns and extrapolate
    P = sum(p.size for p in ps.values())
    small = tuple(torch.tensor(ps[n][: max(1, subset_cols // 100)] if n == "W1" else ps[n], requires_grad=True)
                  for n in names)

    def f_small(W1, b1, W2, b2):
        evals[0] += 1
        h = torch.sigmoid(Xt[:, : W1.shape[0]] @ W1 + b1)
        s = h @ W2 + b2
        return -(Yt * torch.log_softmax(s, dim=1)).sum()

    evals[0] = 0
    t0 = time.perf_counter()
    torch.autograd.gradcheck(f_small, small, fast_mode=False, eps=1e-6, atol=1e-5, rtol=1e-3)
    ts = time.perf_counter() - t0
    n_small = sum(int(np.prod(s.shape)) for s in small)
    out["slow"] = (2 * P, ts * P / n_small, evals[0])
    return out


# -- the tables --------------------------------------------------------------------

def row(label, evals, seconds, ref, note=""):
    ratio = f"{seconds / ref:6.2f}x" if ref else "      "
    print(f"  {label:46s} {evals:>9,d} evals {seconds * 1e3:10.2f} ms  {ratio}  {note}")


def bench_size(hidden, repeats, subset):
    m, net = model(hidden)
    s = prepare(m)
    X, Y = data(s)
    print(f"\n784-{hidden}-10  (P = {sum(p.size for p in net.params().values()):,} parameters, batch {BATCH}, "
          f"float64, 1 thread; median of {repeats})")
    gradcheck_run(s)  # warm up (imports, the forward probe)
    (t_bare, (e_bare, ok)), (t_fast, (e_fast, ev)) = interleaved(
        [lambda: bare_three_directions(net, X, Y), lambda: gradcheck_run(s)], repeats)
    assert ok
    assert not ev["gradients"].failed, ev["gradients"].failed

    def one_entry(g):
        g["W1"][123, 7] += 0.05 * np.abs(g["W1"]).max()

    mb, _ = model(hidden, bug=one_entry)
    sb = prepare(mb)
    t_loc, (e_loc, evb) = median_time(lambda: gradcheck_run(sb), repeats)
    bc = evb["gradients"].blocks["W1"]
    found = bc.entries[0].index if bc.entries else None

    mh, _ = model(hidden, bug=lambda g: g.__setitem__("W1", g["W1"] * 0.5))
    sh = prepare(mh)
    t_cls, (e_cls, evh) = median_time(lambda: gradcheck_run(sh), repeats)
    pat = evh.get("gradient_patterns")
    label = pat.explanations.get("W1").cause if pat is not None and "W1" in pat.explanations else "unclassified"

    P = sum(p.size for p in net.params().values())
    t0 = time.perf_counter()
    e_sub = naive_loop(net, X, Y, subset)
    t_sub = time.perf_counter() - t0
    t_naive = t_sub * (2 * P) / e_sub

    print(f"  {'':46s} {'':>9s}       {'':>10s}     vs bare 3-direction")
    row("bare numpy, 3 random directions (correct net)", e_bare, t_bare, t_bare)
    row("gradcheck fast check (correct net)", e_fast, t_fast, t_bare)
    row("gradcheck: localise one wrong entry of W1", e_loc, t_loc, t_bare, f"found {found}")
    row("gradcheck: W1 halved, localised + classified", e_cls, t_cls, t_bare, f"-> {label}")
    row("naive per-entry loop (2P evals)", 2 * P, t_naive, t_bare,
        f"extrapolated from {e_sub:,} evals ({t_sub:.2f} s)")
    tc = torch_checks(net, X, Y, repeats, subset)
    if tc is None:
        print("  torch.autograd.gradcheck: torch is not installed (optional)")
    else:
        row("torch.autograd.gradcheck fast_mode=True", tc["fast"][0], tc["fast"][1], t_bare)
        row("torch.autograd.gradcheck fast_mode=False", tc["slow"][0], tc["slow"][1], t_bare,
            f"extrapolated from a subset ({tc['slow'][2]:,} evals)")
    print(f"  fast check: {e_fast} evals (target <= 8), {t_fast / t_bare:.2f}x bare (target <= 1.5x); "
          f"naive loop / fast check: {t_naive / t_fast:,.0f}x")
    return e_fast, t_fast / t_bare


BUGS = {  # name: (bug, wrong parameter, expected classification)
    "W1 halved": (lambda g: g.__setitem__("W1", g["W1"] * 0.5), "W1", "gradient-scale"),
    "b1 zero": (lambda g: g.__setitem__("b1", np.zeros_like(g["b1"])), "b1", "gradient-missing"),
    "W2 sign flipped": (lambda g: g.__setitem__("W2", -g["W2"]), "W2", "gradient-sign"),
    "one entry of W1 (+5% of max)": (lambda g: g["W1"].__setitem__((300, 3), g["W1"][300, 3] + 0.05 * np.abs(
        g["W1"]).max()), "W1", None),
    "b2 x 1.01": (lambda g: g.__setitem__("b2", g["b2"] * 1.01), "b2", "gradient-scale"),
    "b1 summed into one number": (lambda g: g.__setitem__("b1", np.full_like(g["b1"], g["b1"].sum())), "b1",
                                  "bias-gradient-axis"),
}


def robustness(hidden, seeds=10):
    print(f"\ninjected bugs on 784-{hidden}-10, {seeds} seeds each (seed of the weights and of the check):")
    print(f"  {'bug':30s} {'missed':>7s} {'wrong param':>12s} {'classified':>11s} {'max evals':>10s} "
          f"{'bare 3-dir missed':>18s}")
    for name, (bug, param, cause) in BUGS.items():
        missed = bare_missed = wrong_param = classified = 0
        max_e = 0
        for seed in range(seeds):
            m, net = model(hidden, seed=seed, bug=bug)
            s = prepare(m, seed=seed)
            e, ev = gradcheck_run(s)
            max_e = max(max_e, e)
            failed = ev["gradients"].failed
            missed += not failed
            wrong_param += bool(failed) and failed != [param]
            pat = ev.get("gradient_patterns")
            got = pat.explanations.get(param) if pat is not None else None
            if cause is None:  # one wrong entry: found by bisection, no pattern to name
                bc = ev["gradients"].blocks[param]
                classified += got is None and bool(bc.entries) and bc.entries[0].index == (300, 3)
            else:
                classified += got is not None and got.cause == cause
            X, Y = data(s)
            bare_missed += bare_three_directions(net, X, Y, seed=seed)[1]
        print(f"  {name:30s} {missed:>4d}/{seeds} {wrong_param:>9d}/{seeds} {classified:>8d}/{seeds} {max_e:>10d} "
              f"{bare_missed:>15d}/{seeds}")
    print("  (classified: the named cause; for the single entry: located at its index by bisection)")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=21)
    ap.add_argument("--subset", type=int, default=2000, help="entries timed for the naive loop. Default: 2000.")
    ap.add_argument("--quick", action="store_true", help="fewer repeats, no robustness table")
    args = ap.parse_args(argv)
    reps = 5 if args.quick else args.repeats
    for h in (30, 100):
        bench_size(h, reps, args.subset)
    if not args.quick:
        for h in (30, 100):
            robustness(h)


if __name__ == "__main__":
    main()
