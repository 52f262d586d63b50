"""Load a user's file safely and find the models in it.

The file is imported under a name that is not ``"__main__"``, so its
``if __name__ == "__main__":`` block does not run; its folder goes on
``sys.path`` first so ``import mnist_loader`` works as under ``python file.py``.
Import runs under a time budget: a file that trains at import time is stopped
and the user is told to move the loop under the ``__main__`` guard.

Functions get a recording twin for the shape audit (``gradcheck.audit``);
the file runs as written and is never changed on disk.

Models: every ``@gradcheck.register`` factory in the file; if there is none,
the zero-config adapters (``gradcheck.adapters``) look for a textbook class.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from dataclasses import dataclass
from typing import Callable

import numpy as np

from gradcheck import audit
from gradcheck import model as model_mod
from gradcheck import usercode
from gradcheck.model import InvalidModel, Model


class DiscoveryError(Exception):
    """Checking is impossible (bad input): exit code 2, one clear paragraph."""


@dataclass
class Found:
    name: str
    factory: Callable[[], Model]
    path: str
    kind: str = "registered"

    @property
    def target(self) -> str:
        return f"{os.path.relpath(self.path) if not os.path.relpath(self.path).startswith('..') else self.path}::{self.name}"


def split_target(target: str) -> tuple[str, str | None]:
    """``file.py::name`` -> (file.py, name)."""
    if "::" in target:
        path, name = target.split("::", 1)
        return path, name or None
    return target, None


def load_module(path: str, budget: float = 20.0):
    """Import ``path`` as a module without running its ``__main__`` block."""
    path = os.path.abspath(path)
    if not os.path.exists(path):
        raise DiscoveryError(f"{path}: no such file. Give the path of the Python file that defines your network.")
    if os.path.isdir(path) or not path.endswith(".py"):
        raise DiscoveryError(f"{path} is not a Python file (.py). Give the file that defines your network.")
    with open(path, "rb") as f:
        source = f.read()
    try:
        compile(source, path, "exec")
    except SyntaxError as e:
        raise DiscoveryError(f"{path}:{e.lineno}: syntax error: {e.msg}. The file must run under Python "
                             f"{sys.version_info.major}.{sys.version_info.minor} before gradcheck can check it"
                             + (f" (line: {e.text.strip()})" if e.text else "") + ".") from None
    folder = os.path.dirname(path)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    digest = hashlib.sha1(path.encode()).hexdigest()[:8]
    modname = f"gradcheck_user_{os.path.splitext(os.path.basename(path))[0]}_{digest}"
    spec = importlib.util.spec_from_file_location(modname, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[modname] = module
    try:
        # runs the file as written; audit keeps a recording twin of its functions (and of the
        # sibling modules it imports) for the shape audit: see gradcheck.audit
        with audit.sibling_finder(path):
            usercode.call("import", audit.exec_source, module, source, path, budget=budget, prefer_file=path)
    except usercode.UserCodeError as e:
        sys.modules.pop(modname, None)
        if isinstance(e.exc, usercode.UserCodeTimeout):
            raise DiscoveryError(
                f"{path}: importing the file was still running after {budget:g} s, at line {e.line} "
                f"({e.code}). The file probably trains or loads data at import time. Move that code under "
                f"`if __name__ == \"__main__\":` so gradcheck can import the network without running it "
                f"(or raise the budget with --import-timeout).") from None
        raise DiscoveryError(
            f"{path}: importing the file failed at {e.file}:{e.line} with {type(e.exc).__name__}: {e.exc}. "
            f"gradcheck imports your file to find the network; code that loads data or trains should be "
            f"under `if __name__ == \"__main__\":`.") from None
    return module


def find(target: str, budget: float = 20.0) -> list[Found]:
    """The models in ``file.py`` (or the one named by ``file.py::name``)."""
    from gradcheck import adapters

    path, name = split_target(target)
    before = len(model_mod._REGISTRY)
    module = load_module(path, budget)
    path = os.path.abspath(path)
    found = [Found(n, f, path) for n, f, mod in model_mod._REGISTRY[before:] if mod == module.__name__]
    if not found:
        found = [Found(n, f, path, kind) for n, f, kind in adapters.zero_config(module)]
    if not found:
        raise DiscoveryError(
            f"{path}: no model found. Register one with `@gradcheck.register` on a function that returns "
            f"`gradcheck.Model(params=..., forward=..., backward=...)`, or define a network class in the style "
            f"of Nielsen's network.py (Network(sizes) with feedforward and backprop) or Rashid's "
            f"neuralNetwork (train and query), which gradcheck recognises without registration.")
    if name is not None:
        match = [f for f in found if f.name == name]
        if not match:
            raise DiscoveryError(f"{path}: no model named {name!r}; the file has {', '.join(f.name for f in found)}.")
        found = match
    return found


def sized_factory(factory: Callable) -> tuple[Callable | None, tuple[int, ...] | None]:
    """(resize, default sizes) for a registered factory with a ``sizes`` argument, else (None, None).

    ``@gradcheck.register def model(sizes=(784, 30, 10))`` lets shape exploration
    rebuild the network with other layer widths.
    """
    import inspect

    try:
        p = inspect.signature(factory).parameters.get("sizes")
    except (TypeError, ValueError):
        return None, None
    default = None if p is None else p.default
    if not isinstance(default, (list, tuple)) or len(default) < 2 or \
            not all(isinstance(v, (int, np.integer)) for v in default):
        return None, None
    return (lambda sizes: factory(sizes=tuple(int(v) for v in sizes))), tuple(int(v) for v in default)


def build(found: Found, seed: int = 0, budget: float = 60.0) -> Model:
    """Call the factory (seeded) and check it returned a Model."""
    np.random.seed(seed)
    try:
        m = usercode.call("factory", found.factory, budget=budget, prefer_file=found.path)
    except usercode.UserCodeError as e:
        raise DiscoveryError(f"{found.target}: building the model failed at {e.file}:{e.line} with "
                             f"{type(e.exc).__name__}: {e.exc}. The registered function must return a "
                             f"gradcheck.Model.") from None
    except InvalidModel as e:
        raise DiscoveryError(f"{found.target}: {e}") from None
    if not isinstance(m, Model):
        raise DiscoveryError(f"{found.target}: the registered function returned {type(m).__name__}, "
                             f"not a gradcheck.Model. Return gradcheck.Model(params=..., forward=..., backward=...).")
    m.name = m.name or found.name
    m.factory = m.factory or found.factory
    if m.resize is None:
        m.resize, m.sizes = sized_factory(found.factory)
    m.source = m.source or found.path
    if found.kind != "registered":
        m.kind = found.kind
    try:
        params = m.get_params()
    except Exception as e:  # noqa: BLE001 - user params() may raise anything
        raise DiscoveryError(f"{found.target}: params() failed with {type(e).__name__}: {e}.") from None
    bad = [k for k, v in params.items() if not (isinstance(v, np.ndarray) and np.issubdtype(v.dtype, np.floating))]
    if not params or bad:
        raise DiscoveryError(f"{found.target}: params must be a non-empty dict of float numpy arrays"
                             + (f"; {', '.join(bad)} is not" if bad else "") + ".")
    return m
