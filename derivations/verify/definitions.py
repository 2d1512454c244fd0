"""The scalar functions by their textbook definitions, for the exact check (SymPy builtins only).

The rules differentiate through ``calculus/elementwise.py``, whose classes carry our own
derivative table. The exact check must not share that table, or a wrong σ′ written there would
be wrong on both sides and agree with itself. So here every function is spelled out from its
definition, σ(x) = 1/(1 + e^{−x}), softplus(x) = log(1 + e^{x}), and ``sympy.diff``
differentiates those with SymPy's own rules. The definitions are the op registry's ``exact``
entries (``derivations/ops/functions.py``); nothing here imports the calculus layer.

The piecewise functions are written with |x| = √(x²), which is the piecewise definition
(x for x > 0, −x otherwise) on the reals: relu(x) = (x + |x|)/2, max(a, b) = (a + b + |a − b|)/2,
𝟙[a > b] = (1 + (a − b)/|a − b|)/2. SymPy differentiates these by the power rule, and their cost
is that of the expression; SymPy's ``Piecewise`` would run condition simplification, whose cost
cannot be bounded in advance. The points of the exact check never sit on a kink (|·| of 0 has no
value there and the point is not used).
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

from ..ops.functions import FUNCTIONS, magnitude

__all__ = ["DEFINITIONS", "apply", "magnitude"]

Definition = Callable[..., sp.Expr]

# Each function's ``exact`` meaning, from the op registry (SymPy builtins only).
DEFINITIONS: dict[str, Definition] = {name: spec.exact for name, spec in FUNCTIONS.items()}


def apply(name: str, *args: sp.Expr) -> sp.Expr:
    """The function ``name`` at SymPy arguments, by its definition; unknown names are an error."""
    try:
        definition = DEFINITIONS[name]
    except KeyError:
        raise NotImplementedError(f"the exact check has no definition of {name!r}") from None
    return definition(*args)
