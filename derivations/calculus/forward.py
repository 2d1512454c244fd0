"""The forward-mode driver: Jacobians in numerator layout, propagated through intermediates.

Used for Jacobians of vector-valued programs and for Hessians (the Jacobian of a gradient). It
raises ``NoMatrixForm`` when a matrix-valued intermediate depends on the variable; the caller
then falls back to index notation.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

from ..expr import nodes as N
from ..expr import shapes as S
from ..expr.program import Definition
from .rules import jacobian_rule

Step = Callable[[N.Node, list[N.Node | None]], N.Node | None]


def forward_sweep(
    definitions: list[Definition], output: N.Node, wrt: N.Var, seed: N.Node, step: Step
) -> N.Node | None:
    """Forward mode through the definitions: ``step(node, children's derivatives)`` gives a
    node's derivative; a node none of whose children depends on ``wrt`` gets None. One sweep
    serves the Jacobian (seed I) and the derivative by a scalar (seed 1, calculus/tangent.py)."""
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
