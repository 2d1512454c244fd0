"""The derivative rules of picking entries, one-hot vectors and running sums (``Index``,
``OneHot`` from ``derivations/ops/indexing.py``, ``Cumsum`` from ``nodeops.py``), declared as
``calculus/rules.py`` declares every op: all three are linear. ``rules.py`` adds them to
``RULES``; nothing else reads this module.
"""

from __future__ import annotations

from ..expr import nodes as N
from ..expr import shapes as S
from ..ops.indexing import Index, OneHot, selector
from ..ops.nodeops import Cumsum
from . import algebra as A
from .rules import NoMatrixForm, Rule, linear


def _vjp_index(node: N.Node, g: N.Node) -> list[N.Node | None]:
    """[X]_{i,j} sends g back as e_i g e_jᵀ; z[y] as g e_y; X[:, j] as g e_jᵀ."""
    assert isinstance(node, Index)
    operand = node.children[0]
    (rows, rl), (cols, cl) = node.picks()
    back = A.matmul(selector(operand.shape[0], rows, rl), g)
    if operand.shape[1] != 1:
        back = A.matmul(back, A.transpose(selector(operand.shape[1], cols, cl)))
    return [back, *(None for _ in node.children[1:])]


def _tangent_index(node: N.Node, js: list[N.Node]) -> N.Node:
    """The picked rows of the operand's Jacobian (a vector operand: matrices have no form)."""
    assert isinstance(node, Index)
    operand = node.children[0]
    if S.is_matrix(operand.shape):
        raise NoMatrixForm("Index")
    pick, label = node.picks()[0] if S.is_column(operand.shape) else node.picks()[1]
    if isinstance(js[0], N.Identity):  # a row of I is e_iᵀ
        return A.transpose(selector(js[0].shape[0], pick, label))
    return Index(js[0], pick, ("all",), *([label] if label is not None else []))


def lower_ones(n: S.Dim) -> N.Node:
    """L = cumsum(I), the lower-triangular ones matrix (L_ij = 𝟙[i ≥ j]): cumsum(x) = L x."""
    return Cumsum(N.Identity(n))


def _vjp_cumsum(node: N.Node, g: N.Node) -> list[N.Node | None]:
    """The transpose of a running sum, Lᵀ G: the running sum from the end, as the textbook
    writes it (generated code computes it as a reversed cumsum, ``printing/codeopt``)."""
    return [A.matmul(A.transpose(lower_ones(g.shape[0])), g)]


def _scalar_index(node: N.Node, ds: list[N.Node | None]) -> N.Node | None:
    """The same entries of the operand's tangent (the labels are constants)."""
    return None if ds[0] is None else node.rebuild((ds[0], *node.children[1:]))


def _no_tangent(node: N.Node, ds: list[N.Node | None]) -> None:
    return None  # a constant of its operands (a one-hot of labels)


INDEX_RULES: dict[type[N.Node], Rule] = {
    Index: linear(_vjp_index, _tangent_index, _scalar_index),
    OneHot: linear(
        lambda node, g: [None for _ in node.children], lambda node, js: None, _no_tangent
    ),
    Cumsum: linear(_vjp_cumsum),
}
