"""gradcheck: finds the bugs in neural networks written by hand in numpy.

Public API: ``Model`` and ``register`` (the user's contract), ``check`` (one
model -> ``Report``), ``check_file`` (every model in a file), ``explain``, and
the test assertions ``assert_gradients`` and ``assert_trains``.

Importing this package costs nothing: every name is loaded on first use
(PEP 562 ``__getattr__``), because pytest imports our plugin, and with it this
package, in every project where gradcheck is installed.
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

# name -> module that defines it; imported when the name is first used
_LAZY = {
    "Model": "gradcheck.model", "register": "gradcheck.model", "InvalidModel": "gradcheck.model",
    "Finding": "gradcheck.report", "Report": "gradcheck.report", "Check": "gradcheck.report",
    "Where": "gradcheck.report", "GradcheckFailure": "gradcheck.testing",
}


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'gradcheck' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


def check(model, **kwargs):
    """Check one ``gradcheck.Model`` and return its ranked ``Report`` (see ``gradcheck.api.check``)."""
    from gradcheck import api

    return api.check(model, **kwargs)


def check_file(target, **kwargs):
    """Check every model in ``file.py`` (or ``file.py::name``); a list of Reports."""
    from gradcheck import api

    return api.check_file(target, **kwargs)


def explain(cause):
    """The documentation of a cause, or None."""
    from gradcheck import api

    return api.explain(cause)


def assert_gradients(model, **options):
    """Fail (``AssertionError`` with the diagnosis) unless the model's gradients are correct.

    ``model`` is a ``gradcheck.Model`` or a function returning one. Options:
    ``seed``, ``timeout``, ``ignore``, ``data``, ``strict`` (see ``gradcheck.testing``).
    Returns the ``Report``.
    """
    __tracebackhide__ = True
    from gradcheck import testing

    return testing.assert_gradients(model, **options)


def assert_trains(model, **options):
    """Fail (``AssertionError`` with the loss curve and the diagnosis) unless the model's step lowers the loss.

    Options as ``assert_gradients``, plus ``steps``, ``batch`` and
    ``min_decrease`` (see ``gradcheck.testing.assert_trains``). Returns the ``Report``.
    """
    __tracebackhide__ = True
    from gradcheck import testing

    return testing.assert_trains(model, **options)


__all__ = ["Model", "register", "InvalidModel", "check", "check_file", "explain", "assert_gradients",
           "assert_trains", "GradcheckFailure", "Finding", "Report", "Check", "Where", "__version__"]
_public = {n for n in globals() if n[0] not in "_@"} - {"annotations", "importlib"} | set(_LAZY)
assert set(__all__) - {"__version__"} == _public, (set(__all__) ^ _public)
