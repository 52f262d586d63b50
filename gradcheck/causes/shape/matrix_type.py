"""np.matrix values in the network's arithmetic: ``*`` is a matrix product for them.

## What it does
The shape audit records which operations of the user's code receive or
produce ``np.matrix`` values. Their use is reported as a warning. It is an
error when a ``*`` on matrices took two operands of the same shape (the shapes
of an elementwise product, such as a delta times an activation slope) and
either crashed (``shapes (10,1) and (10,1) not aligned``) or silently computed
a matrix product of two square matrices.

## Why is this bad?
For ``np.matrix``, ``*`` is the matrix product and ``**`` the matrix power,
while for ``np.ndarray`` they are elementwise: the same line means two
different things depending on how an array was created, and ``np.asmatrix``
in one place turns every later ``*`` into a matrix product. numpy recommends
against ``np.matrix``; it may be removed.

## Example
```python
W = np.asmatrix(np.random.randn(10, 784))
delta = (a - y) * a * (1 - a)       # (10, 1) * (10, 1): a matrix product, crashes
```

Use instead:
```python
W = np.random.randn(10, 784)        # a plain ndarray
delta = (a - y) * a * (1 - a)       # elementwise
z = W @ x                           # the matrix product, said explicitly
```

## Confidence
- 0.9 (error): a ``*`` on matrices of equal shapes (not 1x1) raised: an
  elementwise product was meant.
- 0.75 (error): a ``*`` on two square matrices of equal shape succeeded as a
  matrix product: elementwise intent is likely but not certain.
- 0.9 (warning): np.matrix values were observed in the user's operations.
"""
from gradcheck.causes import cause
from gradcheck.causes.shape._broadcast import fmt, site_line, site_where
from gradcheck.report import Finding


def _elementwise_intent(op) -> bool:
    a, b = op.shapes if len(op.shapes) == 2 else (None, None)
    return a is not None and a == b and len(a) == 2 and a != (1, 1)


@cause("matrix-type", requires=("shapes",))
def judge(ev):
    sh = ev["shapes"]
    ops = sh.matrix_ops()
    if not ops:
        return []
    products = [o for o in ops if o.kind == "matrix*"]
    crashed = [o for o in products if o.error and _elementwise_intent(o)]
    silent = [o for o in products if not o.error and _elementwise_intent(o) and o.shapes[0][0] == o.shapes[0][1]]
    lines = sorted({o.site.line for o in ops})
    evidence = {"operations": len({o.site.id for o in ops}), "lines": lines[:20],
                "matrix_products": len({o.site.id for o in products})}
    if crashed or silent:
        op = (crashed or silent)[0]
        a = op.shapes[0]
        if crashed:
            severity, confidence = "error", 0.9
            title = (f"`{op.site.text}` multiplies two {fmt(a)} np.matrix values with `*`, a matrix product, "
                     f"and {op.role} crashes: an elementwise product was meant")
        else:
            severity, confidence = "error", 0.75
            title = (f"`{op.site.text}` multiplies two {fmt(a)} np.matrix values with `*`: a matrix product "
                     f"where the equal shapes suggest an elementwise one")
        detail = [f"{site_line(op.site)}: {op.describe()}"]
        if op.error:
            detail.append(f"raises {op.error}")
        evidence.update(line=op.site.line, shapes=[list(s) for s in op.shapes], role=op.role)
        return [Finding(cause="matrix-type", severity=severity, confidence=confidence, title=title,
                        fix=f"use np.multiply(...) for the elementwise product at line {op.site.line}, or better, "
                            f"plain ndarrays (drop np.asmatrix / np.matrix) with `@` for matrix products",
                        evidence=evidence, where=site_where(op.site), detail=tuple(detail))]
    first = products[0] if products else ops[0]
    shown = list({o.site.id: o for o in reversed(products or ops)}.values())[::-1]
    detail = [f"{site_line(o.site)}: {o.describe()}" for o in shown[:3]]
    n_lines = len(lines)
    return [Finding(
        cause="matrix-type", severity="warning", confidence=0.9,
        title=f"np.matrix values in {n_lines} line{'s' * (n_lines != 1)} of arithmetic: `*` is a matrix product "
              f"for them, elementwise for arrays",
        fix="use plain ndarrays (np.array instead of np.matrix / np.asmatrix), `@` for matrix products and "
            "`*` for elementwise ones",
        evidence=evidence, where=site_where(first.site), detail=tuple(detail))]
