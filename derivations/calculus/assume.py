"""The declared kinds' facts, applied to finished derivatives: Σ y = 1, Aᵀ = A, |x| = x.

Why a pass over finished results rather than rules inside the constructors: the constructors'
rewrites are identities that hold for every value, and the derivation (Hessians included) is
computed from them alone. Only then is each displayed quantity rewritten with the facts of the
declared kinds, into a form that equals it at every point of the kinds (the convention in
``expr/kinds.py``: derivatives are unconstrained, evaluated on the kind). Differentiating a
rewritten gradient again would be wrong (2Aᵀ and 2A agree on symmetric A, their derivatives by
A do not), which is why this pass runs last. Nothing here runs when no kind is declared.

The rewritten node is rebuilt through the simplifying constructors, so (Σ y) softmax(z) − y
becomes softmax(z) − y, and (A + Aᵀ) x becomes 2 A x.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..expr import nodes as N
from ..expr.kinds import SUM_ONE, SYMMETRIC
from ..expr.program import Definition
from . import algebra as A

# Functions of a positive argument that are the argument itself, or 1.
_IDENTITY_ON_POSITIVE = {"abs", "relu"}
_ONE_ON_POSITIVE = {"sign"}
_PASSES = 4  # a rewrite can expose another (Σ y inside a transpose pushed down); fixpoint


@dataclass
class Facts:
    """The declared kinds by variable name, and the facts a rewrite has used (for display)."""

    kinds: dict[str, str]
    used: dict[str, set[str]] = field(default_factory=dict)  # name -> keys of kinds.FACTS

    def use(self, name: str, fact: str) -> None:
        self.used.setdefault(name, set()).add(fact)

    def kind_of(self, node: N.Node) -> str | None:
        if isinstance(node, N.Var) and node.role == "input":
            return self.kinds.get(node.name)
        return None


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


def _rewrite(node: N.Node, facts: Facts) -> N.Node:
    """One node, its children already rewritten: the kinds' facts that apply at the top."""
    if isinstance(node, N.Transpose) and symmetric(node.children[0], facts):
        inner = node.children[0]
        for name in N.free_vars(inner):
            if facts.kinds.get(name) in SYMMETRIC:
                facts.use(name, "transpose")
        return inner
    if isinstance(node, N.Sum) and facts.kind_of(node.children[0]) in SUM_ONE:
        facts.use(node.children[0].name, "sum")
        return N.Const(1)
    if isinstance(node, N.Mean) and facts.kind_of(node.children[0]) in SUM_ONE:
        facts.use(node.children[0].name, "sum")
        return N.Const(1 / node.children[0].shape[0])
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
