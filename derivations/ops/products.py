"""Matrix products beyond @: the Kronecker product and integer matrix powers, each class next to
its spec (the registry's way for a new node class: ``expr/nodes.py`` is not edited).

- ``Kron(A, B)`` = A ⊗ B, of shape (pr, qs) for A p×q and B r×s;
- ``KronShare(G, X, side)``: what an upstream G of A ⊗ B sends to one factor. Cut G into the
  p×q grid of r×s blocks G₍ᵢⱼ₎; A's share is the p×q matrix [⟨G₍ᵢⱼ₎, B⟩]ᵢⱼ ("left", X = B) and
  B's share is Σᵢⱼ Aᵢⱼ G₍ᵢⱼ₎ ("right", X = A). Only derivatives produce it;
- ``MatPow(X, k)`` = Xᵏ for a square X and an integer literal k ≥ 0 (X ** k stays elementwise).

Their derivative rules are in ``calculus/rules.py``, their gates in ``engine/gates.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from ..expr import nodes as N
from ..expr import shapes as S
from .spec import ATOM, MUL, POW, Doc, Example, NodeSpec

# -- the classes ------------------------------------------------------------------------------


class Kron(N.Node):
    """A ⊗ B: block (i, j) is Aᵢⱼ B."""

    __slots__ = ()
    arity = 2

    def __init__(self, a: N.Node, b: N.Node) -> None:
        super().__init__((a, b))

    def _shape(self) -> S.Shape:
        a, b = self.children
        return (a.shape[0] * b.shape[0], a.shape[1] * b.shape[1])


class KronShare(N.Node):
    """One factor's share of an upstream G of A ⊗ B (``side`` "left": A's, given B)."""

    __slots__ = ()
    arity = 2

    def __init__(self, g: N.Node, other: N.Node, side: str) -> None:
        assert side in ("left", "right"), side
        super().__init__((g, other), (side,))

    @property
    def side(self) -> str:
        return self.params[0]

    def _shape(self) -> S.Shape:
        g, other = self.children
        return (sp.simplify(g.shape[0] / other.shape[0]), sp.simplify(g.shape[1] / other.shape[1]))


class MatPow(N.Node):
    """Xᵏ, the k-fold matrix product of a square X (k an integer ≥ 0; X⁰ = I)."""

    __slots__ = ()
    arity = 1

    def __init__(self, x: N.Node, k: int) -> None:
        super().__init__((x,), (int(k),))

    @property
    def k(self) -> int:
        return self.params[0]

    def _shape(self) -> S.Shape:
        return self.children[0].shape


# -- builders -----------------------------------------------------------------------------------


def _build_kron(e: Any, args: list[N.Node], syn: Any) -> N.Node:
    if getattr(syn, "internal", False) and all(S.is_vector(a.shape) for a in args):
        raise e.error(  # a LaTeX answer's a ⊗ b: many texts mean the outer product a bᵀ
            "syntax",
            "a ⊗ b of two vectors is ambiguous: the Kronecker product (a vector) or the outer"
            " product a bᵀ (a matrix)",
            syn.func_pos,
            "write a b^{T} for the outer product, or \\operatorname{kron}(a, b) for the"
            " Kronecker product",
        )
    for a in args:
        if a.is_scalar:
            raise e.shape_error(
                "kron needs two vectors or matrices, got a scalar",
                syn.func_pos,
                "to scale by a scalar, use *",
                *args,
            )
    return Kron(*args)


MAX_MATPOW = 32  # Xᵏ's derivative has k terms


def _power(node: N.Node) -> int:
    """The largest matrix power a tree takes of anything (matpow(matpow(A, 4), 8) is A^32)."""
    powers: dict[N.Node, int] = {}
    for n in N.walk(node):
        inner = max((powers[c] for c in n.children), default=1)
        powers[n] = inner * n.params[0] if isinstance(n, MatPow) else inner
    return powers[node]


def _build_matpow(e: Any, args: list[N.Node], syn: Any) -> N.Node:
    x, k = args
    e.need_square("matpow", x, syn)
    value = k.value if isinstance(k, N.Const) else None
    pos = syn.args[1].pos if len(syn.args) > 1 else syn.func_pos
    if value is None or not value.is_number or not value.is_integer or value < 0:
        what = "an expression that is not a constant" if value is None else str(value)
        hint = "write matpow(X, 3); for an elementwise power write X ** a"
        if value is not None and value.is_number and value.is_integer:
            hint = f"for X^({value}) write matpow(inv(X), {-value})"
        raise e.error(
            "value", f"the power of matpow must be an integer literal k ≥ 0, got {what}", pos, hint
        )
    total = int(value) * _power(x)
    if total > MAX_MATPOW and value <= MAX_MATPOW:
        raise e.error(
            "limit",
            f"matpow of a matrix power is the power {total}, over the limit of {MAX_MATPOW}",
            pos,
            f"write the power once, matpow(X, k) with k ≤ {MAX_MATPOW} in all",
            limit="max_matpow",
            value=MAX_MATPOW,
        )
    if value > MAX_MATPOW:
        raise e.error(
            "limit",
            f"matpow's power {value} exceeds the limit of {MAX_MATPOW}",
            pos,
            f"use a power of at most {MAX_MATPOW}",
            limit="max_matpow",
            value=MAX_MATPOW,
        )
    return MatPow(x, int(value)) if value > 1 else (x if value == 1 else N.Identity(x.shape[0]))


# -- printed forms -----------------------------------------------------------------------------


def _kron_latex(p: Any, node: N.Node) -> tuple[str, int]:
    a, b = node.children
    return rf"{p.wrap(a, MUL)} \otimes {p.wrap(b, MUL + 1)}", MUL


def _share_latex(p: Any, node: N.Node) -> tuple[str, int]:
    """[⟨G₍ᵢⱼ₎, B⟩]ᵢⱼ for A's share, Σᵢⱼ Aᵢⱼ G₍ᵢⱼ₎ for B's: G₍ᵢⱼ₎ is block (i, j) of G
    (block i of a vector when A is a column)."""
    g, other = node.children
    a_shape = node.shape if node.params[0] == "left" else other.shape
    idx = "i" if a_shape[1] == 1 else "i,j"
    block = rf"{p.wrap(g, ATOM)}_{{[{idx}]}}"
    if node.params[0] == "left":
        inner = rf"\left\langle {block}, {p.doprint(other)} \right\rangle"
        return rf"\left[{inner}\right]_{{{idx}}}", ATOM
    entry = rf"{p.wrap(other, ATOM)}_{{{idx.replace(',', '')}}}"
    return rf"\sum_{{{idx}}} {entry} {block}", MUL


def _matpow_latex(p: Any, node: N.Node) -> tuple[str, int]:
    return f"{p.wrap(node.children[0], ATOM)}^{{{node.params[0]}}}", POW


def _lib(p: Any) -> str:
    return {"numpy": "np", "torch": "torch", "jax": "jnp"}[p.backend.name]


def _code_shape(p: Any, shape: S.Shape) -> str:
    """The shape of a value in generated code: vectors are 1-D, matrices 2-D."""
    if S.is_vector(shape):
        return f"({p.dim(S.vector_length(shape))},)"
    return f"({p.dim(shape[0])}, {p.dim(shape[1])})"


def _as_2d(p: Any, node: N.Node) -> str:
    """An operand as the 2-D array its symbolic shape is (a vector is 1-D in generated code)."""
    text = p.doprint(node)
    if S.is_vector(node.shape):
        return f"{_lib(p)}.reshape({text}, ({p.dim(node.shape[0])}, {p.dim(node.shape[1])}))"
    return text


def _kron_code(p: Any, node: N.Node) -> tuple[str, int]:
    a, b = node.children
    lib = _lib(p)
    if (
        S.is_column(a.shape) == S.is_column(b.shape)
        and S.is_vector(a.shape)
        and S.is_vector(b.shape)
    ):  # two columns or two rows: 1-D kron is the answer
        return f"{lib}.kron({p.doprint(a)}, {p.doprint(b)})", ATOM
    return f"{lib}.kron({_as_2d(p, a)}, {_as_2d(p, b)})", ATOM


def _share_code(p: Any, node: N.Node) -> tuple[str, int]:
    g, other = node.children
    lib = _lib(p)
    out = node.shape
    small, big = (out, other.shape) if node.params[0] == "left" else (other.shape, out)
    grid = ", ".join(p.dim(d) for d in (small[0], big[0], small[1], big[1]))
    blocks = f"{lib}.reshape({p.doprint(g)}, ({grid}))"  # G[i r + k, j s + l] as [i, k, j, l]
    spec = '"ikjl,kl->ij"' if node.params[0] == "left" else '"ikjl,ij->kl"'
    value = f"{lib}.einsum({spec}, {blocks}, {_as_2d(p, other)})"
    return f"{lib}.reshape({value}, {_code_shape(p, out)})", ATOM


def _matpow_code(p: Any, node: N.Node) -> tuple[str, int]:
    lib = {"numpy": "np.linalg", "torch": "torch.linalg", "jax": "jnp.linalg"}[p.backend.name]
    return f"{lib}.matrix_power({p.doprint(node.children[0])}, {node.params[0]})", ATOM


def _matpow_label(f: Any, params: tuple, kids: list) -> tuple[str, int]:
    return f"matpow({kids[0][0]}, {params[0]})", f.ATOM


def _share_label(f: Any, params: tuple, kids: list) -> tuple[str, int]:
    return f"kron_{params[0]}_share({kids[0][0]}, {kids[1][0]})", f.ATOM


# -- exact meanings ----------------------------------------------------------------------------


def _x_kron(ex: Any, node: N.Node) -> sp.Matrix:
    a, b = (ex.evaluate(c) for c in node.children)
    r, s = b.shape
    return sp.Matrix(a.rows * r, a.cols * s, lambda i, j: a[i // r, j // s] * b[i % r, j % s])


def _x_share(ex: Any, node: N.Node) -> sp.Matrix:
    g, x = (ex.evaluate(c) for c in node.children)
    p, q = ex.shape(node) if node.params[0] == "left" else x.shape
    r, s = x.shape if node.params[0] == "left" else ex.shape(node)
    if node.params[0] == "left":  # [⟨G_(ij), B⟩]_ij
        return sp.Matrix(p, q, lambda i, j: sum(
            g[i * r + k, j * s + c] * x[k, c] for k in range(r) for c in range(s)))  # fmt: skip
    return sp.Matrix(r, s, lambda k, c: sum(
        g[i * r + k, j * s + c] * x[i, j] for i in range(p) for j in range(q)))  # fmt: skip


def _x_matpow(ex: Any, node: N.Node) -> sp.Matrix:
    """Xᵏ by repeated squaring, each product charged to the check's work before it is built
    (SymPy's own X * X was neither bounded nor counted: trace(matpow(A, 32)) took seconds)."""
    square, k = ex.evaluate(node.children[0]), node.params[0]
    out = None
    while k:
        if k & 1:
            out = square if out is None else ex.multiply(out, square)
        k >>= 1
        if k:
            square = ex.multiply(square, square)
    return sp.eye(square.rows) if out is None else out


# -- examples --------------------------------------------------------------------------------


def _share_tree(side: str) -> Example:
    def tree() -> tuple[N.Node, dict[str, N.Var]]:
        n, m = S.dim("n"), S.dim("m")
        g = N.Var("g", S.column(n * m))
        x = N.Var("x", S.column(m if side == "left" else n))
        u = N.Var("u", S.column(n if side == "left" else m))
        return N.MatMul(N.Transpose(u), KronShare(g, x, side)), {"g": g, "x": x, "u": u}

    return Example(tree=tree)


V = ["n"]

PRODUCT_SPECS = [
    NodeSpec(Kron, rational=True, name="kron", arity=2, build=_build_kron, usage="kron(A, B)",
             latex=_kron_latex, code={"numpy": _kron_code}, index="opaque", exact=_x_kron,
             value=np.kron, syntax_shape="kron", label="kron", trace="kron",
             unicode={r"\otimes": "⊗"}, latex_words=("kron",),
             doc=Doc("kron(A, B)", "Kronecker product A ⊗ B (block (i, j) is Aᵢⱼ B)",
                     "u.T @ kron(x, y)", {"u": ["n*m"], "x": V, "y": ["m"]}),
             examples=(Example("w.T @ kron(x, y)", {"w": ("n*m",), "x": ("n",), "y": ("m",)},
                               True),
                       Example("sum(kron(A, B) * C)",
                               {"A": ("n", "n"), "B": ("m", "p"), "C": ("n*m", "n*p")}, True),
                       Example("kron(x, y)", {"x": ("n",), "y": ("m",)}),
                       Example("u.T @ kron(x, B) @ v",
                               {"u": ("n*m",), "x": ("n",), "B": ("m", "p"), "v": ("p",)}))),
    NodeSpec(KronShare, rational=True, latex=_share_latex, code={"numpy": _share_code}, index="opaque",
             exact=_x_share, label=_share_label, trace="kron_share",
             unreadable="a block of a Kronecker product (G_{[i,j]}) has no reading",
             unicode={r"\left\langle": "⟨", r"\right\rangle": "⟩", r"\langle": "⟨", r"\rangle": "⟩"},
             examples=(_share_tree("left"), _share_tree("right"))),
    NodeSpec(MatPow, rational=True, name="matpow", arity=2, build=_build_matpow, usage="matpow(X, k)",
             latex=_matpow_latex, code={"numpy": _matpow_code}, index="opaque", exact=_x_matpow,
             value=lambda x, k: np.linalg.matrix_power(x, int(round(float(k[0, 0])))),
             syntax_shape="same", label=_matpow_label, trace="matpow", domain="conditioned",
             doc=Doc("matpow(X, k)", "matrix power Xᵏ of a square X, k an integer ≥ 0 "
                     "(X ** k is elementwise)", "trace(matpow(A, 3))", {"A": ["n", "n"]}),
             examples=(Example("trace(matpow(A, 3))", {"A": ("n", "n")}, True),
                       Example("x.T @ matpow(A, 2) @ y",
                               {"x": ("n",), "A": ("n", "n"), "y": ("n",)}, True),
                       Example("sum(matpow(A, 4) * B)", {"A": ("n", "n"), "B": ("n", "n")}))),
]  # fmt: skip
