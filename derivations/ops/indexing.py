"""Indexing ops: entries, rows and columns picked by integers or class labels, and e_y.

- ``Index``: ``x[i]``, ``z[y]`` (y a class label), ``X[i, j]``, ``X[:, j]``, ``X[i, :]``. Each
  axis is picked ``("at", i)`` (an integer, 0-based as in NumPy), ``("label",)`` (the next label
  child), ``("all",)``, or ``("unit",)``: the one entry of a vector's length-1 axis, which is
  neither printed nor written. Slices ``x[a:b]`` are the existing ``Slice``.
- ``OneHot``: the basis vector e_i or e_y of length n, what ``onehot(y, k)`` writes and what the
  gradient of ``z[y]`` sends back (g e_y).

Printed as this codebase prints blocks, ``[x]_{i}`` with 1-based integers, and e_y for the basis
vector. The derivative rules are in ``calculus/rules.py``, the engine's gates in
``engine/gates.py``; the language's syntax is in ``language/indexing.py``.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from ..expr import nodes as N
from ..expr import shapes as S
from .spec import ATOM, Example, NodeSpec

Pick = tuple  # ("at", sp.Expr) | ("label",) | ("all",) | ("unit",)


class Index(N.Node):
    """Entries of a vector or matrix picked per axis: children (operand, *labels)."""

    __slots__ = ()

    def __init__(self, operand: N.Node, rows: Pick, cols: Pick, *labels: N.Node) -> None:
        rows = _normal(rows)
        cols = _normal(cols)
        super().__init__((operand, *labels), (rows, cols))

    def _shape(self) -> S.Shape:
        operand = self.children[0]
        rows, cols = self.params
        r = operand.shape[0] if rows[0] == "all" else S.ONE
        c = operand.shape[1] if cols[0] == "all" else S.ONE
        return (r, c)

    def picks(self) -> list[tuple[Pick, N.Node | None]]:
        """Each axis's pick with its label node (None unless the pick is a label)."""
        labels = iter(self.children[1:])
        return [(p, next(labels) if p[0] == "label" else None) for p in self.params]


class OneHot(N.Node):
    """e_i (or e_y) of length n: params (n, pick), children (label,) when picked by a label."""

    __slots__ = ()

    def __init__(self, n: sp.Expr, pick: Pick, *labels: N.Node) -> None:
        super().__init__(tuple(labels), (N.as_expr(n), _normal(pick)))

    def _shape(self) -> S.Shape:
        return S.column(self.params[0])

    @property
    def label(self) -> N.Node | None:
        return self.children[0] if self.children else None


def _normal(pick: Pick) -> Pick:
    return ("at", N.as_expr(pick[1])) if pick[0] == "at" else (pick[0],)


def selector(n: sp.Expr, pick: Pick, label: N.Node | None) -> N.Node:
    """The n × (1 or n) matrix whose transpose picks this axis: e_i, e_y, I, or 1."""
    if pick[0] == "all":
        return N.Identity(n)
    if pick[0] == "unit":
        return N.Const(1)
    if pick[0] == "label":
        assert label is not None
        return OneHot(n, pick, label)
    return OneHot(n, pick)


# -- printed forms ------------------------------------------------------------------------------


def _latex_index(p: Any, node: N.Node) -> tuple[str, int]:
    assert isinstance(node, Index)
    operand = node.children[0]
    subs = []
    for pick, label in node.picks():
        if pick[0] == "unit":
            continue
        subs.append(
            p.doprint(label)
            if pick[0] == "label"
            else sp.latex(pick[1] + 1)
            if pick[0] == "at"
            else ":"
        )
    return rf"\left[{p.doprint(operand)}\right]_{{{','.join(subs)}}}", ATOM


def _latex_onehot(p: Any, node: N.Node) -> tuple[str, int]:
    assert isinstance(node, OneHot)
    pick = node.params[1]
    sub = p.doprint(node.label) if pick[0] == "label" else sp.latex(pick[1] + 1)
    return rf"\mathbf{{e}}_{{{sub}}}", ATOM


def _code_pick(p: Any, pick: Pick, label: N.Node | None) -> str:
    if pick[0] == "label":
        return p.call("label", p.doprint(label))
    if pick[0] == "at":
        return p.dim(pick[1])
    return ":"


def _code_index(p: Any, node: N.Node) -> tuple[str, int]:
    assert isinstance(node, Index)
    operand = node.children[0]
    subs = [_code_pick(p, pick, label) for pick, label in node.picks() if pick[0] != "unit"]
    return f"{p.wrap(operand, ATOM)}[{', '.join(subs)}]", ATOM


def _code_onehot(p: Any, node: N.Node) -> tuple[str, int]:
    assert isinstance(node, OneHot)
    n, pick = node.params
    return f"{p.call('eye', p.dim(n))}[{_code_pick(p, pick, node.label)}]", ATOM


def _label_text(f: Any, params: tuple, kids: list) -> tuple[str, int]:
    """x[2], z[y], X[:, 1] in a trace table."""
    labels = iter(kids[1:])
    subs = []
    for pick in params:
        if pick[0] == "unit":
            continue
        subs.append(next(labels)[0] if pick[0] == "label" else ":" if pick[0] == "all" else
                    f.number(pick[1]))  # fmt: skip
    return f"{f.wrap(kids[0], f.POSTFIX - 1)}[{', '.join(subs)}]", f.POSTFIX


def _onehot_label(f: Any, params: tuple, kids: list) -> tuple[str, int]:
    n, pick = params
    which = kids[0][0] if pick[0] == "label" else f.number(pick[1])
    return f"e[{which}]", f.POSTFIX


# -- index forms and exact meanings -------------------------------------------------------------


def _pick_symbol(b: Any, pick: Pick, label: N.Node | None, free: sp.Expr) -> sp.Expr:
    if pick[0] == "label":
        return sp.Symbol(b.latex.name(label.name), integer=True)
    if pick[0] == "at":
        return pick[1] + 1
    if pick[0] == "unit":
        return sp.Integer(1)
    return free


def _index_entry(b: Any, node: N.Node, r: Any, c: Any) -> Any:
    assert isinstance(node, Index)
    (rows, rl), (cols, cl) = node.picks()
    return b.entry(node.children[0], _pick_symbol(b, rows, rl, r), _pick_symbol(b, cols, cl, c))


def _onehot_entry(b: Any, node: N.Node, r: Any, c: Any) -> Any:
    assert isinstance(node, OneHot)
    return sp.KroneckerDelta(r, _pick_symbol(b, node.params[1], node.label, r))


def _exact_pick(ex: Any, pick: Pick, label: N.Node | None) -> Any:
    if pick[0] == "label":
        value = ex.evaluate(label)[0, 0]
        if not (value.is_number and float(value).is_integer()):
            raise NotImplementedError("a class label needs an integer value")
        return int(float(value))
    if pick[0] == "at":
        return ex.dim(pick[1])
    if pick[0] == "unit":
        return 0
    return slice(None)


def _exact_index(ex: Any, node: N.Node) -> sp.Matrix:
    assert isinstance(node, Index)
    m = ex.evaluate(node.children[0])
    (rows, rl), (cols, cl) = node.picks()
    r, c = _exact_pick(ex, rows, rl), _exact_pick(ex, cols, cl)
    picked = m[r, c]
    return picked if isinstance(picked, sp.MatrixBase) else sp.Matrix([[picked]])


def _exact_onehot(ex: Any, node: N.Node) -> sp.Matrix:
    assert isinstance(node, OneHot)
    n = ex.dim(node.params[0])
    at = _exact_pick(ex, node.params[1], node.label)
    return sp.Matrix([int(i == at) for i in range(n)])


_LABELLED = {
    "z": ("k",),
    "y": {"kind": "label", "classes": "k"},
}

INDEX_SPECS = [
    NodeSpec(Index, rational=True, latex=_latex_index, code={"numpy": _code_index}, index=_index_entry,
             exact=_exact_index, label=_label_text, trace="index", syntax_shape="scalar",
             examples=(Example("x[0] * x[-1] + sum(W[:, 1] * W[0, :]) + W[1, 2] + v.T @ v",
                               {"x": ("n",), "W": ("n", "n"), "v": ("n",)}, True),
                       Example("z[y] - logsumexp(z)", _LABELLED, True),
                       Example("log_softmax(W @ x)[y]",
                               {"W": ("k", "m"), "x": ("m",), "y": _LABELLED["y"]}))),
    NodeSpec(OneHot, rational=True, latex=_latex_onehot, code={"numpy": _code_onehot}, index=_onehot_entry,
             exact=_exact_onehot, label=_onehot_label, trace="onehot",
             examples=(Example("z.T @ onehot(y, k) + u.T @ z", {**_LABELLED, "u": ("k",)}),
                       Example("x.T @ W @ onehot(1, m) + u.T @ x",
                               {"x": ("m",), "W": ("m", "m"), "u": ("m",)}))),
]  # fmt: skip
