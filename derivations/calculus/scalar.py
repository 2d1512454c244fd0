"""Scalar calculus through SymPy: ∂f/∂argₖ of an elementwise function, returned as nodes.

One rule covers every elementwise function: SymPy differentiates the table's scalar definition
(``calculus/elementwise.py``) in placeholder symbols, and the result is rebuilt as an elementwise node
expression over the actual arguments. tanh′ comes back as 1 − tanh², σ′ as σ(1 − σ), ReLU′ as
𝟙[z > 0], which is the textbook form.
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from ..errors import ChainruleError
from ..expr import nodes as N
from . import algebra as A
from .elementwise import SYMPY_TO_NAME, sympy_function

_PLACEHOLDERS = sp.symbols("_a0:3", real=True)


@lru_cache(maxsize=256)
def scalar_partial(fn: str, arity: int, k: int) -> sp.Expr:
    """∂f/∂argₖ in the placeholder symbols _a0, _a1 (cached: SymPy diff is not free)."""
    args = _PLACEHOLDERS[:arity]
    return sp.diff(sympy_function(fn)(*args), args[k])  # type: ignore[operator]


@lru_cache(maxsize=1024)
def _specialised(
    fn: str, arity: int, k: int, constants: tuple[tuple[int, sp.Expr], ...]
) -> sp.Expr:
    """The partial with constant arguments substituted and powers tidied: x² gives 2x."""
    expr = scalar_partial(fn, arity, k)
    expr = expr.subs({_PLACEHOLDERS[i]: v for i, v in constants})
    return sp.powsimp(sp.factor_terms(expr))


def partial(fn: str, args: tuple[N.Node, ...], k: int) -> N.Node:
    """The elementwise partial of ``fn`` in its k-th argument, evaluated at ``args``."""
    constants = tuple((i, a.value) for i, a in enumerate(args) if isinstance(a, N.Const))
    expr = _specialised(fn, len(args), k, constants)
    if expr.has(sp.zoo, sp.oo, -sp.oo, sp.nan):
        raise ChainruleError(
            "value",
            f"the derivative of {fn} is undefined at these constant arguments ({expr})",
            hint="check for a power of 0 or a division by 0 in the program",
        )
    mapping = dict(zip(_PLACEHOLDERS[: len(args)], args, strict=False))
    return from_sympy(expr, mapping)


def from_sympy(expr: sp.Expr, mapping: dict[sp.Symbol, N.Node]) -> N.Node:
    """Rebuild a SymPy scalar expression over placeholder symbols as an elementwise node."""
    if expr in mapping:
        return mapping[expr]
    if expr.is_Number or not (expr.free_symbols & mapping.keys()):
        return N.Const(expr)  # a number, or a size expression such as 1/n or √n
    if isinstance(expr, sp.Add):
        return A.add(*(from_sympy(a, mapping) for a in expr.args))
    if isinstance(expr, sp.Mul):
        numerator = []
        denominator = []
        for factor in expr.args:
            base, exponent = factor.as_base_exp()
            if exponent.is_Number and exponent < 0:
                denominator.append(from_sympy(base**-exponent, mapping))
            else:
                numerator.append(from_sympy(factor, mapping))
        # Function applications first: σ(z) ∘ (1 − σ(z)), as textbooks write it.
        numerator.sort(key=lambda n: 0 if isinstance(n, N.Apply) else 1)
        top = A.mul(*numerator) if numerator else N.Const(1)
        if not denominator:
            return top
        bottom = A.mul(*denominator)
        c, rest = A.split_coefficient(top)
        return A.scale(c, A.div(rest, bottom))
    if isinstance(expr, sp.Pow):
        base, exponent = expr.args
        if exponent == sp.Rational(1, 2):
            return N.Apply("sqrt", from_sympy(base, mapping))
        if exponent.is_Number and exponent < 0:
            return A.div(N.Const(1), from_sympy(base**-exponent, mapping))
        return A.power(from_sympy(base, mapping), from_sympy(exponent, mapping))
    func = expr.func
    if func in SYMPY_TO_NAME:
        name = SYMPY_TO_NAME[func]
        return N.Apply(name, *(from_sympy(a, mapping) for a in expr.args))
    if func is sp.sign:
        return N.Apply("sign", from_sympy(expr.args[0], mapping))
    raise ChainruleError(
        "not_implemented",
        f"the derivative {expr} has no matrix-expression form in chainrule",
        hint="this is a gap in chainrule's function table; please report it",
    )
