"""The scalar functions by their textbook definitions, for the exact check (SymPy builtins only).

The rules differentiate through ``expr/functions.py``, whose classes carry our own derivative
table (``fdiff``). The exact check must not share that table, or a wrong σ′ written there would
be wrong on both sides and agree with itself. So here every function is spelled out from its
definition, σ(x) = 1/(1 + e^{−x}), softplus(x) = log(1 + e^{x}), and ``sympy.diff``
differentiates those with SymPy's own rules. Nothing here imports ``expr/functions.py``.

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

Definition = Callable[..., sp.Expr]


def magnitude(x: sp.Expr) -> sp.Expr:
    """|x| for real x, as √(x²), built unevaluated: evaluating √(x²) asks SymPy's assumptions
    system about x, which walks (and can take seconds on) a nested expression."""
    return sp.Pow(sp.Pow(x, 2, evaluate=False), sp.Rational(1, 2), evaluate=False)


def _step(x: sp.Expr) -> sp.Expr:
    """𝟙[x > 0] away from 0."""
    return (1 + x / magnitude(x)) / 2


DEFINITIONS: dict[str, Definition] = {
    "exp": sp.exp,
    "log": sp.log,
    "sqrt": sp.sqrt,
    "abs": magnitude,
    "sin": sp.sin,
    "cos": sp.cos,
    "tanh": sp.tanh,  # SymPy's own tanh and its own derivative rule
    "sigmoid": lambda x: 1 / (1 + sp.exp(-x)),
    "relu": lambda x: (x + magnitude(x)) / 2,
    "leaky_relu": lambda x, a: ((1 + a) * x + (1 - a) * magnitude(x)) / 2,
    "softplus": lambda x: sp.log(1 + sp.exp(x)),
    "max": lambda a, b: (a + b + magnitude(a - b)) / 2,
    "min": lambda a, b: (a + b - magnitude(a - b)) / 2,
    "pow": lambda a, b: a**b,
    # Functions that only appear in results (derivatives of the ones above); ties have no
    # value here, which is where their conventions (≥ against >) would differ.
    "gt": lambda a, b: _step(a - b),
    "ge": lambda a, b: _step(a - b),
    "sign": lambda x: x / magnitude(x),
    "leaky_step": lambda x, a: a + (1 - a) * _step(x),
}


def apply(name: str, *args: sp.Expr) -> sp.Expr:
    """The function ``name`` at SymPy arguments, by its definition; unknown names are an error."""
    try:
        definition = DEFINITIONS[name]
    except KeyError:
        raise NotImplementedError(f"the exact check has no definition of {name!r}") from None
    return definition(*args)
