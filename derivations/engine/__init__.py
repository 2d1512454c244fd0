"""The NumPy backprop engine: hand-written gates, graphs compiled from typed programs, traces.

Independent of ``derivations.calculus`` by design, so that it can check the symbolic rules.
"""

from .compile import compile_program
from .gates import FUNCTION_GATES, GATES, UnknownOpError
from .graph import Graph, Ref
from .trace import TraceResult, trace

__all__ = [
    "FUNCTION_GATES",
    "GATES",
    "Graph",
    "Ref",
    "TraceResult",
    "UnknownOpError",
    "compile_program",
    "trace",
]
