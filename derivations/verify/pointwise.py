"""Bounded work on SymPy expressions: their size, and their value at a point in 50 digits.

The exact check never expands: expansion of nested fractions swells without bound (one
``sympy.expand`` of a 7-variable program ran for more than ten minutes). Instead it evaluates
both sides at random rational points with a small evaluator of its own, which visits each
distinct subexpression once (SymPy shares them), so its cost is the size of the expression DAG,
known before it starts. ``tree_size`` measures what ``sympy.diff`` will walk (the tree, where a
shared subexpression counts every time it occurs), without walking it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mpmath
import sympy as sp
from sympy.functions.elementary.piecewise import ExprCondPair

DIGITS = 50


class Undefined(Exception):
    """The expression has no real value at the point (a pole, a complex comparison, ...)."""


def _postorder(expr: sp.Basic, seen: dict[sp.Basic, Any]) -> list[sp.Basic]:
    """The distinct subexpressions not in ``seen``, children before parents (no recursion)."""
    order: list[sp.Basic] = []
    stack: list[tuple[sp.Basic, bool]] = [(expr, False)]
    marked: set[sp.Basic] = set()
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if node in seen or node in marked:
            continue
        marked.add(node)
        stack.append((node, True))
        stack.extend((a, False) for a in node.args if a not in seen and a not in marked)
    return order


class Sizes:
    """Tree sizes with a memo shared across expressions (the same subexpressions recur)."""

    def __init__(self) -> None:
        self.memo: dict[sp.Basic, int] = {}

    def tree(self, expr: sp.Basic) -> int:
        memo = self.memo
        for node in _postorder(expr, memo):
            memo[node] = 1 + sum(memo[a] for a in node.args)
        return memo[expr]


def dag_size(expr: sp.Basic) -> int:
    return len(_postorder(expr, {}))


def _relation(op: Callable[[Any, Any], bool]) -> Callable[..., Any]:
    def compare(a: Any, b: Any) -> bool:
        if isinstance(a, mpmath.mpc) or isinstance(b, mpmath.mpc):
            raise Undefined("comparison of complex values")
        return op(a, b)

    return compare


def _piecewise(node: sp.Piecewise, values: dict[sp.Basic, Any]) -> Any:
    for pair in node.args:
        if values[pair.cond]:
            return values[pair.expr]
    raise Undefined("no branch of a piecewise function applies")


def _heaviside(x: Any, *h0: Any) -> Any:
    if isinstance(x, mpmath.mpc):
        raise Undefined("Heaviside of a complex value")
    return mpmath.mpf(1) if x > 0 else mpmath.mpf(0) if x < 0 else (h0 or [mpmath.mpf(0.5)])[0]


def _sign(x: Any) -> Any:
    if isinstance(x, mpmath.mpc):
        raise Undefined("sign of a complex value")
    return mpmath.mpf((x > 0) - (x < 0))


def _real(op: Callable[..., Any]) -> Callable[..., Any]:
    def call(*xs: Any) -> Any:
        if any(isinstance(x, mpmath.mpc) for x in xs):
            raise Undefined("max/min of complex values")
        return op(*xs)

    return call


def _product(*xs: Any) -> Any:
    out = mpmath.mpf(1)
    for x in xs:
        out = out * x
    return out


# exp of an argument beyond this has no float64 counterpart (exp(710) overflows), and its
# cost in mpmath grows with the argument's size: exp(exp(exp(exp(exp(x))))) at x = 1 ran for
# minutes inside one mpmath.exp. Such a value counts as undefined at the point.
EXP_ARGUMENT_BOUND = 10**5


def _exp(x: Any) -> Any:
    if abs(mpmath.re(x)) > EXP_ARGUMENT_BOUND:
        raise Undefined(f"exp of an argument beyond {EXP_ARGUMENT_BOUND} in magnitude")
    return mpmath.exp(x)


_FUNCTIONS: dict[type, Callable[..., Any]] = {
    sp.Add: lambda *xs: mpmath.fsum(xs),
    sp.Mul: _product,
    sp.Pow: mpmath.power,
    sp.exp: _exp,
    sp.log: mpmath.log,
    sp.sin: mpmath.sin,
    sp.cos: mpmath.cos,
    sp.tanh: mpmath.tanh,
    sp.Abs: lambda x: abs(x),
    sp.re: mpmath.re,
    sp.im: mpmath.im,
    sp.sign: _sign,
    sp.Heaviside: _heaviside,
    sp.Max: _real(max),
    sp.Min: _real(min),
    sp.StrictGreaterThan: _relation(lambda a, b: a > b),
    sp.GreaterThan: _relation(lambda a, b: a >= b),
    sp.StrictLessThan: _relation(lambda a, b: a < b),
    sp.LessThan: _relation(lambda a, b: a <= b),
    sp.And: lambda *xs: all(xs),
    sp.Or: lambda *xs: any(xs),
    sp.Not: lambda x: not x,
    sp.Xor: lambda *xs: sum(map(bool, xs)) % 2 == 1,
    sp.ITE: lambda c, a, b: a if c else b,
    sp.Eq: _relation(lambda a, b: a == b),
    sp.Ne: _relation(lambda a, b: a != b),
}


def _namesake(node: sp.Basic) -> Callable[..., Any] | None:
    """A SymPy function not listed above by its mpmath namesake (erf, tan, sinh…), so that an
    op's exact meaning may use any SymPy function mpmath evaluates under the same name."""
    if not isinstance(node, sp.Function):
        return None
    return getattr(mpmath, type(node).__name__.lower(), None)


def _leaf(node: sp.Basic, point: dict[sp.Symbol, Any]) -> Any:
    if isinstance(node, sp.Symbol):
        return point[node]
    if isinstance(node, sp.Rational):
        return mpmath.mpf(node.p) / node.q
    if isinstance(node, sp.Float):
        return mpmath.mpf(str(node))
    if node is sp.true:
        return True
    if node is sp.false:
        return False
    if node is sp.pi:
        return +mpmath.pi
    if node is sp.E:
        return mpmath.e
    if node is sp.I:
        return mpmath.mpc(0, 1)
    raise Undefined(f"no value for {node}")


def evaluate(expr: sp.Basic, point: dict[sp.Symbol, Any], memo: dict[sp.Basic, Any]) -> Any:
    """The value of ``expr`` at ``point`` (an mpmath number), each subexpression once.

    ``memo`` carries the values of subexpressions already evaluated at this point (shared
    between the entries compared there); its growth is the work done. Raises Undefined where
    there is no finite value. The caller holds ``mpmath.workdps``.
    """
    try:
        for node in _postorder(expr, memo):
            if not node.args or isinstance(node, sp.Symbol | sp.Number):
                memo[node] = _leaf(node, point)
            elif isinstance(node, sp.Piecewise):
                memo[node] = _piecewise(node, memo)
            elif isinstance(node, ExprCondPair):
                memo[node] = None  # read by its Piecewise
            else:
                # A function solved at the point (implicit.py) carries its own evaluation.
                fn = (
                    _FUNCTIONS.get(type(node))
                    or getattr(type(node), "at_point", None)
                    or _namesake(node)
                )
                if fn is None:
                    raise NotImplementedError(
                        f"the exact evaluator has no rule for {type(node).__name__}"
                    )
                memo[node] = fn(*(memo[a] for a in node.args))
    except (ZeroDivisionError, ValueError, OverflowError) as exc:
        raise Undefined(str(exc)) from None
    value = memo[expr]
    if isinstance(value, bool) or not mpmath.isfinite(value):
        raise Undefined("not a finite number")
    return value
