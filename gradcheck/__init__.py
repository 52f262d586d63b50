"""gradcheck: finds the bugs in neural networks written by hand in numpy.

Public API: ``Model`` and ``register`` (the user's contract), ``check`` (one
model -> ``Report``), ``check_file`` (every model in a file), ``explain``.
Importing this package is cheap: numpy and the contract only.
"""
from gradcheck.model import InvalidModel, Model, register
from gradcheck.report import Check, Finding, Report, Where

__version__ = "0.1.0"


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


__all__ = ["Model", "register", "InvalidModel", "check", "check_file", "explain",
           "Finding", "Report", "Check", "Where", "__version__"]
_public = {n for n in dir() if not n.startswith("_")} - {"api", "model", "report"}
assert set(__all__) - {"__version__"} <= _public, set(__all__) - _public
