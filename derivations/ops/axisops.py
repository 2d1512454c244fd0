"""Registry entries of the ops along an axis (``expr/axis_nodes.py``): one ``NodeSpec`` each.

The language reaches them through ``axis=`` on softmax, log_softmax, logsumexp and max
(``language/axes.py`` builds them; they have no name of their own, so ``name`` is None). Here:
their LaTeX and code forms and their exact meanings; their rules are ``calculus/axis_rules.py``
and their hand-written gates ``engine/axis_gates.py``.

LaTeX names the axis by what is normalised or reduced: softmax_row(X) is the softmax of each
row (axis=1), softmax_col(X) of each column (axis=0); max's gradient route prints as the
indicator 𝟙[X ≥ max_row(X)], the entries that reach the maximum. Off ties that is exactly the
router; at a tie the router picks the first maximum only (``axis_nodes``), and verification
never samples a tie. Code calls the backend's helpers with NumPy's axis; a vector is 1-D in
generated code, so an op over a vector (a row xᵀ included) runs along axis 0 there.

Exact meanings are the vector definitions row by row (axis=1) or column by column (axis=0):
log Σ exp, exp(x_i)/Σ exp, x_i − log Σ exp, the max folded pairwise from the registry's
|a − b|-based max, and the router 1 at the first maximum as products of steps.
"""

from __future__ import annotations

from functools import reduce
from typing import Any

import sympy as sp

from ..expr import axis_nodes as X
from ..expr import nodes as N
from ..expr import shapes as S
from .functions import FUNCTIONS
from .spec import ATOM, MUL, Example, NodeSpec

M = {"X": ("n", "B")}
MY = {"X": ("n", "B"), "Y": ("n", "B")}


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
            FUNCTIONS["gt" if j < i else "ge"].exact(a, b) for j, b in enumerate(v) if j != i
        ]
        out.append(sp.Mul(*factors))
    return out


def _line_op(node: X.AxisOp, v: list[sp.Expr]) -> list[sp.Expr]:
    if isinstance(node, X.AxisMax):
        return [reduce(lambda a, b: FUNCTIONS["max"].exact(a, b), v)]
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


def _router_tree() -> tuple[N.Node, dict[str, N.Var]]:
    """Σ (𝟙[first max of each row] ∘ Y): the router weighs Y, and is constant in X."""
    shape = (S.dim("n"), S.dim("B"))
    x, y = N.Var("X", shape), N.Var("Y", shape)
    return N.Sum(N.Mul(X.ArgMaxMask(x, 1), y)), {"X": x, "Y": y}


def _label(name: str) -> Any:
    """softmax(X, axis=1): the call as the user writes it (traces and graph labels)."""

    def label(f: Any, params: tuple, kids: list) -> tuple[str, int]:
        return f"{name}({kids[0][0]}, axis={params[0]})", f.ATOM

    return label


def _spec(cls: type, examples: tuple[Example, ...]) -> NodeSpec:
    name = X.NAMES[cls]
    # The softmax family saturates (verify/conditioning.py); max and its router do not.
    saturates = cls in (X.AxisLogSumExp, X.AxisSoftmax, X.AxisLogSoftmax)
    return NodeSpec(
        cls,
        latex=latex,
        code={backend: code for backend in ("numpy", "torch", "jax")},
        index="opaque",
        exact=explicit,
        label=_label(name),
        trace=name,
        domain="unsaturated" if saturates else None,
        examples=examples,
    )


AXIS_SPECS: list[NodeSpec] = [
    _spec(X.AxisLogSumExp, (
        Example("sum(logsumexp(X, axis=1))", M, True),
        Example("u.T @ logsumexp(W @ X, axis=0).T", {"W": ("n", "m"), "X": ("m", "B"),
                                                     "u": ("B",)}),
    )),
    _spec(X.AxisSoftmax, (
        Example("sum(softmax(X, axis=1) * Y)", MY, True),
        Example("u.T @ softmax(X, axis=0) @ v", {**M, "u": ("n",), "v": ("B",)}),
    )),
    _spec(X.AxisLogSoftmax, (
        Example("sum(log_softmax(X, axis=0) * Y)", MY, True),
        Example("-sum(Y * log_softmax(W @ X + b, axis=0))",
                {"W": ("k", "m"), "X": ("m", "B"), "b": ("k",), "Y": ("k", "B")}),
    )),
    _spec(X.AxisMax, (
        Example("sum(max(X, axis=1) * u)", {"X": ("n", "B"), "u": ("n",)}),
        Example("max(x, axis=0) * 2", {"x": ("n",)}),
    )),
    # Only max's derivative produces the router.
    _spec(X.ArgMaxMask, (Example(tree=_router_tree),)),
]  # fmt: skip
