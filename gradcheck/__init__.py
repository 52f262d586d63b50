"""gradcheck: finds the bugs in neural networks written by hand in numpy."""
from gradcheck.model import InvalidModel, Model, register
from gradcheck.report import Check, Finding, Report, Where

__version__ = "0.1.0"
__all__ = ["Model", "register", "InvalidModel", "Finding", "Report", "Check", "Where", "__version__"]
