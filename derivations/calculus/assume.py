"""The declared kinds' facts, applied to finished derivatives: Σ y = 1, Aᵀ = A, |x| = x.

Why a pass over finished results rather than rules inside the constructors: the constructors'
rewrites are identities that hold for every value, and the derivation (Hessians included) is
computed from them alone. Only then is each displayed quantity rewritten with the facts of the
declared kinds, into a form that equals it at every point of the kinds (the convention in
``expr/kinds.py``: derivatives are unconstrained, evaluated on the kind). Differentiating a
rewritten gradient again would be wrong (2Aᵀ and 2A agree on symmetric A, their derivatives by
A do not), which is why this pass runs last. Nothing here runs when no kind is declared.

The rewritten node is rebuilt through the simplifying constructors, so (Σ y) softmax(z) − y
becomes softmax(z) − y, and (A + Aᵀ) x becomes 2 A x. A matrix of labels one-hot along an axis
gives Y 𝟏 = 𝟏 (rows, axis 1) or 𝟏ᵀ Y = 𝟏ᵀ (columns, axis 0), so softmax_row(Z) ∘ (Y 𝟏 𝟏ᵀ) − Y
becomes softmax_row(Z) − Y; the same product along the other axis is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from ..expr import nodes as N
from ..expr import shapes as S
from ..expr.kinds import SUM_ONE, SYMMETRIC
from ..expr.program import Definition
from ..ops.registry import function_spec
from . import algebra as A

# Functions of a positive argument that are the argument itself, or 1.
_IDENTITY_ON_POSITIVE = {"abs", "relu"}
_ONE_ON_POSITIVE = {"sign"}
_PASSES = 4  # a rewrite can expose another (Σ y inside a transpose pushed down); fixpoint


@dataclass
class Facts:
    """The declared kinds by variable name, and the facts a rewrite has used (for display)."""

    kinds: dict[str, str]
    axes: dict[str, int] = field(default_factory=dict)  # a matrix of labels: its one-hot axis
    used: dict[str, set[str]] = field(default_factory=dict)  # name -> keys of kinds.FACTS

    def use(self, name: str, fact: str) -> None:
        self.used.setdefault(name, set()).add(fact)

    def kind_of(self, node: N.Node) -> str | None:
        if isinstance(node, N.Var) and node.role == "input":
            return self.kinds.get(node.name)
        return None

    def lines_sum_to_one(self, node: N.Node, axis: int) -> bool:
        """Whether ``node`` is a declared matrix whose lines along ``axis`` sum to 1 (and says
        so in the facts used): rows for axis 1, columns for axis 0."""
        if self.kind_of(node) not in SUM_ONE or self.axes.get(node.name) != axis:
            return False
        self.use(node.name, "rows" if axis == 1 else "columns")
        return True


def symmetric(node: N.Node, facts: Facts) -> bool:
    """Whether ``node`` is a symmetric matrix by its structure and the declared kinds."""
    if node.is_scalar or node.shape[0] != node.shape[1]:
        return False
    if facts.kind_of(node) in SYMMETRIC:
        return True
    if isinstance(node, N.Identity | N.Diag | N.Zeros | N.Ones):
        return True
    if isinstance(node, N.Inverse | N.Neg):
        return symmetric(node.children[0], facts)
    if isinstance(node, N.Add | N.Mul | N.Div | N.Apply):
        return all(c.is_scalar or symmetric(c, facts) for c in node.children)
    if isinstance(node, N.MatMul):  # B Bᵀ and Bᵀ B
        left, right = node.children
        return A.transpose(left) == right
    return False


def _sum_one(node: N.Node, facts: Facts) -> N.Node | None:
    """Σ y = 1 for a vector; for a matrix of labels Σ Y counts its lines (T one-hot rows sum
    to T), and the mean is that over the entries."""
    (inner,) = node.children
    kind = facts.kind_of(inner)
    if kind not in SUM_ONE:
        return None
    if S.is_column(inner.shape):
        facts.use(inner.name, "sum")
        total: sp.Expr = sp.Integer(1)
    else:
        axis = facts.axes[inner.name]
        facts.lines_sum_to_one(inner, axis)
        total = inner.shape[1 - axis]  # the number of rows (axis 1) or of columns (axis 0)
    if isinstance(node, N.Mean):
        return N.Const(total / S.length(inner.shape))
    return N.Const(total)


def _ones_product(node: N.MatMul, facts: Facts) -> N.Node | None:
    """Y 𝟏 = 𝟏 for one-hot rows, 𝟏ᵀ Y = 𝟏ᵀ for one-hot columns (and their transposes), also at
    the end of a longer product (A Y 𝟏 = A 𝟏); None when no fact applies."""
    left, right = node.children
    if isinstance(right, N.Ones):
        head, last = left.children if isinstance(left, N.MatMul) else (None, left)
        along = _ones_after(last, facts)
        if along is not None:
            ones = A.ones((last.shape[0], right.shape[1]))
            return ones if head is None else A.matmul(head, ones)
    if isinstance(left, N.Ones):
        first, tail = right.children if isinstance(right, N.MatMul) else (right, None)
        along = _ones_before(first, facts)
        if along is not None:
            ones = A.ones((left.shape[0], first.shape[1]))
            return ones if tail is None else A.matmul(ones, tail)
    return None


def _ones_after(node: N.Node, facts: Facts) -> int | None:
    """The axis by which ``node`` 𝟏 = 𝟏: Y's rows sum to 1 (axis 1), or Yᵀ's (Y's columns)."""
    if isinstance(node, N.Transpose):
        return 0 if facts.lines_sum_to_one(node.children[0], 0) else None
    return 1 if facts.lines_sum_to_one(node, 1) else None


def _ones_before(node: N.Node, facts: Facts) -> int | None:
    """The axis by which 𝟏ᵀ ``node`` = 𝟏ᵀ: Y's columns sum to 1 (axis 0), or Yᵀ's (Y's rows)."""
    if isinstance(node, N.Transpose):
        return 1 if facts.lines_sum_to_one(node.children[0], 1) else None
    return 0 if facts.lines_sum_to_one(node, 0) else None


def _outer_ones(node: N.Node) -> bool:
    """𝟏 𝟏ᵀ: what Y 𝟏 𝟏ᵀ becomes; as a factor of an elementwise product it is neutral."""
    return isinstance(node, N.MatMul) and all(isinstance(c, N.Ones) for c in node.children)


def _rewrite(node: N.Node, facts: Facts) -> N.Node:
    """One node, its children already rewritten: the kinds' facts that apply at the top."""
    if isinstance(node, N.Transpose) and symmetric(node.children[0], facts):
        inner = node.children[0]
        for name in N.free_vars(inner):
            if facts.kinds.get(name) in SYMMETRIC:
                facts.use(name, "transpose")
        return inner
    if isinstance(node, N.Apply):
        folded = _at_zero(node)
        if folded is not None:
            return folded
    if isinstance(node, N.Sum | N.Mean):
        return _sum_one(node, facts) or node
    if isinstance(node, N.MatMul) and facts.axes:
        return _ones_product(node, facts) or node
    if isinstance(node, N.Mul) and any(_outer_ones(c) for c in node.children):
        return A.mul(*(A.ones(c.shape) if _outer_ones(c) else c for c in node.children))
    if isinstance(node, N.Apply) and facts.kind_of(node.children[0]) == "positive":
        name = node.children[0].name
        if node.fn in _IDENTITY_ON_POSITIVE:
            facts.use(name, node.fn)
            return node.children[0]
        if node.fn in _ONE_ON_POSITIVE:
            facts.use(name, "sign")
            return A.ones(node.shape)
    if (
        isinstance(node, N.Diag)
        and isinstance(node.children[0], N.DiagPart)
        and facts.kind_of(node.children[0].children[0]) == "diagonal"
    ):
        facts.use(node.children[0].children[0].name, "diag")
        return node.children[0].children[0]
    return node


def _at_zero(node: N.Apply) -> N.Node | None:
    """f(0) with a rational value, as that constant: a fact made A − Aᵀ = 0 (A symmetric), so
    cos(A − Aᵀ) is 𝟏𝟏ᵀ and sin(A − Aᵀ) is 0, never cos(0) and sin(0) left on the page."""
    if len(node.children) != 1 or not A.is_zero(node.children[0]):
        return None
    try:
        value = function_spec(node.fn).exact(sp.Integer(0))
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None
    return A.scale(value, A.ones(node.shape)) if getattr(value, "is_Rational", False) else None


def assume(root: N.Node, facts: Facts) -> N.Node:
    """``root`` rewritten with the declared kinds' facts, to a fixpoint."""
    for _ in range(_PASSES):
        new = _rewrite_tree(root, facts)
        if new == root:
            return new
        root = new
    return root


def _rewrite_tree(root: N.Node, facts: Facts) -> N.Node:
    memo: dict[int, N.Node] = {}
    for node in N.walk(root):
        current = node
        if node.children:
            children = tuple(memo[id(c)] for c in node.children)
            if children != node.children:
                current = A.rebuild(node, children)  # the op spec's simplifying constructor
        memo[id(node)] = _rewrite(current, facts)
    return memo[id(root)]


def assume_definitions(definitions: list[Definition], facts: Facts) -> list[Definition]:
    return [Definition(d.name, assume(d.node, facts)) for d in definitions]
