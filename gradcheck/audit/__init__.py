"""The shape audit's machinery: user files loaded with a recording twin of every function.

When ``gradcheck.discover`` imports a user's file it compiles the source twice:
as written, and rewritten so that every array operation inside a function
calls a hook (``_rewrite``). The module runs the code as written; the rewritten
code objects are kept aside, paired with the originals. Sibling modules the
file imports from its own folder (``import layers``) are loaded the same way.
The file on disk is never changed and nothing is written next to it.

``recording(files, recorder)`` swaps the rewritten code into every live
function of those files (found through the garbage collector, so closures
and lambdas built by a factory are included), lets the hooks report to the
recorder, and swaps the original code back when the block ends. Outside that
block the user's functions run their original bytecode: the audit costs
nothing when it is off.

Only the user's files are rewritten, never numpy's or gradcheck's. A model
built in-process (``gradcheck.check(model)`` from a notebook) was not loaded
from a file by gradcheck, so it has no twin and gets no audit.
"""
from __future__ import annotations

import ast
import contextlib
import gc
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import types
import warnings
from dataclasses import dataclass, field
from typing import Iterator

from gradcheck.audit import _hooks
from gradcheck.audit._hooks import Event, Failure, Recorder
from gradcheck.audit._rewrite import HOOK, Site, rewrite

__all__ = ["Instrumented", "Recorder", "Event", "Failure", "Site", "exec_source", "instrumented", "recording",
           "sibling_finder", "site", "files_for"]

_OUR_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass
class Instrumented:
    """One user file: its sites and the original -> recording code pairs."""

    path: str
    sites: list[int]
    """Site ids (into the global site table) of this file's operations."""
    twins: dict[int, tuple[types.CodeType, types.CodeType]] = field(repr=False)
    """id(original function code) -> (original, rewritten). Keyed by identity: code
    objects compare by value, and a file loaded twice has equal but distinct ones."""
    group: list[str] = field(default_factory=list)
    """Files loaded while this file was imported (its sibling modules)."""


_FILES: dict[str, Instrumented] = {}
_LOADING: list[list[str]] = []  # stack of groups being imported


def site(site_id: int) -> Site:
    return _hooks.SITES[site_id]


def instrumented(path: str | None) -> Instrumented | None:
    """The instrumented twin of ``path``, if gradcheck loaded that file."""
    return _FILES.get(os.path.abspath(path)) if path else None


def files_for(path: str) -> list[Instrumented]:
    """``path`` and the sibling modules loaded with it."""
    main = instrumented(path)
    if main is None:
        return []
    return [main] + [_FILES[p] for p in main.group if p in _FILES and p != main.path]


def _pair(plain: types.CodeType, twin: types.CodeType, out: dict) -> None:
    out[id(plain)] = (plain, twin)
    a = [c for c in plain.co_consts if isinstance(c, types.CodeType)]
    b = [c for c in twin.co_consts if isinstance(c, types.CodeType)]
    if len(a) == len(b) and all((x.co_name, x.co_firstlineno) == (y.co_name, y.co_firstlineno) for x, y in zip(a, b)):
        for x, y in zip(a, b):
            _pair(x, y, out)
        return
    by_key: dict[tuple, list] = {}
    for y in b:
        by_key.setdefault((y.co_name, y.co_firstlineno), []).append(y)
    for x in a:
        ys = by_key.get((x.co_name, x.co_firstlineno))
        if ys:
            _pair(x, ys.pop(0), out)


def exec_source(module: types.ModuleType, source: bytes | str, path: str) -> None:
    """Run ``source`` as ``module`` (code as written) and keep its recording twin aside."""
    path = os.path.abspath(path)
    plain = compile(source, path, "exec", dont_inherit=True)
    twins: dict = {}
    sites: list[int] = []
    try:
        text = importlib.util.decode_source(source) if isinstance(source, bytes) else source
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text, path)
        first = len(_hooks.SITES)
        tree = rewrite(tree, text, path, _hooks.SITES)
        twin = compile(tree, path, "exec", dont_inherit=True)
        sites = list(range(first, len(_hooks.SITES)))
        _pair(plain, twin, twins)
        twins.pop(id(plain), None)  # the module body runs once, as written
    except (SyntaxError, ValueError, UnicodeDecodeError, RecursionError):
        twins = {}
    module.__dict__[HOOK] = _hooks.HOOKS
    # a function without array operations compiles to an equal code object: nothing to swap
    twins = {k: (p, t) for k, (p, t) in twins.items() if p.co_filename == path and p != t}
    old = _FILES.get(path)
    if old is not None:  # loaded again: models built from the earlier load keep their twins
        twins = {**old.twins, **twins}
        sites = old.sites + sites
    _FILES[path] = Instrumented(path, sites, twins, old.group if old is not None else [])
    for group in _LOADING:
        group.append(path)
    exec(plain, module.__dict__)


class _SiblingLoader(importlib.abc.Loader):
    def __init__(self, path: str):
        self.path = path

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        with open(self.path, "rb") as f:
            exec_source(module, f.read(), self.path)


class _SiblingFinder(importlib.abc.MetaPathFinder):
    """Loads not-yet-imported modules from the user's folder through ``exec_source``."""

    def __init__(self, folder: str):
        self.folder = os.path.abspath(folder)

    def find_spec(self, name, path=None, target=None):
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        origin = getattr(spec, "origin", None) if spec is not None else None
        if not origin or not origin.endswith(".py") or spec.submodule_search_locations is not None:
            return None
        origin = os.path.abspath(origin)
        if os.path.dirname(origin) != self.folder or origin.startswith(_OUR_DIR + os.sep):
            return None
        spec.loader = _SiblingLoader(origin)
        return spec


@contextlib.contextmanager
def sibling_finder(path: str) -> Iterator[list[str]]:
    """While importing ``path``: sibling modules of its folder get a recording twin too."""
    group: list[str] = []
    finder = _SiblingFinder(os.path.dirname(os.path.abspath(path)))
    sys.meta_path.insert(0, finder)
    _LOADING.append(group)
    try:
        yield group
    finally:
        _LOADING.remove(group)
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(finder)
        main = _FILES.get(os.path.abspath(path))
        if main is not None:
            main.group = list(dict.fromkeys(group))


@contextlib.contextmanager
def recording(files: list[Instrumented], recorder: Recorder) -> Iterator[Recorder]:
    """Run the recording twins of ``files``' functions, reporting to ``recorder``."""
    twins: dict = {}
    for f in files:
        twins.update(f.twins)
    swapped: list[tuple[types.FunctionType, types.CodeType]] = []
    if twins:
        for obj in gc.get_referrers(*(plain for plain, _ in twins.values())):
            pair = twins.get(id(obj.__code__)) if isinstance(obj, types.FunctionType) else None
            if pair is not None and obj.__code__ is pair[0]:
                try:
                    obj.__code__ = pair[1]
                except ValueError:
                    continue
                swapped.append((obj, pair[0]))
    _hooks.activate(recorder)
    try:
        yield recorder
    finally:
        _hooks.activate(None)
        for fn, code in swapped:
            fn.__code__ = code
