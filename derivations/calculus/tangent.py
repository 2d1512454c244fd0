"""The derivative by a scalar of the ops whose rule is general: one tangent function per op.

d/dt of an expression has the expression's shape: d(sin(t) A B x)/dt = cos(t) A B x,
d(A + tB)⁻¹/dt = −Y⁻¹ B Y⁻¹. Elementwise and linear ops get theirs from their declaration in
``rules.py`` (the local partial times the child's tangent; the op over its children's tangents);
the ops here are declared ``general`` there, each with its tangent beside its VJP and Jacobian.
Each function takes the node and its children's tangents (None: independent of t) and is
called only when some child depends on t; the driver is ``forward.derivative_by_scalar``.
``product_rules.py`` and ``axis_rules.py`` pass theirs the same way.
This module reads no rule (``rules.py`` imports it), so the helpers the rules share with the
tangents (Xᵏ, x − mean(x)𝟏) live here.
"""

from __future__ import annotations

from ..expr import nodes as N
from ..expr import shapes as S
from ..ops.normalization import layer_std
from ..ops.products import MatPow
from . import algebra as A

Tangents = list[N.Node | None]


def sum_terms(terms: list[N.Node | None]) -> N.Node | None:
    present = [t for t in terms if t is not None]
    return A.add(*present) if present else None


def matrix_power(x: N.Node, k: int) -> N.Node | None:
    """Xᵏ as a node (None for X⁰ = I, which a product drops)."""
    return None if k == 0 else (x if k == 1 else MatPow(x, k))


def centred(x: N.Node) -> N.Node:
    """x − mean(x) 𝟏: what the variance and the layer norm measure."""
    return A.add(x, A.neg(A.mul(N.Mean(x), N.Ones(x.shape))))


def layernorm_local(node: N.Node) -> N.Node:
    """(1/σ)(I − 𝟏𝟏ᵀ/N − x̂x̂ᵀ/N): the layer norm's Jacobian, symmetric, as a textbook has it."""
    (x,) = node.children
    size = x.shape[0]
    ones = N.Ones(S.column(size))
    inner = A.add(
        N.Identity(size),
        A.neg(A.mul(N.Const(1 / size), A.matmul(ones, A.transpose(ones)))),
        A.neg(A.mul(N.Const(1 / size), A.matmul(node, A.transpose(node)))),
    )
    return A.mul(A.div(N.Const(1), layer_std(node)), inner)


def bilinear(node: N.Node, ds: Tangents) -> N.Node | None:
    """A product linear in each child (A B, A ⊗ B): d(A ∘ B) = dA ∘ B + A ∘ dB."""
    rebuilt = lambda k, d: A.rebuild(node, (*node.children[:k], d, *node.children[k + 1 :]))  # noqa: E731
    return sum_terms([None if d is None else rebuilt(k, d) for k, d in enumerate(ds)])


def inverse(node: N.Node, ds: Tangents) -> N.Node | None:
    (d,) = ds
    return None if d is None else A.neg(A.matmul(A.matmul(node, d), node))


def det(node: N.Node, ds: Tangents) -> N.Node | None:
    (d,) = ds
    (a,) = node.children
    return None if d is None else A.mul(node, N.Trace(A.matmul(N.Inverse(a), d)))


def logdet(node: N.Node, ds: Tangents) -> N.Node | None:
    (d,) = ds
    return None if d is None else N.Trace(A.matmul(N.Inverse(node.children[0]), d))


def norm2(node: N.Node, ds: Tangents) -> N.Node | None:
    (d,) = ds
    return None if d is None else A.div(A.sum_(A.mul(node.children[0], d)), node)


def softmax(node: N.Node, ds: Tangents) -> N.Node | None:
    (d,) = ds
    return None if d is None else A.mul(node, A.add(d, A.neg(A.sum_(A.mul(node, d)))))


def log_softmax(node: N.Node, ds: Tangents) -> N.Node | None:
    (d,) = ds
    if d is None:
        return None
    return A.add(d, A.neg(A.sum_(A.mul(N.Softmax(node.children[0]), d))))


def logsumexp(node: N.Node, ds: Tangents) -> N.Node | None:
    (d,) = ds
    return None if d is None else A.sum_(A.mul(N.Softmax(node.children[0]), d))


def matpow(node: N.Node, ds: Tangents) -> N.Node | None:
    """d(Xᵏ) = Σᵢ Xⁱ dX Xᵏ⁻¹⁻ⁱ, i = 0..k−1 (X and dX need not commute)."""
    (d,) = ds
    if d is None:
        return None
    (x,), k = node.children, node.params[0]
    terms: list[N.Node | None] = []
    for i in range(k):
        term = d
        left, right = matrix_power(x, i), matrix_power(x, k - 1 - i)
        term = term if left is None else A.matmul(left, term)
        terms.append(term if right is None else A.matmul(term, right))
    return sum_terms(terms)


def variance(node: N.Node, ds: Tangents) -> N.Node | None:
    """d var(x) = (2/N) Σ (x − mean(x)𝟏) ∘ dx."""
    (d,) = ds
    if d is None:
        return None
    (x,) = node.children
    return A.mul(N.Const(2 / S.length(x.shape)), A.sum_(A.mul(centred(x), d)))


def layernorm(node: N.Node, ds: Tangents) -> N.Node | None:
    (d,) = ds
    return None if d is None else A.matmul(layernorm_local(node), d)
