'''Softmax normalised over the wrong axis.

## What it does
Checks softmax normalisations (`np.exp(z) / np.sum(np.exp(z), ...)`, also inside
any function) for a denominator that sums over the wrong axis:

- the builtin `sum`, which adds the rows of a 2-D array (axis 0), in a function
  that otherwise works per row;
- `np.sum(e, axis=1)` without `keepdims=True`, which broadcasts the row sums
  across the columns;
- an axis different from the one the max-shift uses;
- `np.sum(e)` with no axis in a function that otherwise works per axis.

## Why is this bad?
Each sample's probabilities must sum to one over the *classes*. Summing over the
batch instead (or over everything) gives numbers that are not probabilities: the
cross-entropy gradient `p - y` is then wrong for every sample. With a `(n, 10)`
batch, `e / e.sum(axis=1)` divides element `[i, j]` by the sum of row `j`, which
only runs when `n == 10` and is silently wrong then.

## Example
```python
def softmax(z):                      # z: (n, classes)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / np.sum(e, axis=1)
```

Use instead:
```python
def softmax(z):                      # z: (n, classes)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / np.sum(e, axis=1, keepdims=True)
```

## Known problems
The rule does not know your layout; it reports only sums that cannot be right
for a 2-D batch or that disagree with the function's other reductions. A
`np.sum(e)` or builtin `sum(e)` over a single sample (or a column vector) is
correct and not reported, and so is the transposed idiom `(e.T / e.sum(axis=1)).T`.

## Fix
Sum over the class axis with `keepdims=True`: `axis=1` when samples are rows,
`axis=0` when samples are columns.
'''
from __future__ import annotations

from typing import Iterator

from gradcheck.lint._context import Context, text
from gradcheck.lint._registry import Violation, rule
from gradcheck.lint._softmax import axis_value, max_reductions, normalisations, two_dimensional_hints

_FIX = "sum over the class axis and keep it: np.sum(e, axis=1, keepdims=True) for rows (axis=0 for columns)"


@rule("softmax-axis")
def softmax_axis(ctx: Context) -> Iterator[Violation]:
    for norm in normalisations(ctx):
        for red in norm.sums:
            v = _judge(ctx, norm, red)
            if v is not None:
                yield v
                break


def _judge(ctx: Context, norm, red) -> Violation | None:
    hints = two_dimensional_hints(ctx, norm.scope, red.call)
    shift_axes = {axis_value(m.axis) for c in norm.exp_calls for m in max_reductions(ctx, c)
                  if m.axis is not None}
    shift_axes.discard(None)
    transposed = _transposed(ctx, norm.div.left)
    builtin = red.how == "builtin"
    axis = 0 if builtin else axis_value(red.axis)  # the builtin sum adds along axis 0
    if builtin and not transposed and any(a in (1, -1) for a in shift_axes | set(hints)):
        return Violation(
            red.call,
            title="softmax divides by the builtin sum(), which adds the rows of a 2-D array "
                  "(the batch axis), while the function works per row",
            fix=_FIX, confidence=0.8, evidence={"denominator": text(red.call)})
    if builtin:
        return None  # a single sample, a column vector or a columns batch: axis 0 is right
    if red.axis is None:
        if any(h in (1, -1, -99) for h in hints):
            return Violation(
                red.call,
                title="softmax divides by the sum over the whole array (no axis) while the function "
                      "works per axis elsewhere: probabilities sum to one over the batch, not per sample",
                fix=_FIX, confidence=0.7, evidence={"denominator": text(red.call)})
        return None
    if axis is None:
        return None
    if shift_axes and all(_norm(a) != _norm(axis) for a in shift_axes):
        return Violation(
            red.call,
            title=f"softmax shifts by the max over axis {sorted(shift_axes)[0]} but sums over axis {axis}",
            fix=_FIX, confidence=0.75, evidence={"sum_axis": axis, "max_axis": sorted(shift_axes)[0]})
    if not red.keepdims and not transposed and (axis == 1 or (axis == -1 and any(h in (1, -99) for h in hints))):
        return Violation(
            red.call,
            title=f"softmax divides by np.sum(..., axis={axis}) without keepdims: the row sums are "
                  "broadcast across the columns, so each entry is divided by another row's sum",
            fix=_FIX, confidence=0.8, evidence={"sum_axis": axis, "keepdims": False})
    return None


def _transposed(ctx: Context, numerator) -> bool:
    """``(e.T / e.sum(axis=1)).T``: dividing the transpose broadcasts per sample, correctly."""
    import ast

    return (isinstance(numerator, ast.Attribute) and numerator.attr == "T") or (
        isinstance(numerator, ast.Call) and ctx.numpy_name(numerator) == "transpose")


def _norm(axis: int) -> int:
    return 1 if axis == -1 else axis
