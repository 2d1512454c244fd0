"""The derivative rules of the Kronecker product, matrix powers and normalisation (the ops of
``derivations/ops/products.py`` and ``normalization.py``), declared as ``calculus/rules.py``
declares every op: general rules, one VJP and one Jacobian each (and the derivative by a
scalar, from ``tangent.py``). ``rules.py`` adds them to
``RULES``; nothing else reads this module.
"""

from __future__ import annotations

from ..expr import nodes as N
from ..expr import shapes as S
from ..ops.normalization import LayerNorm, Variance
from ..ops.products import Kron, KronShare, MatPow
from . import algebra as A
from . import tangent as T
from .rules import (
    NoMatrixForm,
    Rule,
    _as_column,
    _entries,
    _jac_matrix_only,
    _sum_jacobians,
    general,
)
from .tangent import centred, layernorm_local, matrix_power

# --- Kronecker products and matrix powers (derivations/ops/products.py) ------------------------


def _vjp_kron(node: N.Node, g: N.Node) -> list[N.Node | None]:
    a, b = node.children  # d(A ⊗ B) = dA ⊗ B + A ⊗ dB: each factor gets its share of G
    return [KronShare(g, b, "left"), KronShare(g, a, "right")]


def _jac_kron(node: N.Node, js: list[N.Node | None], n: int) -> N.Node | None:
    a, b = node.children
    ja, jb = js
    _entries(node)
    if not (S.is_column(a.shape) and S.is_column(b.shape)):
        if all(j is None for j in js):
            return None
        raise NoMatrixForm("Kron")
    # Column by column of the tangents: d(x ⊗ y) = dx ⊗ y + x ⊗ dy.
    terms = [None if ja is None else Kron(ja, b), None if jb is None else Kron(a, jb)]
    return _sum_jacobians(terms)


def _vjp_kron_share(node: N.Node, g: N.Node) -> list[N.Node | None]:
    big, other = node.children  # bilinear in (G, X): the shares of ⟨H, share(G, X)⟩
    if node.params[0] == "left":
        return [Kron(g, other), KronShare(big, g, "right")]
    return [Kron(other, g), KronShare(big, g, "left")]


def _jac_kron_share(node: N.Node, js: list[N.Node | None], n: int) -> N.Node | None:
    big, other = node.children
    jg, jx = js
    _entries(node)
    if jx is not None or not S.is_column(other.shape):
        if all(j is None for j in js):
            return None
        raise NoMatrixForm("KronShare")
    if jg is None:
        return None
    if node.params[0] == "left":  # [⟨g₍ᵢ₎, y⟩]ᵢ = (I ⊗ yᵀ) g
        return A.matmul(Kron(N.Identity(node.shape[0]), A.transpose(other)), jg)
    return A.matmul(Kron(A.transpose(other), N.Identity(node.shape[0])), jg)  # (xᵀ ⊗ I) g


def _identity_multiple(g: N.Node) -> N.Node | None:
    """c for G = c I (what a trace sends back), None otherwise."""
    if isinstance(g, N.Identity):
        return N.Const(1)
    if isinstance(g, N.Mul) and sum(isinstance(f, N.Identity) for f in g.children) == 1:
        rest = [f for f in g.children if not isinstance(f, N.Identity)]
        if all(f.is_scalar for f in rest):
            return rest[0] if len(rest) == 1 else A.mul(*rest)
    return None


def _vjp_matpow(node: N.Node, g: N.Node) -> list[N.Node | None]:
    # d(Xᵏ) = Σᵢ Xⁱ dX Xᵏ⁻¹⁻ⁱ, so the adjoint is Σᵢ (Xᵀ)ⁱ G (Xᵀ)ᵏ⁻¹⁻ⁱ, i = 0..k−1.
    (x,) = node.children
    xt, k = A.transpose(x), node.params[0]
    c = _identity_multiple(g)
    if c is not None:  # G = c I commutes: the k terms are equal, k c (Xᵀ)ᵏ⁻¹ (tr Xᵏ)
        power = matrix_power(xt, k - 1)
        scale = A.mul(N.Const(k), c)
        return [A.mul(scale, power) if power is not None else A.mul(scale, g)]
    terms = []
    for i in range(k):
        term = g
        left, right = matrix_power(xt, i), matrix_power(xt, k - 1 - i)
        if left is not None:
            term = A.matmul(left, term)
        if right is not None:
            term = A.matmul(term, right)
        terms.append(term)
    return [A.add(*terms) if len(terms) > 1 else terms[0]]


# --- normalisation (derivations/ops/normalization.py) -----------------------------------------


def _vjp_variance(node: N.Node, g: N.Node) -> list[N.Node | None]:
    (x,) = node.children  # ∂ var(x) = (2/N)(x − mean(x) 𝟏)
    return [A.mul(g, N.Const(2 / S.length(x.shape)), centred(x))]


def _jac_variance(node: N.Node, js: list[N.Node | None], n: int) -> N.Node | None:
    (j,) = js
    if j is None:
        return None
    (x,) = node.children
    _entries(x)
    row = A.transpose(A.mul(N.Const(2 / S.length(x.shape)), _as_column(centred(x))))
    return A.matmul(row, j)


def _vjp_layernorm(node: N.Node, g: N.Node) -> list[N.Node | None]:
    return [A.matmul(layernorm_local(node), g)]


def _jac_layernorm(node: N.Node, js: list[N.Node | None], n: int) -> N.Node | None:
    (j,) = js
    return None if j is None else A.matmul(layernorm_local(node), j)


PRODUCT_RULES: dict[type[N.Node], Rule] = {
    Kron: general(_vjp_kron, _jac_kron, T.bilinear),
    KronShare: general(_vjp_kron_share, _jac_kron_share, T.bilinear),
    MatPow: general(_vjp_matpow, _jac_matrix_only, T.matpow),
    Variance: general(_vjp_variance, _jac_variance, T.variance),
    LayerNorm: general(_vjp_layernorm, _jac_layernorm, T.layernorm),
}
