"""The forward-mode drivers: Jacobians in numerator layout, and derivatives by a scalar.

The Jacobian serves vector-valued programs and Hessians (the Jacobian of a gradient); it raises
``NoMatrixForm`` when a matrix-valued intermediate depends on the variable, and the caller falls
back to index notation. The derivative by a scalar t has the expression's shape, even through
matrix-valued intermediates: d(sin(t) A B x)/dt = cos(t) A B x, d(A + tB)⁻¹/dt = −Y⁻¹ B Y⁻¹
(the textbook's matrix form; the index form is given beside it). Both read ``rules.RULES``.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

from ..expr import nodes as N
from ..expr import shapes as S
from ..expr.program import Definition
from . import algebra as A
from .rules import SCALAR, jacobian_rule


class NoTangentRule(NotImplementedError):
    """An op whose rule declares no derivative by a scalar: the caller gives the Jacobian or
    the index form instead (a bug to fix in rules.py, never a crash)."""


Step = Callable[[N.Node, list[N.Node | None]], N.Node | None]


def forward_sweep(
    definitions: list[Definition], output: N.Node, wrt: N.Var, seed: N.Node, step: Step
) -> N.Node | None:
    """Forward mode through the definitions: ``step(node, children's derivatives)`` gives a
    node's derivative; a node none of whose children depends on ``wrt`` gets None. One sweep
    serves the Jacobian (seed I) and the derivative by a scalar (seed 1)."""
    known: dict[str, N.Node | None] = {wrt.name: seed}

    def tree(root: N.Node) -> N.Node | None:
        memo: dict[N.Node, N.Node | None] = {}
        for node in N.walk(root):
            if node in memo:
                continue
            if isinstance(node, N.Var):
                memo[node] = known.get(node.name)
                continue
            ds = [memo[c] for c in node.children]
            memo[node] = None if all(d is None for d in ds) else step(node, ds)
        return memo[root]

    for d in definitions:
        if N.free_vars(d.node) & {k for k, v in known.items() if v is not None}:
            known[d.name] = tree(d.node)
    return tree(output)


def jacobian(definitions: list[Definition], output: N.Node, wrt: N.Var) -> N.Node | None:
    """∂output/∂wrt as a matrix expression (rows: output entries; columns: wrt entries)."""
    n = sp.Integer(1) if wrt.is_scalar else S.vector_length(wrt.shape)
    seed: N.Node = N.Const(1) if wrt.is_scalar else N.Identity(n)
    return forward_sweep(
        definitions, output, wrt, seed, lambda node, js: jacobian_rule(node, js, n)
    )


def _fit(d: N.Node, node: N.Node) -> N.Node:
    """A tangent that simplified to a scalar, for an array-valued node: broadcast it."""
    if d.shape == node.shape:
        return d
    assert d.is_scalar, (d.shape, node.shape)
    return A.mul(d, N.Ones(node.shape))


def _scalar_step(node: N.Node, ds: list[N.Node | None]) -> N.Node | None:
    rule = SCALAR.get(type(node))
    if rule is None:
        raise NoTangentRule(
            f"no derivative by a scalar for {type(node).__name__}; declare it with the op's "
            "rule in derivations/calculus/rules.py::RULES (general(vjp, jacobian, scalar))"
        )
    d = rule(node, ds)
    return None if d is None else _fit(d, node)


def derivative_by_scalar(
    definitions: list[Definition], output: N.Node, wrt: N.Var
) -> N.Node | None:
    """d output / d wrt for a scalar ``wrt``, with the output's shape (None: independent)."""
    assert wrt.is_scalar
    return forward_sweep(definitions, output, wrt, N.Const(1), _scalar_step)
