"""Integer inputs (uint8 pixels) and arithmetic on them that wraps around or truncates.

## What it does
When the model's data holds integers, runs the forward and the gradient
twice on the same batch: once as given, once with the same values as float64.
Any difference comes from integer arithmetic inside the user's code: ``x - 128``
or ``x * 2`` on uint8 wraps modulo 256, ``x // 255`` truncates to 0 or 1. When
the results agree, narrow integer inputs (8 or 16 bits) are still reported as
a warning: the next line of arithmetic on them may wrap.

## Why is this bad?
Wrapping is silent: ``np.uint8(3) - np.uint8(5)`` is 254, not -2. A centred
image (``x - 128``) becomes a scrambled one, a squared pixel overflows, and the
network trains on noise with no error raised anywhere.

## Example
```python
X = images                      # uint8
h = sigmoid(((X - 128) / 128) @ W1)   # X - 128 wraps: 0 becomes 128
```

Use instead:
```python
X = images.astype(np.float64) / 255.0
```

## Thresholds
- a relative difference above 1e-6 between the integer and the float run:
  float64 arithmetic on whole numbers below 2^53 is exact, so identical code
  gives identical results; anything above round-off is integer arithmetic.
- the warning covers dtypes of 8 and 16 bits: int32/int64 inputs do not wrap
  at pixel or count scales.

## Confidence
0.95 for a measured difference (the same values gave different outputs or
gradients); 0.5 for the warning about narrow integer inputs.
"""
import numpy as np

from gradcheck.causes import cause
from gradcheck.causes._where import data_site, fmt, user_function
from gradcheck.report import Finding

DIFF = 1e-6


@cause("integer-overflow", requires=("inputs",))
def judge(ev):
    inp = ev["inputs"]
    if not inp.integer_dtype:
        return []
    x = inp.x
    rng = inp.dtype_range
    rng_text = f" (it holds {fmt(rng[0])}..{fmt(rng[1])})" if rng else ""
    out_d, grad_d = inp.float_output_diff, inp.float_grad_diff
    where_out = [r for r, d in (("forward", out_d), ("backward", grad_d)) if d is not None and d > DIFF]
    if where_out:
        role = where_out[0]
        if role == "backward" and ev.session.model.backward is None:
            role = "step"
        d = out_d if where_out[0] == "forward" else grad_d
        parts = " and ".join("output" if r == "forward" else "gradient" for r in where_out)
        return [Finding(
            cause="integer-overflow", severity="error", confidence=0.95,
            title=f"{x.dtype} inputs: the {parts} {'change' if len(where_out) > 1 else 'changes'} when the same "
                  f"values are given as float64 "
                  f"(relative difference {fmt(d)}): integer arithmetic wrapped or truncated",
            evidence={"dtype": x.dtype, "dtype_range": rng, "output_diff": out_d, "gradient_diff": grad_d,
                      "min": x.min, "max": x.max},
            where=user_function(ev.session, role),
            fix="convert the inputs to float before any arithmetic: X = X.astype(np.float64) / 255.0 "
                "where the data is loaded",
            detail=(f"inputs from {inp.source}: {x.dtype}{rng_text}, values {x.range_text}",
                    "uint8 arithmetic is modulo 256: np.uint8(3) - 5 == 254; x // 255 is 0 or 1"),
        )]
    if rng is None or np.dtype(x.dtype).itemsize > 2:
        return []
    return [Finding(
        cause="integer-overflow", severity="warning", confidence=0.5,
        title=f"inputs are {x.dtype}{rng_text}: arithmetic on them (x - 128, x * 2, x ** 2) wraps silently",
        evidence={"dtype": x.dtype, "dtype_range": rng, "output_diff": out_d, "gradient_diff": grad_d,
                  "min": x.min, "max": x.max},
        where=data_site(ev.session),
        fix="convert the inputs to float where the data is loaded: X = X.astype(np.float64) / 255.0",
        detail=("the forward and gradient gave the same results as with float64 inputs, so nothing wrapped yet",),
    )]
