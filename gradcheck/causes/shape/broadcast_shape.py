"""An array operation in forward, backward or step broadcasts to a shape larger than both operands.

## What it does
The shape audit records every arithmetic operation and comparison of the
user's own code while forward, backward and step run once. An elementwise
operation whose result has more entries than each of its operands, such as
``(h, 1) + (h,) -> (h, h)``, is reported with its line. When a later line
crashes on an array the broadcast made (``shapes (10,10) and (1,784) not
aligned``), the finding names both lines: the broadcast is the bug, the crash
is where it shows.

## Why is this bad?
numpy aligns shapes from the right: a ``(h, 1)`` column combined with an
``(h,)`` vector pairs every entry with every entry and silently makes an
``(h, h)`` matrix. The network then computes with h copies of a layer, its
gradients have the wrong shape, or it crashes lines later where the cause is
no longer visible.

## Example
```python
def backward(self, x, y):                      # x is (784, 1)
    delta = (self.W2.T @ d_out) * h * (1 - h)   # (10, 1)
    delta = delta - delta.mean(axis=1)          # (10, 1) - (10,) -> (10, 10)
    dW1 = np.dot(delta, x.T)                    # ValueError: shapes (10,10) and (1,784) not aligned
```

Use instead:
```python
    delta = delta - delta.mean(axis=1, keepdims=True)   # (10, 1) - (10, 1)
```

## Confidence
- 0.95: a later crash failed on the very array the broadcast made; 0.85 when
  a failing operand only has the broadcast's shape.
- 0.9: the broadcast's result became a parameter: a step changed its shape.
- 0.9: a ``(k, 1)`` column against a ``(k,)`` vector of the same length: the
  same vector in two shapes, never intended.
- 0.5 (warning): a ``(k, 1)`` column against an ``(m,)`` vector of another
  length: sometimes written on purpose. The one-hot encoding
  ``y[:, None] == np.arange(m)`` is recognised by its values (one operand is
  ``0, 1, ..., m-1``) and not reported.
- An outer product of a ``(k, 1)`` and a ``(1, m)`` matrix is not reported on
  its own (``delta * a.T`` is a correct weight gradient); only when a crash or
  a parameter change follows from it.
"""
from gradcheck.causes import cause
from gradcheck.causes.shape._broadcast import fmt as _f
from gradcheck.causes.shape._broadcast import pattern, reduction_source, rel, site_line, site_where
from gradcheck.report import Finding

TRAINING_ROLES = ("forward", "backward", "step")


def _judge_op(op, crash, change):
    kind, same = pattern(op.shapes)
    if crash is not None:
        return "error", 0.95 if crash.same_array else 0.85
    if change is not None:
        return "error", 0.9
    if kind == "row-column" and not op.encodes:
        return ("error", 0.9) if same else ("warning", 0.5)
    return None


@cause("broadcast-shape", requires=("shapes",))
def judge(ev):
    sh = ev["shapes"]
    crash_of = {}
    for crash in sh.crashes.values():
        for op in crash.made_by:
            if op.role in TRAINING_ROLES:
                crash_of.setdefault(op.site.id, crash)
    change_of = {}
    for c in sh.changes:
        if c.site is not None:
            change_of.setdefault((c.site.id, c.after), c)
    judged, seen = [], set()
    for op in sh.broadcasts(TRAINING_ROLES):
        if op.site.id in seen:
            continue
        crash, change = crash_of.get(op.site.id), change_of.get((op.site.id, op.result))
        verdict = _judge_op(op, crash, change)
        if verdict is None:
            continue
        seen.add(op.site.id)
        judged.append((verdict, op, crash, change))
    if not judged:
        return []
    judged.sort(key=lambda j: (j[0][0] != "error", -j[0][1]))  # stable: first executed first among equals
    (severity, confidence), op, crash, change = judged[0]
    a, b = (s for s in op.shapes if s is not None)
    kind, same = pattern(op.shapes)
    title = f"`{op.site.text}` broadcasts {_f(a)} and {_f(b)} to {_f(op.result)} in {op.role}"
    detail = [f"{site_line(op.site)}: {op.describe()}"]
    evidence = {"role": op.role, "line": op.site.line, "shapes": [list(s) for s in (a, b)],
                "result": list(op.result), "pattern": kind}
    param = None
    if crash is not None:
        title += f"; {crash.role} then fails at line {crash.line}"
        how = "the failing operand is the array this broadcast made" if crash.same_array else \
            "a failing operand has the shape this broadcast made"
        detail.append(f"then {rel(crash.file)}:{crash.line}" + (f" in {crash.function}" if crash.function else "")
                      + f": `{crash.code}` raises {crash.message} ({how})")
        evidence["crash"] = {"role": crash.role, "file": crash.file, "line": crash.line,
                             "message": crash.message[:300], "same_array": crash.same_array}
    if change is not None:
        param = change.param
        title += f"; {change.param} becomes {_f(change.after)} (was {_f(change.before)})"
        evidence["param"] = change.param
    if kind == "row-column" and crash is None and change is None:
        detail.append("a (k, 1) column and a (k,) vector broadcast to (k, k): every entry is paired with every entry"
                      if same else "a column and a 1-D vector broadcast to a matrix of every pair of entries")
    source = reduction_source(op)
    if source:
        detail.append(f"the {_f(source[1])} operand comes from `{source[0].text}` at line {source[0].line}, "
                      f"a {source[0].op} without keepdims=True")
    for (sev, _), other, _, _ in judged[1:3]:
        detail.append(f"also ({sev}): {site_line(other.site)}: {other.describe()} in {other.role}")
    fix = ("give both operands the same shape: reshape the 1-D one to a column (v.reshape(-1, 1)) or flatten the "
           "column (c.ravel()); keep keepdims=True in sums and means over an axis")
    if source:
        fix = f"add keepdims=True to `{source[0].text}` (line {source[0].line}) so both operands have the same shape"
    where = site_where(op.site, param)
    return [Finding(cause="broadcast-shape", severity=severity, confidence=confidence, title=title, fix=fix,
                    evidence=evidence, where=where, detail=tuple(detail))]

