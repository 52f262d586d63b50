"""Detection rate of the update causes on planted bugs: tests/nets.py networks (3 layouts x 3 activations
x 2 seeds) whose step has one planted bug. Prints misses (or a correct cause not ranked first among the
update causes) and the rate per bug.

Usage: python benchmarks/training_detections.py [KIND ...]   (rescaled dead aliasing small large ascent)
"""
import os
import sys


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))
import gradcheck, nets

def planted(kind, layout, hidden, seed):
    m = nets.mlp(layout=layout, hidden=hidden, seed=seed)
    net = m.net
    acc = {}
    if kind == "rescaled":
        def step(X, Y):
            for k, v in net.backward(X, Y).items():
                setattr(net, k, 0.9 * getattr(net, k) - net.lr * v)
    elif kind == "dead":
        def step(X, Y):
            g = net.backward(X, Y)
            for k in ("W1", "W2"):
                setattr(net, k, getattr(net, k) - net.lr * g[k])
    elif kind == "aliasing":
        def step(X, Y):
            for k, v in net.backward(X, Y).items():
                acc[k] = acc.get(k, 0) + v
                setattr(net, k, getattr(net, k) - net.lr * acc[k])
    elif kind == "small":
        net.lr = 1e-7
        step = net.step
    elif kind == "large":
        net.lr = 50.0 if layout != "sample" else 20.0
        step = net.step
    elif kind == "ascent":
        def step(X, Y):
            for k, v in net.backward(X, Y).items():
                setattr(net, k, getattr(net, k) + net.lr * v)
    m.step = step
    m.learning_rate = net.lr
    return m

want = {"rescaled": "rescaled-weights", "dead": "dead-updates", "aliasing": "update-aliasing",
        "small": "learning-rate-too-small", "large": "learning-rate-too-large", "ascent": "update-direction"}
kinds = sys.argv[1:] or list(want)
for kind in kinds:
    hits = 0; tot = 0
    for layout in ("rows", "columns", "sample"):
        for hidden in ("sigmoid", "tanh", "relu"):
            for seed in (0, 1):
                r = gradcheck.check(planted(kind, layout, hidden, seed), seed=seed)
                ours = [(f.cause, f.severity) for f in r.findings if f.cause in set(want.values()) | {"cannot-overfit"}]
                ok = any(c == want[kind] for c, _ in ours)
                hits += ok; tot += 1
                if not ok or (ours and ours[0][0] != want[kind]):
                    print(kind, layout, hidden, seed, ours)
    print(f"== {kind}: {hits}/{tot}")
