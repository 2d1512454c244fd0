"""Cheaper trees for generated code: exact rewrites that cut array work, not change values.

The derivation's trees read like the lecture; the code should run like hand-written code.

1. Factor a shared matrix operand out of a sum: ``diag(a) X − diag(b) X`` is ``diag(a − b) X``
   (logistic regression's Hessian Xᵀ(diag(σ) X − diag(σ²) X) becomes one scaling and one
   product, as the closed form Xᵀ diag(σ(1 − σ)) X is), and ``A B + A C`` is ``A (B + C)``.
   Diagonal and dense operands are never mixed: adding diag(v) to a dense matrix would build it.
2. Drop identities from products (I X = X): an n×n eye is never built to multiply by; and a
   matrix of ones is split, 𝟏𝟏ᵀ Y = 𝟏 (𝟏ᵀ Y), so a product by it is a sum spread by
   broadcasting.
3. Running sums are never products: with L = cumsum(I) (the lower-triangular ones matrix the
   derivation names), L G is cumsum(G) and Lᵀ G the running sum from the end, which the code
   printer writes as a reversed cumsum: O(n) per column where the product was O(n²).
4. Re-associate a product chain when its shapes say another order is cheaper ((A B) v is
   A (B v)); symbolic sizes are compared only where the sign of the difference is certain
   (every size is a positive integer), and the program's own order is kept otherwise.
"""

from __future__ import annotations

import itertools
from functools import lru_cache

import sympy as sp

from ..expr import nodes as N
from ..expr import shapes as S
from ..ops.nodeops import Cumsum

_MAX_CHAIN = 5  # parenthesisations of longer chains are not enumerated (14 at five factors)


def optimise(node: N.Node) -> N.Node:
    """``node`` with the rewrites applied bottom-up (each distinct subtree once)."""
    out: dict[N.Node, N.Node] = {}
    for sub in N.walk(node):
        new = tuple(out[c] for c in sub.children)
        out[sub] = _rewrite(sub if new == sub.children else sub.rebuild(new))
    return out[node]


def _rewrite(node: N.Node) -> N.Node:
    if isinstance(node, N.MatMul):
        a, b = node.children
        if isinstance(a, N.Identity):
            return b
        if isinstance(b, N.Identity):
            return a
        split = _split_ones(a, b)
        if split is not None:
            return split
        running = _running_sum(a, b)
        if running is not None:
            return running
        return _reassociate(node)
    if isinstance(node, N.Add):
        return _factor(node)
    return node


def _split_ones(a: N.Node, b: N.Node) -> N.Node | None:
    """𝟏𝟏ᵀ Y is 𝟏 (𝟏ᵀ Y): Y's column sums spread over the rows (and Y 𝟏𝟏ᵀ its row sums over
    the columns), never a k×k matrix of ones multiplied in."""
    one = S.ONE
    if isinstance(a, N.Ones) and S.is_matrix(a.shape):
        p, q = a.shape
        sums = N.MatMul(N.Ones((one, q)), b)
        return N.MatMul(N.Ones((p, one)), sums) if S.is_row(sums.shape) else None
    if isinstance(b, N.Ones) and S.is_matrix(b.shape):
        q, r = b.shape
        sums = N.MatMul(a, N.Ones((q, one)))
        return N.MatMul(sums, N.Ones((one, r))) if S.is_column(sums.shape) else None
    return None


def is_lower_ones(node: N.Node) -> bool:
    """Whether ``node`` is L = cumsum(I), the lower-triangular matrix of ones."""
    return isinstance(node, Cumsum) and isinstance(node.children[0], N.Identity)


def is_reversed_running_sum(node: N.Node) -> bool:
    """Lᵀ G: printed as the running sum of G from the end (the code printer's cumsum_reversed)."""
    if not isinstance(node, N.MatMul):
        return False
    a = node.children[0]
    return isinstance(a, N.Transpose) and is_lower_ones(a.children[0])


def _running_sum(a: N.Node, b: N.Node) -> N.Node | None:
    """L G = cumsum(G) (and (L + M) G = L G + M G); Lᵀ G stays (the printer's reversed cumsum); a product from the right
    is the transpose of one from the left: G L = (Lᵀ Gᵀ)ᵀ and G Lᵀ = cumsum(Gᵀ)ᵀ."""
    if is_lower_ones(a):
        return Cumsum(b)
    if isinstance(a, N.Add) and any(is_running_factor(t) for t in a.children):
        # (L + Lᵀ) G, a Hessian's seeded product: a sum of running sums, not the n×n sum built
        return N.Add(*(_rewrite(N.MatMul(t, b)) for t in a.children))
    if isinstance(b, N.Transpose) and is_lower_ones(b.children[0]):
        return N.Transpose(Cumsum(_transpose(a)))
    if is_lower_ones(b):
        return N.Transpose(N.MatMul(N.Transpose(b), _transpose(a)))
    return None


def _transpose(node: N.Node) -> N.Node:
    return node.children[0] if isinstance(node, N.Transpose) else N.Transpose(node)


# -- 1. factoring a shared operand --------------------------------------------------------


def _signed_product(term: N.Node) -> tuple[bool, N.MatMul] | None:
    negative = isinstance(term, N.Neg)
    inner = term.children[0] if negative else term
    return (negative, inner) if isinstance(inner, N.MatMul) else None


def _signed_sum(parts: list[tuple[bool, N.Node]]) -> N.Node:
    terms = [N.Neg(p) if neg else p for neg, p in parts]
    if terms and isinstance(terms[0], N.Neg) and any(not n for n, _ in parts):
        k = next(i for i, (n, _) in enumerate(parts) if not n)
        terms.insert(0, terms.pop(k))  # a − b rather than −b + a
    return terms[0] if len(terms) == 1 else N.Add(*terms)


def _factor(node: N.Add) -> N.Node:
    terms = list(node.children)
    for side in (1, 0):  # shared right operand (diag(a) X − diag(b) X), then shared left
        groups: dict[N.Node, list[int]] = {}
        for i, term in enumerate(terms):
            signed = _signed_product(term)
            if signed is not None and signed[1].shape == node.shape:
                groups.setdefault(signed[1].children[side], []).append(i)
        for shared, members in groups.items():
            if len(members) < 2:
                continue
            others = [_signed_product(terms[i]) for i in members]
            rest = [(neg, mm.children[1 - side]) for neg, mm in others]  # type: ignore[misc]
            if len({p.shape for _, p in rest}) != 1:
                continue
            diagonal = [isinstance(p, N.Diag) for _, p in rest]
            if any(diagonal) and not all(diagonal):
                continue  # diag(v) + dense would build the diagonal matrix
            if all(diagonal):
                combined: N.Node = N.Diag(_signed_sum([(n, p.children[0]) for n, p in rest]))
            else:
                combined = _rewrite(_signed_sum(rest))
            product = N.MatMul(shared, combined) if side == 0 else N.MatMul(combined, shared)
            terms[members[0]] = _rewrite(product)
            for i in members[1:]:
                terms[i] = None  # type: ignore[call-overload]
            terms = [t for t in terms if t is not None]
            return _rewrite(_rebuild_add(terms)) if len(terms) > 1 else terms[0]
    return node


def _rebuild_add(terms: list[N.Node]) -> N.Node:
    return terms[0] if len(terms) == 1 else N.Add(*terms)


# -- 4. matrix-chain order ----------------------------------------------------------------


def _chain(node: N.Node) -> list[N.Node]:
    if isinstance(node, N.MatMul):
        return [*_chain(node.children[0]), *_chain(node.children[1])]
    return [node]


def _reassociate(node: N.MatMul) -> N.Node:
    factors = _chain(node)
    if not 3 <= len(factors) <= _MAX_CHAIN or any(
        isinstance(f, N.Diag) or S.is_scalar(f.shape) or is_running_factor(f) for f in factors
    ):
        return node  # a diag(v) factor prints as a scaling, whose cost this model ignores;
        # Lᵀ as a factor is a running sum, which a regrouping could turn back into a product
    dims = [factors[0].shape[0], *(f.shape[1] for f in factors)]
    best, best_cost = node, _cost(node)
    for tree in _parenthesisations(0, len(factors) - 1):
        if _inner_scalar(tree, dims):
            continue  # (uᵀv) wᵀ: a 0-d array cannot be an operand of @
        cost = _tree_cost(tree, dims)
        if _less(cost, best_cost):
            best, best_cost = _build(tree, factors), cost
    return best


def is_running_factor(node: N.Node) -> bool:
    """L or Lᵀ (L = cumsum(I)): a factor whose products are running sums, never named or
    regrouped."""
    return is_lower_ones(node) or (
        isinstance(node, N.Transpose) and is_lower_ones(node.children[0])
    )


def _inner_scalar(tree: object, dims: list[sp.Expr]) -> bool:
    """Whether a product inside ``tree`` (not the whole) is 1×1."""
    if isinstance(tree, int):
        return False
    for part in tree:  # type: ignore[attr-defined]
        if not isinstance(part, int):
            i, j = _span(part)
            if dims[i] == 1 and dims[j + 1] == 1:
                return True
        if _inner_scalar(part, dims):
            return True
    return False


def _cost(node: N.Node) -> sp.Expr:
    if not isinstance(node, N.MatMul):
        return sp.Integer(0)
    a, b = node.children
    return _cost(a) + _cost(b) + a.shape[0] * a.shape[1] * b.shape[1]


@lru_cache(maxsize=64)
def _parenthesisations(i: int, j: int) -> tuple[object, ...]:
    if i == j:
        return (i,)
    return tuple(
        (left, right)
        for k in range(i, j)
        for left, right in itertools.product(_parenthesisations(i, k), _parenthesisations(k + 1, j))
    )


def _span(tree: object) -> tuple[int, int]:
    if isinstance(tree, int):
        return tree, tree
    left, right = tree  # type: ignore[misc]
    return _span(left)[0], _span(right)[1]


def _tree_cost(tree: object, dims: list[sp.Expr]) -> sp.Expr:
    if isinstance(tree, int):
        return sp.Integer(0)
    left, right = tree  # type: ignore[misc]
    (i, k), (_, j) = _span(left), _span(right)
    return _tree_cost(left, dims) + _tree_cost(right, dims) + dims[i] * dims[k + 1] * dims[j + 1]


def _build(tree: object, factors: list[N.Node]) -> N.Node:
    if isinstance(tree, int):
        return factors[tree]
    left, right = tree  # type: ignore[misc]
    return N.MatMul(_build(left, factors), _build(right, factors))


def _less(a: sp.Expr, b: sp.Expr) -> bool:
    """a < b for every size of at least 2 (False when unsure).

    A size of 1 would make an axis a vector's; the order is chosen for real arrays, and either
    order gives the same values, so a degenerate size costs at most a little time. With each
    size written 2 + t (t ≥ 0), a difference whose expansion has only non-negative coefficients
    and a positive constant is positive for certain.
    """
    difference = sp.expand(b - a)
    if difference.is_number:
        return bool(difference > 0)
    shifted = {s: sp.Dummy(nonnegative=True) + 2 for s in difference.free_symbols}
    poly = sp.Poly(sp.expand(difference.subs(shifted)), *[v - 2 for v in shifted.values()])
    coeffs = poly.coeffs()
    constant = poly.coeff_monomial(1)
    return all(c >= 0 for c in coeffs) and constant > 0
