"""chainrule: matrix-calculus derivations in textbook form, verified three ways."""

from .api import check, derive, trace
from .errors import ChainruleError
from .limits import Limits

__all__ = ["check", "derive", "trace", "ChainruleError", "Limits"]
__version__ = "0.1.0"
