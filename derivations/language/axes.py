"""Calls with ``axis=``: sum, mean, logsumexp, softmax, log_softmax and max along one axis.

The axis is NumPy's: ``axis=0`` runs down the rows (one result per column), ``axis=1`` across
the columns (one result per row); -1 and -2 count from the end. A reduction keeps the reduced
axis, as NumPy's ``keepdims=True`` does, so that it broadcasts straight back against its
argument: ``sum(X, axis=0)`` of an (n, B) matrix is the row 𝟏ᵀX (1, B), ``sum(X, axis=1)`` the
column X𝟏 (n,), and ``X - mean(X, axis=1)`` centres each row without a transpose.

The linear reductions need no op of their own: a sum along an axis is a product with 𝟏 (X𝟏,
𝟏ᵀX), as the textbook writes it, and a mean is that over the axis's length. The others are ops
(``expr/axis_nodes.py``). On a vector the axis must be the vector's own (0 for a column, 1 for a
row), and the call is the vector op itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..errors import ChainruleError
from ..expr import axis_nodes as X
from ..expr import nodes as N
from ..expr import shapes as S
from .ast import Call, Keyword, Number, Unary

if TYPE_CHECKING:
    from .elaborate import _Elaborator

AXIS_FUNCTIONS = ("sum", "mean", "logsumexp", "softmax", "log_softmax", "max")

_AXIS_HINT = (
    "axis=0 runs down the rows (one result per column), axis=1 across the columns (one per row)"
)


def _error(
    message: str, syn: Call | Keyword, hint: str, source: str, kind: str = "value"
) -> ChainruleError:
    """A bad axis is a bad value; an axis of length 1 (on a vector) a shape mismatch."""
    pos = syn.pos
    return ChainruleError(kind, message, pos.line, pos.column, hint, source)


def axis_of(syn: Call, source: str) -> int:
    """The literal axis of ``syn`` as 0 or 1 (before the operand's rank is checked)."""
    unknown = [k for k in syn.keywords if k.name != "axis"]
    if unknown:
        k = unknown[0]
        raise ChainruleError(
            "syntax",
            f"{syn.func} has no keyword argument {k.name!r}",
            k.pos.line,
            k.pos.column,
            f"the only keyword is axis, e.g. {syn.func}(X, axis=1)",
            source,
        )
    keyword = syn.keyword("axis")
    assert keyword is not None
    value = keyword.value
    sign = 1
    if isinstance(value, Unary) and value.op == "-":
        sign, value = -1, value.operand
    if not isinstance(value, Number) or not value.text.isdigit() or len(value.text) > 6:
        raise _error("the axis must be the integer 0, 1, -1 or -2", keyword, _AXIS_HINT, source)
    axis = sign * int(value.text)
    if axis not in (0, 1, -1, -2):
        raise _error(
            f"axis {axis} is out of range: a matrix has axes 0 and 1 (or -2 and -1)",
            keyword,
            _AXIS_HINT,
            source,
        )
    return axis % 2


def _vector_axis(name: str, a: N.Node, axis: int, syn: Call, source: str) -> None:
    """On a vector the axis must run along it: a column has axis 0, a row (xᵀ) axis 1."""
    own = 0 if S.is_column(a.shape) else 1
    if axis != own:
        kind = "a vector (n,)" if own == 0 else "a row vector (1, n)"
        raise _error(
            f"{name} along axis {axis} of {kind}: that axis has length 1",
            syn.keyword("axis") or syn,
            f"{kind} runs along axis {own}: write {name}(x, axis={own}) or leave the axis out",
            source,
            "shape_mismatch",
        )


def axis_call(e: _Elaborator, syn: Call) -> N.Node:
    """Elaborate ``f(X, axis=k)`` for one of AXIS_FUNCTIONS."""
    name = syn.func
    if name not in AXIS_FUNCTIONS:
        k = syn.keywords[0]
        raise ChainruleError(
            "syntax",
            f"{name} takes no keyword arguments",
            k.pos.line,
            k.pos.column,
            "axis= is taken by " + ", ".join(AXIS_FUNCTIONS),
            e.source,
        )
    axis = axis_of(syn, e.source)
    if len(syn.args) != 1:
        raise e.error(
            "arity",
            f"{name} with an axis takes one array, got {len(syn.args)} arguments",
            syn.func_pos,
            f"call it as {name}(X, axis={axis})"
            + (": max(a, b) of two arrays takes no axis" if name == "max" else ""),
            expected=1,
            got=len(syn.args),
        )
    a = e.expr(syn.args[0])
    if a.is_scalar:
        raise e.shape_error(
            f"{name} along an axis needs a vector or a matrix, got a scalar",
            syn.func_pos,
            f"drop the axis: {name}(...) of a scalar is the scalar"
            if name in ("sum", "mean", "max")
            else "give it a vector or a matrix",
            a,
        )
    if S.is_vector(a.shape):
        _vector_axis(name, a, axis, syn, e.source)
        return _ON_VECTORS[name](a)
    return _ON_MATRICES[name](a, axis)


def ones_along(a: N.Node, axis: int) -> N.Node:
    """The 𝟏 that sums ``a`` along ``axis``: 𝟏ᵀ on the left for axis 0, 𝟏 on the right for 1."""
    if axis == 0:
        return N.Ones((S.ONE, a.shape[0]))
    return N.Ones((a.shape[1], S.ONE))


def axis_sum(a: N.Node, axis: int) -> N.Node:
    """sum(X, axis=0) = 𝟏ᵀX (a row), sum(X, axis=1) = X𝟏 (a column)."""
    ones = ones_along(a, axis)
    return N.MatMul(ones, a) if axis == 0 else N.MatMul(a, ones)


def axis_mean(a: N.Node, axis: int) -> N.Node:
    return N.Mul(N.Const(1 / a.shape[axis]), axis_sum(a, axis))


def _row_op(cls: type[N.Node]) -> Callable[[N.Node], N.Node]:
    """A vector op applied to a row vector xᵀ: (op x)ᵀ, so the row stays a row."""

    def build(a: N.Node) -> N.Node:
        if S.is_row(a.shape):
            inner = cls(N.Transpose(a) if not isinstance(a, N.Transpose) else a.children[0])
            return inner if inner.is_scalar else N.Transpose(inner)
        return cls(a)

    return build


def _vector_max(a: N.Node) -> N.Node:
    """max over a vector's entries: the same op along the vector's one axis."""
    return X.AxisMax(a, 0) if S.is_column(a.shape) else X.AxisMax(a, 1)


_ON_VECTORS: dict[str, Callable[[N.Node], N.Node]] = {
    "sum": N.Sum,
    "mean": N.Mean,
    "logsumexp": _row_op(N.LogSumExp),
    "softmax": _row_op(N.Softmax),
    "log_softmax": _row_op(N.LogSoftmax),
    "max": _vector_max,
}

_ON_MATRICES: dict[str, Callable[[N.Node, int], N.Node]] = {
    "sum": axis_sum,
    "mean": axis_mean,
    "logsumexp": X.AxisLogSumExp,
    "softmax": X.AxisSoftmax,
    "log_softmax": X.AxisLogSoftmax,
    "max": X.AxisMax,
}
