"""Nielsen's ``network.py``: ``Network(sizes)`` with ``feedforward``, ``backprop``,
``weights`` and ``biases`` lists, one sample at a time as a (features, 1) column.

The model: forward = ``feedforward``; backward = ``backprop`` (its
``(nabla_b, nabla_w)`` lists become ``{W1, b1, W2, b2, ...}``); step =
``update_mini_batch([(x, y)], eta)`` with the book's eta = 3.0; evaluate =
``evaluate(test_data)`` divided by the number of samples.
"""
from __future__ import annotations

from gradcheck.model import Model

KIND = "nielsen"
SIZES = [784, 30, 10]
ETA = 3.0


def matches(cls) -> bool:
    from gradcheck.adapters import positional_params

    has = all(callable(getattr(cls, m, None)) for m in ("feedforward", "backprop"))
    return has and len(positional_params(cls)) >= 1


def _names(net):
    out = []
    for i in range(len(net.weights)):
        out += [f"W{i + 1}", f"b{i + 1}"]
    return out


def factory(cls, sizes=None):
    def build() -> Model:
        net = cls(list(sizes or SIZES))

        def params():
            d = {}
            for i, (w, b) in enumerate(zip(net.weights, net.biases)):
                d[f"W{i + 1}"] = w
                d[f"b{i + 1}"] = b
            return d

        def backward(x, y):
            nabla_b, nabla_w = net.backprop(x, y)
            d = {}
            for i, (gw, gb) in enumerate(zip(nabla_w, nabla_b)):
                d[f"W{i + 1}"] = gw
                d[f"b{i + 1}"] = gb
            return d

        step = None
        if callable(getattr(net, "update_mini_batch", None)):
            def step(x, y):
                net.update_mini_batch([(x, y)], ETA)

        evaluate = None
        if callable(getattr(net, "evaluate", None)):
            def evaluate(xs, labels):
                return net.evaluate(list(zip(xs, [int(v) for v in labels]))) / max(1, len(labels))

        return Model(params=params, forward=net.feedforward, backward=backward, loss="auto", step=step,
                     evaluate=evaluate, layout="sample", learning_rate=ETA, kind=KIND,
                     factory=build, resize=lambda s: factory(cls, s)(), sizes=tuple(sizes or SIZES), origins={"backward": net.backprop, "step": getattr(net, "update_mini_batch", None),
                                             "evaluate": getattr(net, "evaluate", None)})

    return build

