"""The ops along an axis as explicit SymPy matrices, by definition (for the exact check).

Each row (axis=1) or column (axis=0) is the vector definition: log Σ exp, exp(x_i)/Σ exp,
x_i − log Σ exp, the max folded pairwise from ``definitions`` (|a − b| based), and the router
1 at the first maximum as products of steps. Nothing here uses the rules being checked.
"""

from __future__ import annotations

from functools import reduce
from typing import Any

import sympy as sp

from ..expr import axis_nodes as X
from . import definitions


def _lines(m: sp.Matrix, axis: int) -> list[list[sp.Expr]]:
    """The columns (axis=0) or rows (axis=1) of ``m`` as lists of entries."""
    if axis == 0:
        return [list(m[:, j]) for j in range(m.shape[1])]
    return [list(m[i, :]) for i in range(m.shape[0])]


def _assemble(lines: list[list[sp.Expr]], axis: int) -> sp.Matrix:
    if axis == 0:
        return sp.Matrix([list(r) for r in zip(*lines, strict=True)])
    return sp.Matrix(lines)


def _first_max(v: list[sp.Expr]) -> list[sp.Expr]:
    """Entry i is 1 when it beats every earlier entry strictly and no later one beats it."""
    out = []
    for i, a in enumerate(v):
        factors = [
            definitions.apply("gt" if j < i else "ge", a, b) for j, b in enumerate(v) if j != i
        ]
        out.append(sp.Mul(*factors))
    return out


def _line_op(node: X.AxisOp, v: list[sp.Expr]) -> list[sp.Expr]:
    if isinstance(node, X.AxisMax):
        return [reduce(lambda a, b: definitions.apply("max", a, b), v)]
    if isinstance(node, X.ArgMaxMask):
        return _first_max(v)
    lse = sp.log(sum(sp.exp(e) for e in v))
    if isinstance(node, X.AxisLogSumExp):
        return [lse]
    if isinstance(node, X.AxisSoftmax):
        total = sum(sp.exp(e) for e in v)
        return [sp.exp(e) / total for e in v]
    assert isinstance(node, X.AxisLogSoftmax), node
    return [e - lse for e in v]


def explicit(evaluator: Any, node: X.AxisOp) -> sp.Matrix:
    """The op at the explicit matrix of its operand (``explicit.Explicit.evaluate``)."""
    m = evaluator.evaluate(node.children[0])
    lines = [_line_op(node, v) for v in _lines(m, node.axis)]
    return _assemble(lines, node.axis)
