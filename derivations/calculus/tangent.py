"""The derivative by a scalar, as a matrix: d/dt of any expression has the expression's shape.

A matrix-valued function of a scalar t has no Jacobian matrix in numerator layout, but it has
the textbook's matrix form: d(sin(t) A B x)/dt = cos(t) A B x, d(A + tB)⁻¹/dt = −Y⁻¹ B Y⁻¹.
This is forward mode with a scalar seed, one tangent rule per node class (the same table
discipline as ``rules.py``); the index form is still given beside it.
"""

from __future__ import annotations

from collections.abc import Callable

from ..expr import nodes as N
from ..expr import shapes as S
from ..expr.program import Definition
from . import algebra as A
from .forward import forward_sweep
from .scalar import partial

Tan = Callable[[N.Node, list[N.Node | None]], N.Node | None]


class NoTangentRule(NotImplementedError):
    """An op without a tangent rule here: the caller falls back to the Jacobian or index form."""


def _sum_terms(terms: list[N.Node | None]) -> N.Node | None:
    present = [t for t in terms if t is not None]
    return A.add(*present) if present else None


def _elementwise(partials: Callable[[N.Node, int], N.Node]) -> Tan:
    def rule(node: N.Node, ds: list[N.Node | None]) -> N.Node | None:
        return _sum_terms(
            [None if d is None else A.mul(partials(node, k), d) for k, d in enumerate(ds)]
        )

    return rule


def _mul_partial(node: N.Node, k: int) -> N.Node:
    others = [c for j, c in enumerate(node.children) if j != k]
    return A.mul(*others)


def _div_partial(node: N.Node, k: int) -> N.Node:
    a, b = node.children
    return A.div(N.Const(1), b) if k == 0 else A.neg(A.div(a, A.power(b, N.Const(2))))


def _apply_partial(node: N.Node, k: int) -> N.Node:
    assert isinstance(node, N.Apply)
    return partial(node.fn, node.children, k)


def _matmul(node: N.Node, ds: list[N.Node | None]) -> N.Node | None:
    a, b = node.children
    da, db = ds
    return _sum_terms(
        [None if da is None else A.matmul(da, b), None if db is None else A.matmul(a, db)]
    )


def _inverse(node: N.Node, ds: list[N.Node | None]) -> N.Node | None:
    (d,) = ds
    return None if d is None else A.neg(A.matmul(A.matmul(node, d), node))


def _det(node: N.Node, ds: list[N.Node | None]) -> N.Node | None:
    (d,) = ds
    (a,) = node.children
    return None if d is None else A.mul(node, N.Trace(A.matmul(N.Inverse(a), d)))


def _logdet(node: N.Node, ds: list[N.Node | None]) -> N.Node | None:
    (d,) = ds
    return None if d is None else N.Trace(A.matmul(N.Inverse(node.children[0]), d))


def _linear(build: Callable[[N.Node, N.Node], N.Node]) -> Tan:
    def rule(node: N.Node, ds: list[N.Node | None]) -> N.Node | None:
        (d,) = ds
        return None if d is None else build(node, d)

    return rule


def _norm2(node: N.Node, d: N.Node) -> N.Node:
    return A.div(A.sum_(A.mul(node.children[0], d)), node)


def _softmax(node: N.Node, d: N.Node) -> N.Node:
    return A.mul(node, A.add(d, A.neg(A.sum_(A.mul(node, d)))))


def _log_softmax(node: N.Node, d: N.Node) -> N.Node:
    return A.add(d, A.neg(A.sum_(A.mul(N.Softmax(node.children[0]), d))))


def _concat(node: N.Node, ds: list[N.Node | None]) -> N.Node | None:
    if all(d is None for d in ds):
        return None
    return A.concat(
        *(A.zeros(c.shape) if d is None else d for c, d in zip(node.children, ds, strict=True))
    )


def _slice(node: N.Node, ds: list[N.Node | None]) -> N.Node | None:
    (d,) = ds
    start, stop = node.params
    return None if d is None else A.slice_rows(d, start, stop)


def _leaf(node: N.Node, ds: list[N.Node | None]) -> N.Node | None:
    return None


TANGENT: dict[type[N.Node], Tan] = {
    N.Var: _leaf, N.Const: _leaf, N.Zeros: _leaf, N.Ones: _leaf, N.Identity: _leaf,
    N.Basis: _leaf,
    N.Add: lambda node, ds: _sum_terms(list(ds)),
    N.Neg: _linear(lambda node, d: A.neg(d)),
    N.Mul: _elementwise(_mul_partial),
    N.Div: _elementwise(_div_partial),
    N.Apply: _elementwise(_apply_partial),
    N.MatMul: _matmul,
    N.Transpose: _linear(lambda node, d: A.transpose(d)),
    N.Inverse: _inverse,
    N.Det: _det,
    N.LogDet: _logdet,
    N.Trace: _linear(lambda node, d: N.Trace(d) if not d.is_scalar else d),
    N.Diag: _linear(lambda node, d: A.diag(d)),
    N.DiagPart: _linear(lambda node, d: N.DiagPart(d)),
    N.Sum: _linear(lambda node, d: A.sum_(d)),
    N.Mean: _linear(lambda node, d: A.mul(N.Const(1 / S.length(node.children[0].shape)), A.sum_(d))),
    N.Norm2: _linear(_norm2),
    N.Softmax: _linear(_softmax),
    N.LogSoftmax: _linear(_log_softmax),
    N.LogSumExp: _linear(lambda node, d: A.sum_(A.mul(N.Softmax(node.children[0]), d))),
    N.Concat: _concat,
    N.Slice: _slice,
}  # fmt: skip


def _fit(d: N.Node, node: N.Node) -> N.Node:
    """A tangent that simplified to a scalar, for an array-valued node: broadcast it."""
    if d.shape == node.shape:
        return d
    assert d.is_scalar, (d.shape, node.shape)
    return A.mul(d, N.Ones(node.shape))


def derivative_by_scalar(
    definitions: list[Definition], output: N.Node, wrt: N.Var
) -> N.Node | None:
    """d output / d wrt for a scalar ``wrt``, with the output's shape (None: independent)."""
    assert wrt.is_scalar

    def step(node: N.Node, ds: list[N.Node | None]) -> N.Node | None:
        rule = TANGENT.get(type(node))
        if rule is None:
            raise NoTangentRule(f"no tangent rule for {type(node).__name__}")
        d = rule(node, ds)
        return None if d is None else _fit(d, node)

    return forward_sweep(definitions, output, wrt, N.Const(1), step)
