"""Gates of the ops along an axis: the vector gates' recipes, row by row or column by column.

Hand-written like every gate (the engine is the independent check of ``calculus/axis_rules``).
Values are 2-D; a reduction keeps its axis with length 1, so NumPy broadcasting sends an
upstream gradient back over the axis. max routes its gradient to the first maximum along the
axis (``np.argmax``'s choice at a tie).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..expr import axis_nodes as X
from .gates import Gate, Grads

Array = np.ndarray


def logsumexp(x: Array, axis: int) -> Array:
    top = np.max(x, axis=axis, keepdims=True)
    return top + np.log(np.sum(np.exp(x - top), axis=axis, keepdims=True))


def first_max_mask(x: Array, axis: int) -> Array:
    """1 at the first largest entry along ``axis``, 0 elsewhere."""
    mask = np.zeros_like(x)
    np.put_along_axis(mask, np.argmax(x, axis=axis, keepdims=True), 1.0, axis=axis)
    return mask


def _lse_backward(p: tuple, g: Array, out: Array, ins: Sequence[Array], needs) -> Grads:
    return [g * np.exp(ins[0] - out)]


def _softmax_backward(p: tuple, g: Array, out: Array, ins: Sequence[Array], needs) -> Grads:
    return [out * (g - np.sum(g * out, axis=p[0], keepdims=True))]


def _log_softmax_backward(p: tuple, g: Array, out: Array, ins: Sequence[Array], needs) -> Grads:
    return [g - np.exp(out) * np.sum(g, axis=p[0], keepdims=True)]


def _max_backward(p: tuple, g: Array, out: Array, ins: Sequence[Array], needs) -> Grads:
    return [g * first_max_mask(ins[0], p[0])]


def _mask_backward(p: tuple, g: Array, out: Array, ins: Sequence[Array], needs) -> Grads:
    return [np.zeros_like(ins[0])]


AXIS_GATES: dict[type, Gate] = {
    X.AxisLogSumExp: Gate(lambda p, ins: logsumexp(ins[0], p[0]), _lse_backward),
    X.AxisSoftmax: Gate(lambda p, ins: np.exp(ins[0] - logsumexp(ins[0], p[0])), _softmax_backward),
    X.AxisLogSoftmax: Gate(lambda p, ins: ins[0] - logsumexp(ins[0], p[0]), _log_softmax_backward),
    X.AxisMax: Gate(lambda p, ins: np.max(ins[0], axis=p[0], keepdims=True), _max_backward),
    X.ArgMaxMask: Gate(lambda p, ins: first_max_mask(ins[0], p[0]), _mask_backward),
}
