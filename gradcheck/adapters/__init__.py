"""Zero-config adapters: textbook network classes recognised by their shape.

Each adapter module has ``KIND``, ``matches(cls) -> bool`` and
``factory(cls) -> () -> Model``. Recognition uses the class's methods and
constructor signature, and, once built, the shapes of its arrays; not the
names of its attributes.
"""
from __future__ import annotations

import inspect

from gradcheck.adapters import nielsen, rashid

ADAPTERS = (nielsen, rashid)


def zero_config(module):
    """(name, factory, kind) for every class in ``module`` an adapter recognises."""
    out = []
    for name, cls in vars(module).items():
        if not inspect.isclass(cls) or cls.__module__ != module.__name__:
            continue
        for ad in ADAPTERS:
            if ad.matches(cls):
                out.append((name, ad.factory(cls), ad.KIND))
                break
    return out


def positional_params(cls) -> list[inspect.Parameter]:
    try:
        sig = inspect.signature(cls.__init__)
    except (TypeError, ValueError):
        return []
    return [p for p in list(sig.parameters.values())[1:]
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
