"""The user's code returned something gradcheck cannot use, of a kind no other cause names.

## What it does
A safety net: when forward, backward, step or evaluate returns a value of the
wrong type (a list where a dict of gradients belongs, a string, an object)
and no more specific cause explains it, this finding says what came back.

## Why is this bad?
Code that returns the wrong kind of value usually means a missing `return`,
a return of the wrong variable, or a function that fills attributes instead
of returning; the training loop that calls it then works on the wrong thing.

## Fix
Return what the Model contract asks for: forward -> the output array,
backward -> {name: gradient}, evaluate -> an accuracy number.

## Confidence
0.8: the value was observed; the contract may have been misdeclared.
"""
from gradcheck.causes import cause
from gradcheck.causes._where import user_function
from gradcheck.report import Finding
from gradcheck.session import BadReturn

# (role, kind) pairs other causes report: forward-returns-none, output-shape,
# gradient-missing, gradient-shape, param-shape-changed.
NAMED_ELSEWHERE = {("forward", "none"), ("forward", "shape"), ("forward", "type"), ("backward", "keys"),
                   ("backward", "none"), ("backward", "shape"), ("step", "shape")}


@cause("bad-return", requires=("failures",))
def judge(ev):
    out = []
    for err in ev.failures.values():
        if not isinstance(err, BadReturn) or (err.role, err.kind) in NAMED_ELSEWHERE:
            continue
        out.append(Finding(
            cause="bad-return", severity="error", confidence=0.8, title=str(err),
            evidence={"role": err.role, "kind": err.kind},
            where=user_function(ev.session, err.role, last_line=True),
            fix=f"make {err.role} return what the gradcheck.Model contract describes",
        ))
    return out
