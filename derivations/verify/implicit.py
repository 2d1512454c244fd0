"""Inverses and determinants of compound matrices for the exact check, solved at each point.

Expanding inv(M) as adjugate over determinant is cheap when M's entries are symbols, but when
they are themselves fractions (inv(A + inv(B + inv(C)))) the adjugate of fractions swells
beyond any bound before the work budget can see it: Berkowitz ran for minutes at n = 2. So an
entry of inv(M), and det(M), of such an M stays an unevaluated SymPy function of M's entries,
and the exact check's evaluator gives it its value at each rational sample point by an exact
rational linear solve (Gaussian elimination over fractions of the entries' values), a cost
fixed by n.

``sympy.diff`` differentiates these functions through M's entries, which is the definition of
the inverse as the X with M X = I (and of det by cofactor expansion) differentiated entry by
entry: ∂X_ij/∂M_pq = −X_ip X_qj and ∂det M/∂M_pq = det(M) X_qp. Those scalar facts are the
chain rule applied to the defining equations, not the matrix rules under test, which still
have to produce every transpose and product order right to agree.
"""

from __future__ import annotations

from collections import OrderedDict
from fractions import Fraction
from typing import Any

import mpmath
import sympy as sp

_CACHE_SIZE = 64


def _exact(value: Any) -> Fraction:
    """An mpmath real as the exact fraction it is (a binary float is a rational)."""
    if isinstance(value, mpmath.mpc):
        if value.imag != 0:
            raise ValueError("a complex matrix entry")
        value = value.real
    if not mpmath.isfinite(value):
        raise ValueError("a matrix entry that is not finite")
    sign, man, exp, _ = mpmath.mpf(value)._mpf_  # (−1)^sign · man · 2^exp, exactly
    magnitude = Fraction(int(man) * 2**exp) if exp >= 0 else Fraction(int(man), 2 ** (-exp))
    return -magnitude if sign else magnitude


class _Solved:
    """inv(M) and det(M) of one numeric M, by Gauss–Jordan elimination over fractions."""

    def __init__(self, n: int, entries: tuple[Any, ...]) -> None:
        rows = [[_exact(entries[i * n + j]) for j in range(n)] for i in range(n)]
        inverse = [[Fraction(int(i == j)) for j in range(n)] for i in range(n)]
        det = Fraction(1)
        for col in range(n):
            pivot = next((r for r in range(col, n) if rows[r][col] != 0), None)
            if pivot is None:
                raise ZeroDivisionError("the matrix is singular at this point")
            if pivot != col:
                rows[col], rows[pivot] = rows[pivot], rows[col]
                inverse[col], inverse[pivot] = inverse[pivot], inverse[col]
                det = -det
            p = rows[col][col]
            det *= p
            rows[col] = [x / p for x in rows[col]]
            inverse[col] = [x / p for x in inverse[col]]
            for r in range(n):
                if r != col and rows[r][col] != 0:
                    f = rows[r][col]
                    rows[r] = [a - f * b for a, b in zip(rows[r], rows[col], strict=True)]
                    inverse[r] = [a - f * b for a, b in zip(inverse[r], inverse[col], strict=True)]
        self.inverse = inverse
        self.det = det


_SOLVED: OrderedDict[tuple[Any, ...], _Solved] = OrderedDict()


def _solved(n: Any, entries: tuple[Any, ...]) -> _Solved:
    """The solve for these values, shared by the n² entries of one inverse at one point."""
    key = (int(n), *entries)
    found = _SOLVED.get(key)
    if found is None:
        found = _SOLVED[key] = _Solved(int(n), entries)
        if len(_SOLVED) > _CACHE_SIZE:
            _SOLVED.popitem(last=False)
    return found


def _mp(x: Fraction) -> Any:
    return mpmath.mpf(x.numerator) / x.denominator


class InverseEntry(sp.Function):
    """Entry (i, j) of the inverse of the n×n matrix whose entries (row by row) follow."""

    # ``eval`` is SymPy's auto-evaluation hook of a Function class (not Python's eval): the
    # arguments are SymPy expressions the exact check built from typed trees, never user text.
    @classmethod
    def eval(cls, *args: sp.Expr) -> None:
        return None  # never expanded: its value is solved at a point

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        n, i, j, *entries = self.args
        k = argindex - 4
        if k < 0:
            return sp.Integer(0)  # n, i and j are integers, not variables
        p, q = divmod(k, int(n))
        return -InverseEntry(n, i, p, *entries) * InverseEntry(n, q, j, *entries)

    @staticmethod
    def at_point(n: Any, i: Any, j: Any, *entries: Any) -> Any:
        return _mp(_solved(n, entries).inverse[int(i)][int(j)])


class Determinant(sp.Function):
    """det of the n×n matrix whose entries (row by row) follow."""

    @classmethod
    def eval(cls, *args: sp.Expr) -> None:
        return None

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        n, *entries = self.args
        k = argindex - 2
        if k < 0:
            return sp.Integer(0)
        p, q = divmod(k, int(n))
        return self * InverseEntry(n, q, p, *entries)

    @staticmethod
    def at_point(n: Any, *entries: Any) -> Any:
        return _mp(_solved(n, entries).det)


def compound(m: sp.Matrix) -> bool:
    """Whether some entry of ``m`` is more than a symbol or a number (adjugates would swell)."""
    return any(not (e.is_Symbol or e.is_Number) for e in m)


def implicit_inverse(m: sp.Matrix) -> sp.Matrix:
    n = m.shape[0]
    entries = tuple(m)
    return sp.Matrix(n, n, lambda i, j: InverseEntry(n, i, j, *entries))


def implicit_det(m: sp.Matrix) -> sp.Expr:
    return Determinant(m.shape[0], *tuple(m))
