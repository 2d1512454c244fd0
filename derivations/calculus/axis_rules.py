"""Adjoints and Jacobians of the ops along an axis (``expr/axis_nodes.py``).

Each rule is the vector op's rule applied to every row (axis=1) or column (axis=0) at once.
What makes that matrix algebra is the pair of products with 𝟏 the broadcasting already uses:
``spread`` sends a reduced adjoint back over the axis (g 𝟏ᵀ, 𝟏 g) and ``along`` sums an array
over it (M 𝟏, 𝟏ᵀ M). With S = softmax along the axis:

- logsumexp:   X̄ = spread(G) ∘ S
- softmax:     X̄ = S ∘ (G − spread(along(G ∘ S)))
- log-softmax: X̄ = G − S ∘ spread(along(G))
- max:         X̄ = spread(G) ∘ 𝟙[first maximum]; the router itself is piecewise constant.
"""

from __future__ import annotations

from ..expr import axis_nodes as X
from ..expr import nodes as N
from ..expr import shapes as S
from . import algebra as A


def spread(g: N.Node, shape: S.Shape, axis: int) -> N.Node:
    """A reduced adjoint (one entry per row or column) repeated back over ``axis``."""
    if axis == 1:
        return A.matmul(g, N.Ones((S.ONE, shape[1])))
    return A.matmul(N.Ones((shape[0], S.ONE)), g)


def along(m: N.Node, axis: int) -> N.Node:
    """The sum of ``m`` over ``axis``, keeping it as a length-1 axis."""
    if axis == 1:
        return A.matmul(m, N.Ones((m.shape[1], S.ONE)))
    return A.matmul(N.Ones((S.ONE, m.shape[0])), m)


def _vjp_logsumexp(node: N.Node, g: N.Node) -> list[N.Node | None]:
    (x,) = node.children
    axis = node.params[0]
    return [A.mul(spread(g, x.shape, axis), X.AxisSoftmax(x, axis))]


def _vjp_softmax(node: N.Node, g: N.Node) -> list[N.Node | None]:
    axis = node.params[0]
    back = spread(along(A.mul(g, node), axis), node.shape, axis)
    return [A.mul(node, A.add(g, A.neg(back)))]


def _vjp_log_softmax(node: N.Node, g: N.Node) -> list[N.Node | None]:
    (x,) = node.children
    axis = node.params[0]
    back = spread(along(g, axis), x.shape, axis)
    return [A.add(g, A.neg(A.mul(X.AxisSoftmax(x, axis), back)))]


def _vjp_max(node: N.Node, g: N.Node) -> list[N.Node | None]:
    (x,) = node.children
    axis = node.params[0]
    return [A.mul(spread(g, x.shape, axis), X.ArgMaxMask(x, axis))]


def _vjp_constant(node: N.Node, g: N.Node) -> list[N.Node | None]:
    return [None]  # the router is piecewise constant: zero almost everywhere


AXIS_VJP = {
    X.AxisLogSumExp: _vjp_logsumexp,
    X.AxisSoftmax: _vjp_softmax,
    X.AxisLogSoftmax: _vjp_log_softmax,
    X.AxisMax: _vjp_max,
    X.ArgMaxMask: _vjp_constant,
}


def _scalar_logsumexp(node: N.Node, ds: list[N.Node | None]) -> N.Node | None:
    (x,), (d,), axis = node.children, ds, node.params[0]
    return None if d is None else along(A.mul(X.AxisSoftmax(x, axis), d), axis)


def _scalar_softmax(node: N.Node, ds: list[N.Node | None]) -> N.Node | None:
    (d,), axis = ds, node.params[0]
    if d is None:
        return None
    return A.mul(node, A.add(d, A.neg(spread(along(A.mul(node, d), axis), node.shape, axis))))


def _scalar_log_softmax(node: N.Node, ds: list[N.Node | None]) -> N.Node | None:
    (x,), (d,), axis = node.children, ds, node.params[0]
    if d is None:
        return None
    back = along(A.mul(X.AxisSoftmax(x, axis), d), axis)
    return A.add(d, A.neg(spread(back, x.shape, axis)))


def _scalar_max(node: N.Node, ds: list[N.Node | None]) -> N.Node | None:
    (x,), (d,), axis = node.children, ds, node.params[0]
    return None if d is None else along(A.mul(X.ArgMaxMask(x, axis), d), axis)


# The derivative by a scalar: each row's (column's) vector rule, d/dt keeping the shapes.
AXIS_SCALAR = {
    X.AxisLogSumExp: _scalar_logsumexp,
    X.AxisSoftmax: _scalar_softmax,
    X.AxisLogSoftmax: _scalar_log_softmax,
    X.AxisMax: _scalar_max,
    X.ArgMaxMask: lambda node, ds: None,  # piecewise constant
}


def jacobian_rules(no_matrix_form: type[Exception]) -> dict:
    """Forward-mode entries. A vector's max has the matrix form (mask)ᵀ J; every other axis op
    acts on a matrix, whose Jacobian is a higher-order tensor (the index form is used)."""

    def matrix_only(node: N.Node, js: list[N.Node | None], n: object) -> N.Node | None:
        if all(j is None for j in js):
            return None
        if isinstance(node, X.AxisMax) and S.is_vector(node.children[0].shape):
            mask = X.ArgMaxMask(*node.children, node.params[0])
            column = A.transpose(mask) if S.is_row(mask.shape) else mask
            return A.matmul(A.transpose(column), js[0])  # type: ignore[arg-type]
        raise no_matrix_form(type(node).__name__)

    def constant(node: N.Node, js: list[N.Node | None], n: object) -> N.Node | None:
        return None

    return {
        X.AxisLogSumExp: matrix_only,
        X.AxisSoftmax: matrix_only,
        X.AxisLogSoftmax: matrix_only,
        X.AxisMax: matrix_only,
        X.ArgMaxMask: constant,
    }
