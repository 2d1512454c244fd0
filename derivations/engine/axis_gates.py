"""Gates of the ops along an axis: the vector gates' recipes, row by row or column by column.

Hand-written like every gate (the engine is the independent check of ``calculus/axis_rules``).
Values are 2-D; a reduction keeps its axis with length 1, so NumPy broadcasting sends an
upstream gradient back over the axis. The softmax family's forms stay accurate when a row
saturates (``stable.py``). max routes its gradient to the first maximum along the
axis (``np.argmax``'s choice at a tie).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..expr import axis_nodes as X
from . import stable
from .gates import Gate, Grads
from .stable import first_max_mask

Array = np.ndarray


def _lse_backward(p: tuple, g: Array, out: Array, ins: Sequence[Array], needs) -> Grads:
    return [g * np.exp(ins[0] - out)]


def _softmax_backward(p: tuple, g: Array, out: Array, ins: Sequence[Array], needs) -> Grads:
    return [stable.softmax_backward(out, g, p[0])]


def _log_softmax_backward(p: tuple, g: Array, out: Array, ins: Sequence[Array], needs) -> Grads:
    return [stable.log_softmax_backward(out, g, p[0])]


def _max_backward(p: tuple, g: Array, out: Array, ins: Sequence[Array], needs) -> Grads:
    return [g * first_max_mask(ins[0], p[0])]


def _mask_backward(p: tuple, g: Array, out: Array, ins: Sequence[Array], needs) -> Grads:
    return [np.zeros_like(ins[0])]


AXIS_GATES: dict[type, Gate] = {
    X.AxisLogSumExp: Gate(lambda p, ins: stable.logsumexp(ins[0], p[0]), _lse_backward),
    X.AxisSoftmax: Gate(lambda p, ins: stable.softmax(ins[0], p[0]), _softmax_backward),
    X.AxisLogSoftmax: Gate(lambda p, ins: stable.log_softmax(ins[0], p[0]), _log_softmax_backward),
    X.AxisMax: Gate(lambda p, ins: np.max(ins[0], axis=p[0], keepdims=True), _max_backward),
    X.ArgMaxMask: Gate(lambda p, ins: first_max_mask(ins[0], p[0]), _mask_backward),
}
