'''Arrays built as ``np.matrix``.

## What it does
Checks for calls to `np.matrix`, `np.asmatrix`, `np.mat` and `numpy.matlib`.

## Why is this bad?
On an `np.matrix`, `*` is the matrix product and `**` the matrix power, not the
elementwise operations they are on an ndarray; every result stays 2-D, so a row
of one sample becomes a `(1, n)` matrix and `argmax`, indexing and `sum` behave
differently. Backprop written with `*` for the Hadamard product (`delta * sigmoid_prime(z)`)
silently computes a matrix product instead, or fails only for some shapes. NumPy
itself recommends against the class.

## Example
```python
self.W1 = np.asmatrix(np.random.randn(784, 30))
delta = np.asmatrix(err) * sigmoid_prime(z)     # matrix product, not elementwise
```

Use instead:
```python
self.W1 = np.random.randn(784, 30)
delta = err * sigmoid_prime(z)                  # elementwise on ndarrays; use @ for products
```

## Fix
Use plain ndarrays (`np.array`, `np.asarray`); write matrix products with `@` or
`np.dot` and elementwise products with `*`.
'''
from __future__ import annotations

import ast
from typing import Iterator

from gradcheck.lint._context import Context
from gradcheck.lint._registry import Violation, rule

_MATRIX = ("matrix", "asmatrix", "mat", "bmat")


@rule("matrix-type", severity="warning")
def matrix_type(ctx: Context) -> Iterator[Violation]:
    for call in ctx.nodes(kind=ast.Call):
        name = ctx.numpy_name(call)
        if name is None:
            continue
        if name in _MATRIX or name.startswith("matlib."):
            yield Violation(
                call,
                title=f"np.{name} makes an np.matrix: `*` becomes a matrix product and every result stays 2-D",
                fix="use np.array/np.asarray; write matrix products with @ or np.dot and elementwise products with *",
                confidence=0.9,
                evidence={"call": f"numpy.{name}"},
            )
