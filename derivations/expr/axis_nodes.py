"""Ops along one axis of a matrix: logsumexp, softmax, log-softmax, max, and max's router.

``axis`` is NumPy's (0: down the rows, one result per column; 1: across the columns, one result
per row). Reductions keep the reduced axis as a length-1 axis (NumPy's ``keepdims=True``), so
``logsumexp(X, axis=1)`` of an (n, B) matrix is a column (n,) and ``max(X, axis=0)`` a row
(1, B). Linear reductions (sum, mean) are products with 𝟏 and need no class here.

``ArgMaxMask`` is what max sends back: 1 at the *first* largest entry of each row (axis=1) or
column (axis=0), 0 elsewhere. At a tie the whole gradient goes to the first maximum, as
``np.argmax`` and ``torch.max(X, dim)`` choose (the binary max(a, b) routes a tie to a, too).
max has no derivative at a tie; verification draws away from ties as it does from kinks.
"""

from __future__ import annotations

from typing import ClassVar

from . import shapes as S
from .nodes import Node
from .shapes import Shape


class AxisOp(Node):
    """One operand and an axis (0 or 1)."""

    __slots__ = ()
    arity = 1
    reduces: ClassVar[bool] = False

    def __init__(self, operand: Node, axis: int) -> None:
        assert axis in (0, 1), axis
        super().__init__((operand,), (axis,))

    @property
    def axis(self) -> int:
        return self.params[0]

    def _shape(self) -> Shape:
        rows, cols = self.children[0].shape
        if not self.reduces:
            return (rows, cols)
        return (S.ONE, cols) if self.axis == 0 else (rows, S.ONE)


class AxisLogSumExp(AxisOp):
    """log Σ exp along the axis, computed stably (the largest entry is shifted out)."""

    __slots__ = ()
    reduces = True


class AxisMax(AxisOp):
    """The largest entry along the axis."""

    __slots__ = ()
    reduces = True


class AxisSoftmax(AxisOp):
    """softmax of each column (axis=0) or of each row (axis=1): they sum to 1 along the axis."""

    __slots__ = ()


class AxisLogSoftmax(AxisOp):
    """log softmax along the axis, computed stably as X − logsumexp(X) broadcast back."""

    __slots__ = ()


class ArgMaxMask(AxisOp):
    """1 at the first maximum along the axis, 0 elsewhere: the route of max's gradient."""

    __slots__ = ()


AXIS_CLASSES: tuple[type[Node], ...] = (
    AxisLogSumExp,
    AxisMax,
    AxisSoftmax,
    AxisLogSoftmax,
    ArgMaxMask,
)

WORDS = {0: "col", 1: "row"}  # the subscript the printers write: softmax_row normalises rows

# The language's name of each op (traces, graph labels, text answers): softmax(X, axis=1).
NAMES: dict[type[Node], str] = {
    AxisLogSumExp: "logsumexp",
    AxisMax: "max",
    AxisSoftmax: "softmax",
    AxisLogSoftmax: "log_softmax",
    ArgMaxMask: "argmax_mask",
}
