"""How the ops along an axis print: textbook LaTeX and array code for every backend.

LaTeX names the axis by what is normalised or reduced: softmax_row(X) is the softmax of each
row (axis=1), softmax_col(X) of each column (axis=0); max's gradient route prints as the
indicator 𝟙[X ≥ max_row(X)]: the entries that reach the maximum. Off ties that is exactly the
router; at a tie the router picks the first maximum only (``axis_nodes``), and verification
never samples a tie.
Code calls the backend's helpers with NumPy's axis; a vector is 1-D in generated code, so an op
over a vector (a row xᵀ included) runs along axis 0 there.
"""

from __future__ import annotations

from typing import Any

from ..expr import axis_nodes as X
from ..expr import shapes as S

ATOM, MUL = 100, 20

_LATEX_HEADS = {
    X.AxisLogSumExp: r"\operatorname{logsumexp}",
    X.AxisSoftmax: r"\operatorname{softmax}",
    X.AxisLogSoftmax: r"\log \operatorname{softmax}",
    X.AxisMax: r"\max",
}

_HELPERS = {
    X.AxisLogSumExp: "_logsumexp_axis",
    X.AxisSoftmax: "_softmax_axis",
    X.AxisLogSoftmax: "_log_softmax_axis",
    X.ArgMaxMask: "_argmax_mask",
}


def latex(printer: Any, node: X.AxisOp) -> tuple[str, int]:
    inner = printer.doprint(node.children[0])
    word = rf"_{{\mathrm{{{X.WORDS[node.axis]}}}}}"
    if isinstance(node, X.ArgMaxMask):
        return rf"\mathbb{{1}}\left[{inner} \geq \max{word}\left({inner}\right)\right]", ATOM
    head = _LATEX_HEADS[type(node)]
    prec = MUL if isinstance(node, X.AxisLogSoftmax) else ATOM
    return rf"{head}{word}\left({inner}\right)", prec


def code(printer: Any, node: X.AxisOp) -> tuple[str, int]:
    (operand,) = node.children
    axis = "0" if S.is_vector(operand.shape) else str(node.axis)
    inner = printer.doprint(operand)
    if isinstance(node, X.AxisMax):
        return printer.call("axis_max", inner, axis), ATOM
    return f"{printer.helper(_HELPERS[type(node)])}({inner}, {axis})", ATOM
