"""Shape audit probe: the operand and result shapes of every array operation in
the user's own code, while forward, evaluate, backward and step run once.

The user's file was loaded with a recording twin of each function
(``gradcheck.audit``); this probe switches the twins on, runs each role once
on a small batch (the model is restored afterwards), and switches them off.
It records, per line of the user's code and per role: the shapes that went in
and came out, np.matrix operands, the operation that raised and the
broadcasts that made its operands, parameters whose shape a call changed (and
the line that made the new array), and the user's accuracy next to the one
computed from the forward output.

A model built in-process (no file loaded by gradcheck) is skipped with a note.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from gradcheck import audit, state
from gradcheck.audit import Event, Site
from gradcheck.batch import Batch
from gradcheck.probes import ProbeSkipped
from gradcheck.session import BadReturn
from gradcheck.usercode import UserCodeError

NAME = "shapes"
REQUIRES: tuple[str, ...] = ()

BATCH = 61
"""Samples for forward and evaluate. Prime and unlike any common layer size, so a
batch axis is never confused with a layer axis (61 hidden units are rare), and
large enough that an accuracy is resolved to about 2 points."""
POOL = 128
"""When the network predicts one class for the whole batch, the forward runs on
this many more samples and the evaluate batch is drawn from them so that the
network's predictions vary. (An evaluation bug that broadcasts a comparison is
invisible in the number when every prediction is the same class: an untrained
network often predicts one class for everything.)"""
SAMPLE_CALLS = 4
"""Samples (one call each) for backward and step in the sample layout."""

NOTE_IN_PROCESS = ("shape audit: not run, the model was built in-process (no file loaded by gradcheck); "
                   "`gradcheck run yourfile.py` records the shapes of every array operation in your code")


@dataclass(frozen=True)
class Op:
    """One line of the user's code as observed in one role with one combination of shapes."""

    site: Site
    role: str
    kind: str
    """``elementwise``, ``matrix*`` (``*`` on np.matrix: a matrix product), ``contraction``, ``reduction``."""
    shapes: tuple
    """Operand shapes (None for a Python scalar)."""
    result: tuple | None
    matrix: bool
    """An operand or the result is an np.matrix."""
    count: int
    extra: tuple = ()
    error: str | None = None
    sources: tuple[Site | None, ...] = ()
    """For broadcasts: the line that computed each operand, when it was seen."""

    @property
    def broadcast(self) -> bool:
        """Elementwise, and the result has more entries than every operand."""
        arrays = [s for s in self.shapes if s is not None]
        if self.kind != "elementwise" or self.result is None or len(arrays) < 2:
            return False
        size = int(np.prod(self.result))
        return size > 1 and all(size > int(np.prod(s)) for s in arrays)

    @property
    def encodes(self) -> bool:
        """One operand is ``0, 1, ..., m-1``: a one-hot encoding by broadcasting, written on purpose."""
        return ("arange", True) in self.extra

    def describe(self) -> str:
        """``(61, 1) == (61,) -> (61, 61)``."""
        sh = f" {self.site.op} ".join(_fmt(s) for s in self.shapes) if self.site.kind != "call" else \
            f"{self.site.op}({', '.join(_fmt(s) for s in self.shapes)})"
        return f"{sh} -> {_fmt(self.result)}" if self.result is not None else sh


@dataclass(frozen=True)
class Crash:
    """A role whose call raised, and what made the failing operands."""

    role: str
    file: str | None
    line: int | None
    function: str | None
    code: str
    message: str
    op: Op | None
    """The recorded operation that raised (None when it was not one the audit wraps)."""
    shapes: tuple
    """Shapes of the failing operands (from the operation, else read from the message)."""
    made_by: tuple[Op, ...]
    """Broadcasts earlier in the same call whose result is a failing operand."""
    same_array: bool
    """True when ``made_by`` produced the very array that failed; False: a shape match."""


@dataclass(frozen=True)
class ShapeChange:
    """A parameter whose shape a call of the user's code changed."""

    param: str
    role: str
    before: tuple
    after: tuple
    site: Site | None
    """The line whose result became the parameter, when the audit saw it."""
    op: Op | None = None


@dataclass(frozen=True)
class Accuracy:
    """The user's evaluate against the accuracy of the forward output, on the same batch."""

    n: int
    reported: float | None
    """evaluate(X, labels) as returned."""
    reported_own: float | None
    """evaluate(X, labels) with labels set to the network's own predictions (a correct one gives 100 %)."""
    scale: float
    """What 100 % is in the user's units: 1, 100 or n."""
    computed: float
    """Fraction of argmax(forward output) equal to the labels."""
    classes: int = 0
    """Distinct predicted classes in the batch. With one, a comparison that broadcasts
    gives the same number as a correct one, so the accuracy cannot show the bug."""
    perturbed: float = 0.0
    """0, or the noise scale added to the weights (relative to their spread) to make
    an initial network that predicts one class for everything predict several."""

    @property
    def user(self) -> float | None:
        return None if self.reported is None else self.reported / self.scale

    @property
    def user_own(self) -> float | None:
        return None if self.reported_own is None else self.reported_own / self.scale


@dataclass
class ShapeEvidence:
    files: list[str]
    sites: int
    """Instrumented operations in the user's files."""
    ops: list[Op]
    crashes: dict[str, Crash]
    changes: list[ShapeChange]
    accuracy: Accuracy | None
    roles: list[str]
    """Roles that ran under the audit."""
    n: int
    """Batch size used for forward and evaluate."""
    notes: list[str] = field(default_factory=list)

    def broadcasts(self, roles: tuple[str, ...] | None = None) -> list[Op]:
        return [o for o in self.ops if o.broadcast and (roles is None or o.role in roles)]

    def lines_in(self, roles: tuple[str, ...]) -> set[int]:
        """Site ids seen while any of ``roles`` ran."""
        return {o.site.id for o in self.ops if o.role in roles}

    def matrix_ops(self) -> list[Op]:
        return [o for o in self.ops if o.matrix]


def _fmt(shape) -> str:
    if shape is None:
        return "scalar"
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


_SHAPE_RE = re.compile(r"\((\d+(?:\s*,\s*\d+)*)\s*,?\s*\)")


def parse_shapes(message: str) -> tuple:
    """Shapes named in a numpy error message: ``shapes (10,10) and (1,784) not aligned``."""
    return tuple(tuple(int(d) for d in m.group(1).split(",")) for m in _SHAPE_RE.finditer(message))


def _param_shapes(session) -> dict[str, tuple]:
    try:
        return {k: np.shape(v) for k, v in session.params().items()}
    except Exception:  # noqa: BLE001 - params() is the user's; the core probes report it
        return {}


def _op(ev: Event, count: int = 1) -> Op:
    return Op(audit.site(ev.site), ev.role or "", ev.kind, ev.shapes, ev.result, ev.matrix, count, ev.extra,
              ev.error, tuple(audit.site(s) if s is not None else None for s in ev.sources))


class _Runner:
    def __init__(self, session, rec: audit.Recorder):
        self.session, self.rec = session, rec
        self.crashes: dict[str, Crash] = {}
        self.changes: list[ShapeChange] = []
        self.roles: list[str] = []
        self.notes: list[str] = []

    def __call__(self, role: str, fn, *args):
        before = _param_shapes(self.session)
        self.rec.begin(role)
        if role not in self.roles:
            self.roles.append(role)
        try:
            return fn(*args)
        except UserCodeError as e:
            self.crashes.setdefault(role, self._crash(role, e))
        except BadReturn as e:
            self.notes.append(f"{role}: {e}")
        finally:
            self._changes(role, before)
            self.rec.end()
        return None

    def _crash(self, role: str, e: UserCodeError) -> Crash:
        fail = self.rec.failure
        op = None
        if fail is not None:
            s = audit.site(fail.event.site)
            if e.line is None or (s.line == e.line and s.file == e.file):
                op = _op(fail.event)
        shapes = op.shapes if op is not None else parse_shapes(str(e.exc))
        made: list[Event] = list(fail.linked) if op is not None and fail is not None else []
        same = bool(made)
        if not made:
            wanted = {s for s in shapes if s}
            made = [ev for ev in reversed(self.rec.recent) if ev.broadcast and ev.result in wanted]
        seen, made_ops = set(), []
        for ev in made:
            if ev.site not in seen:
                seen.add(ev.site)
                made_ops.append(_op(ev))
        return Crash(role, e.file, e.line, e.function, e.code, f"{type(e.exc).__name__}: {e.exc}", op,
                     tuple(shapes), tuple(made_ops), same)

    def _changes(self, role: str, before: dict[str, tuple]) -> None:
        try:
            params = self.session.params()
        except Exception:  # noqa: BLE001
            return
        for k, old in before.items():
            new = np.shape(params.get(k)) if k in params else old
            if new != old:
                sid = self.rec.made(params[k])
                op = None
                if sid is not None:
                    hits = [ev for ev, _ in self.rec.events()
                            if ev.site == sid and ev.role == role and ev.result == tuple(new)]
                    op = _op(hits[-1]) if hits else None
                self.changes.append(ShapeChange(k, role, tuple(old), tuple(new),
                                                audit.site(sid) if sid is not None else None, op))


def _number(v) -> float | None:
    try:
        x = float(np.asarray(v, dtype=np.float64).reshape(-1)[0]) if np.size(v) == 1 else None
    except (TypeError, ValueError):
        return None
    return x if x is not None and np.isfinite(x) else None


def _scale(values: list[float], n: int, raw: list) -> float:
    """What 100 % is in the user's units, from what evaluate returned."""
    if not values or max(values) <= 1.0 + 1e-9:
        return 1.0
    integral = all(isinstance(r, (int, np.integer)) for r in raw if r is not None)
    if integral and max(values) <= n:
        return float(n)
    return 100.0 if max(values) <= 100.0 + 1e-9 else float(n)


NOISE = (1.0, 3.0, 10.0)
"""Noise scales (times each parameter's spread, at least 0.01) tried in turn when the
initial network predicts a single class: enough to make hidden units differ
between samples without changing any shape."""


def _vary_predictions(run: _Runner, session, pool: Batch, out: np.ndarray | None):
    """(output, scale): perturb the weights (restored by the caller) until predictions differ."""
    if _classes(out) != 1:
        return out, 0.0
    rng = np.random.default_rng(session.seed + 7)
    params = [v for v in session.params().values()
              if isinstance(v, np.ndarray) and v.flags.writeable and np.issubdtype(v.dtype, np.floating)]
    base = [v.copy() for v in params]
    for scale in NOISE:
        for v, v0 in zip(params, base):
            np.copyto(v, v0 + rng.normal(0.0, scale * max(float(np.std(v0)), 0.01), v0.shape), casting="unsafe")
        new = run("forward", session.output, pool)
        if _classes(new) > 1:
            return new, scale
    for v, v0 in zip(params, base):
        np.copyto(v, v0)
    return out, 0.0


def _accuracy(run: _Runner, session, b: Batch, out: np.ndarray | None, perturbed: float = 0.0) -> Accuracy | None:
    model = session.model
    if model.evaluate is None:
        return None
    raw = run("evaluate", session.evaluate, b)
    if out is None or out.ndim != 2 or out.shape[1] < 2 or out.shape[0] != b.n:
        return None
    pred = np.argmax(out, axis=1)
    raw_own = run("evaluate", session.evaluate, Batch(b.X, b.Y, pred))
    v, v_own = _number(raw), _number(raw_own)
    if v is None and v_own is None:
        return None
    vals = [x for x in (v, v_own) if x is not None]
    if v_own is not None and any(abs(v_own - c) < 1e-9 for c in (1.0, 100.0, float(b.n))):
        scale = v_own
    else:
        scale = _scale(vals, b.n, [raw, raw_own])
    return Accuracy(b.n, v, v_own, scale, float(np.mean(pred == b.labels)), int(len(np.unique(pred))), perturbed)


def _varied(out: np.ndarray | None, n: int) -> np.ndarray:
    """``n`` row indices taking the predicted classes in turn (the first ``n`` when there is no output)."""
    if out is None or out.ndim != 2 or out.shape[1] < 2 or not np.all(np.isfinite(out)):
        return np.arange(n)
    pred = np.argmax(out, axis=1)
    queues = [list(np.flatnonzero(pred == c)) for c in np.unique(pred)]
    idx: list[int] = []
    while len(idx) < min(n, len(pred)):
        for q in queues:
            if q and len(idx) < n:
                idx.append(q.pop(0))
    return np.sort(np.array(idx))


def _classes(out: np.ndarray | None) -> int:
    if out is None or out.ndim != 2 or out.shape[1] < 2 or not np.all(np.isfinite(out)):
        return 0
    return int(len(np.unique(np.argmax(out, axis=1))))


def _evaluation_batch(run: _Runner, session, b: Batch, out: np.ndarray | None):
    """(batch, its output, noise scale) on which the network predicts more than one class, if it can."""
    if _classes(out) != 1:
        return b, out, 0.0
    pool = session.batch(min(POOL, session.data.n), offset=b.n)
    pout = run("forward", session.output, pool)
    scale = 0.0
    if _classes(pout) == 1:
        pout, scale = _vary_predictions(run, session, pool, pout)
    if _classes(pout) < 1:
        return b, out, 0.0
    idx = _varied(pout, b.n)
    return pool.take(idx), pout[idx], scale


def run(session, evidence) -> ShapeEvidence:
    model = session.model
    files = audit.files_for(model.source) if model.source else []
    if not files:
        evidence.notes.append(NOTE_IN_PROCESS)
        raise ProbeSkipped("the model was built in-process; nothing to audit")
    b = session.batch(min(BATCH, session.data.n))
    small = b.take(np.arange(min(SAMPLE_CALLS, b.n))) if model.layout == "sample" else b
    rec = audit.Recorder()
    runner = _Runner(session, rec)
    accuracy = None
    with state.preserved(model), audit.recording(files, rec):
        out = runner("forward", session.output, b)
        if model.evaluate is not None:
            with state.preserved(model):  # the noise that makes predictions differ is undone here
                eb, eout, perturbed = _evaluation_batch(runner, session, b, out)
                accuracy = _accuracy(runner, session, eb, eout, perturbed)
        if model.backward is not None:
            runner("backward", session.gradients, small)
        if model.step is not None:
            runner("step", session.step, small)
    ops = [_op(ev, n) for ev, n in rec.events()]
    return ShapeEvidence(files=[f.path for f in files], sites=sum(len(f.sites) for f in files), ops=ops,
                         crashes=runner.crashes, changes=runner.changes, accuracy=accuracy, roles=runner.roles,
                         n=b.n, notes=runner.notes)
