"""Simplifying constructors: every derivative is built through these, so results stay textbook.

Why constructors rather than a rewrite pass: the rules produce many trivial pieces (I·x, 1·G,
(xᵀ)ᵀ, −(−a), 0 + a), and removing them as they are built keeps intermediate results small,
which is what keeps derivations of deep networks linear in size. The rules here are all exact
algebraic identities; none depends on values.

- identities: I x = x, 1 ∘ x = x, 0 + x = x, (xᵀ)ᵀ = x, −(−x) = x, scalarᵀ = scalar;
- constants are collected into one leading factor, and negations float to the top;
- like terms are collected (x + x = 2x, x − x = 0);
- a common right factor is pulled out of a sum: Ax + Aᵀx = (A + Aᵀ)x;
- transposes are pushed through products and sums down to the leaves: (Wᵀδ)ᵀ = δᵀW.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

from ..expr import nodes as N
from ..expr import shapes as S
from ..expr.broadcast import spread_of
from ..expr.shapes import Shape
from ..ops.indexing import OneHot
from ..ops.registry import MissingOp, node_spec


def const(value: sp.Expr | int | float) -> N.Const:
    return N.Const(value)


def is_const(node: N.Node, value: int | None = None) -> bool:
    if not isinstance(node, N.Const):
        return False
    return value is None or node.value == value


def is_zero(node: N.Node) -> bool:
    return isinstance(node, N.Zeros) or is_const(node, 0)


def zeros(shape: Shape) -> N.Node:
    return N.Const(0) if S.is_scalar(shape) else N.Zeros(shape)


def ones(shape: Shape) -> N.Node:
    return N.Const(1) if S.is_scalar(shape) else N.Ones(shape)


def _broadcast_shape(nodes: list[N.Node]) -> Shape:
    shape = S.SCALAR
    for n in nodes:
        if not n.is_scalar:
            shape = n.shape
    return shape


def _fit(node: N.Node, shape: Shape) -> N.Node:
    """Broadcast a scalar result back to ``shape`` when simplification lost the array shape."""
    if node.shape == shape:
        return node
    assert node.is_scalar, (node.shape, shape)
    return N.Mul(node, N.Ones(shape)) if not is_const(node, 1) else N.Ones(shape)


def split_coefficient(node: N.Node) -> tuple[sp.Expr, N.Node]:
    """node = c · rest with c a number (or dimension expression)."""
    if isinstance(node, N.Neg):
        c, rest = split_coefficient(node.children[0])
        return -c, rest
    if isinstance(node, N.Mul) and isinstance(node.children[0], N.Const):
        rest = node.children[1:]
        body = rest[0] if len(rest) == 1 else N.Mul(*rest)
        return node.children[0].value, body
    if isinstance(node, N.Const):
        return node.value, N.Const(1)
    return sp.Integer(1), node


def scale(c: sp.Expr, node: N.Node) -> N.Node:
    """c · node, keeping the sign outside (−2x prints as −2x, not (−2)x)."""
    c = sp.nsimplify(c) if isinstance(c, sp.Float) else c
    if c == 0:
        return zeros(node.shape)
    if c == 1:
        return node
    if c == -1:
        return neg(node)
    if is_const(node, 1):
        return N.Const(c)
    if isinstance(node, N.Const):
        return N.Const(c * node.value)
    if c.could_extract_minus_sign():
        return N.Neg(scale(-c, node))
    if isinstance(node, N.Mul):
        return N.Mul(N.Const(c), *node.children)
    return N.Mul(N.Const(c), node)


def add(*terms: N.Node) -> N.Node:
    shape = _broadcast_shape(list(terms))
    flat: list[N.Node] = []
    for t in terms:
        if isinstance(t, N.Add):
            flat.extend(t.children)
        elif not is_zero(t):
            flat.append(t)
    # Collect like terms: c1·x + c2·x = (c1 + c2)·x, keeping first-appearance order.
    coefficients: dict[N.Node, sp.Expr] = {}
    constant = sp.Integer(0)
    shown: dict[N.Node, N.Node] = {}  # how a collected term is written (𝟏𝟏ᵀ as a product)
    for t in flat:
        c, rest = split_coefficient(t)
        if is_const(rest, 1):
            constant += c
            continue
        key = _ones_outer(rest)
        if key is not rest or key not in shown:
            shown[key] = rest
        coefficients[key] = coefficients.get(key, sp.Integer(0)) + c
    if constant != 0 and any(_is_complemented(r) for r in coefficients):
        constant = _absorb_complements(coefficients, constant)
    collected = [scale(c, shown.get(rest, rest)) for rest, c in coefficients.items() if c != 0]
    collected = [t for t in collected if not is_zero(t)]
    if constant != 0:
        collected.append(N.Const(constant))
    collected = _factor_common_right(collected)
    collected.sort(key=_term_order)
    if not collected:
        return zeros(shape)
    if len(collected) == 1:
        return _fit(collected[0], shape)
    return _fit(N.Add(*collected), shape)


def _ones_outer(node: N.Node) -> N.Node:
    """𝟏𝟏ᵀ (a broadcast of ones, kept as a product) as the ones matrix it is, so that like terms
    meet: the gradient of Σ(X − mean_row(X) 𝟏ᵀ) is 𝟏𝟏ᵀ − 𝟏𝟏ᵀ = 0."""
    if (
        isinstance(node, N.MatMul)
        and all(isinstance(f, N.Ones) for f in node.children)
        and S.is_matrix(node.shape)
    ):
        return N.Ones(node.shape)
    return node


def _is_complemented(node: N.Node) -> bool:
    """σ(−a), which 1 − σ(−a) turns into σ(a)."""
    return (
        isinstance(node, N.Apply) and node.fn == "sigmoid" and isinstance(node.children[0], N.Neg)
    )


def _absorb_complements(coefficients: dict[N.Node, sp.Expr], constant: sp.Expr) -> sp.Expr:
    """1 − σ(−a) = σ(a): the negative-sampling gradient reads σ(u_kᵀv_c), not 1 − σ(−u_kᵀv_c)."""
    for node in [n for n in coefficients if _is_complemented(n)]:
        c = coefficients[node]
        if c == -1 and (constant - 1).is_nonnegative is True:
            del coefficients[node]
            flipped = N.Apply("sigmoid", node.children[0].children[0])
            coefficients[flipped] = coefficients.get(flipped, sp.Integer(0)) + 1
            constant -= 1
    return constant


def _term_order(node: N.Node) -> tuple[int, int]:
    """Positive terms first (1 − tanh²z), plain before transposed (A + Aᵀ), else as built."""
    c, rest = split_coefficient(node)
    negative = 1 if c.could_extract_minus_sign() else 0
    transposed = 1 if isinstance(rest, N.Transpose) else 0
    return (negative, transposed)


def _factor_common_right(terms: list[N.Node]) -> list[N.Node]:
    """Ax + Bx -> (A + B)x when every term multiplies the same right factor, signs and
    coefficients included: softmax(W x) xᵀ − e_y xᵀ is (softmax(W x) − e_y) xᵀ, δ xᵀ."""
    if len(terms) < 2:
        return terms
    parts = [split_coefficient(t) for t in terms]
    if not all(isinstance(rest, N.MatMul) for _, rest in parts):
        return terms
    right = parts[0][1].children[1]
    if all(rest.children[1] == right for _, rest in parts) and not right.is_scalar:
        lefts = [scale(c, rest.children[0]) for c, rest in parts]
        if all(left.shape == lefts[0].shape for left in lefts):
            return [matmul(add(*lefts), right)]
    return terms


def neg(a: N.Node) -> N.Node:
    if isinstance(a, N.Neg):
        return a.children[0]
    if is_zero(a):
        return a
    if isinstance(a, N.Const):
        return N.Const(-a.value)
    c, rest = split_coefficient(a)
    if c != 1:
        return scale(-c, rest)
    if isinstance(a, N.Add) and all(
        split_coefficient(t)[0].could_extract_minus_sign() for t in a.children
    ):
        return add(*(neg(t) for t in a.children))
    # −(1 − σ) reads better as σ − 1: distribute over a constant and one term.
    if (
        isinstance(a, N.Add)
        and len(a.children) == 2
        and any(isinstance(t, N.Const) for t in a.children)
    ):
        return add(*(neg(t) for t in a.children))
    return N.Neg(a)


def mul(*factors: N.Node) -> N.Node:
    """Elementwise product; scalar factors scale. Constants lead, signs float out."""
    shape = _broadcast_shape(list(factors))
    flat: list[N.Node] = []
    coefficient = sp.Integer(1)
    for f in factors:
        parts = f.children if isinstance(f, N.Mul) else (f,)
        for p in parts:
            c, rest = split_coefficient(p)
            coefficient *= c
            if is_zero(rest):
                return zeros(shape)
            if not is_const(rest, 1):
                flat.append(rest)
    if coefficient == 0:
        return zeros(shape)
    flat = _cancel_reciprocals(flat)
    # c ∘ (1/d) ∘ x = c x / d: a reciprocal factor becomes the denominator.
    reciprocals = [f for f in flat if isinstance(f, N.Div) and is_const(f.children[0], 1)]
    if len(reciprocals) == 1 and len(flat) > 1:
        (r,) = reciprocals
        rest = [f for f in flat if f is not r]
        return _fit(scale(coefficient, div(mul(*rest), r.children[1])), shape)
    # All-ones arrays are neutral once some other factor carries the shape.
    if any(not f.is_scalar and not isinstance(f, N.Ones) for f in flat):
        flat = [f for f in flat if not isinstance(f, N.Ones)]
    # Repeated factors become powers: a ∘ a = a².
    merged: list[N.Node] = []
    for f in flat:
        if f in merged and not isinstance(f, N.Ones):
            i = merged.index(f)
            merged[i] = power(f, N.Const(2))
        else:
            merged.append(f)
    # Scalars first (they read as coefficients), then arrays, in order.
    merged.sort(key=lambda f: 0 if f.is_scalar else 1)
    if not merged:
        body: N.Node = N.Const(1)
    elif len(merged) == 1:
        body = merged[0]
    else:
        body = N.Mul(*merged)
    return _fit(scale(coefficient, body), shape)


def _cancel_reciprocals(factors: list[N.Node]) -> list[N.Node]:
    """x ∘ (1/x) = 1: the chain rule through log σ gives (1/σ) ∘ σ(1 − σ) = 1 − σ."""
    out = list(factors)
    changed = True
    while changed:
        changed = False
        for i, f in enumerate(out):
            if isinstance(f, N.Div) and f.children[1] in out:
                numerator, denominator = f.children
                out.pop(i)
                out.remove(denominator)
                if not is_const(numerator, 1):
                    out.insert(i, numerator)
                changed = True
                break
    return out


def div(a: N.Node, b: N.Node) -> N.Node:
    shape = _broadcast_shape([a, b])
    if is_const(b, 1):
        return _fit(a, shape)
    if is_zero(a):
        return zeros(shape)
    if isinstance(b, N.Const):
        return _fit(mul(N.Const(1 / b.value), a), shape)
    vector, _ = spread_of(b)
    if vector is not None and (a.is_scalar or isinstance(a, N.Ones)):  # c/(b 𝟏ᵀ) = (c/b) 𝟏ᵀ
        return _respread(b, div(N.Const(1) if isinstance(a, N.Ones) else a, vector))
    c, rest = split_coefficient(a)
    if c != 1 and not is_const(rest, 1):
        return scale(c, div(rest, b))
    cancelled = _cancel_quotient(a, b)
    if cancelled is not None:
        return _fit(cancelled, shape)
    return N.Div(a, b)


def _cancel_quotient(a: N.Node, b: N.Node) -> N.Node | None:
    """x y / x = y and x y / x² = y / x: a factor shared by numerator and denominator goes."""
    factors = list(a.children) if isinstance(a, N.Mul) else [a]
    base, exponent = b, sp.Integer(1)
    if isinstance(b, N.Apply) and b.fn == "pow" and isinstance(b.children[1], N.Const):
        base, exponent = b.children[0], b.children[1].value
    if base not in factors or not (exponent.is_Integer and exponent >= 1):
        return None
    factors.remove(base)
    top = mul(*factors) if factors else N.Const(1)
    if exponent == 1:
        return top
    return div(top, power(base, N.Const(exponent - 1)))


def _respread(spread: N.Node, vector: N.Node) -> N.Node:
    """``vector`` broadcast the way ``spread`` (b 𝟏ᵀ or 𝟏 cᵀ) broadcasts its own vector."""
    a, b = spread.children
    return matmul(vector, b) if isinstance(b, N.Ones) else matmul(a, vector)


def power(a: N.Node, p: N.Node) -> N.Node:
    if is_const(p, 1):
        return a
    vector, _ = spread_of(a)
    if vector is not None and p.is_scalar:  # (b 𝟏ᵀ)² = b² 𝟏ᵀ: the power of a broadcast
        return _respread(a, power(vector, p))
    if is_const(p, 0):
        return ones(a.shape)
    if isinstance(a, N.Const) and isinstance(p, N.Const):
        return N.Const(a.value**p.value)
    if is_const(p, -1):
        return div(N.Const(1), a)
    if isinstance(p, N.Const) and p.value == sp.Rational(1, 2):
        return N.Apply("sqrt", a)
    return N.Apply("pow", a, p)


def transpose(a: N.Node) -> N.Node:
    if a.is_scalar:
        return a
    if isinstance(a, N.Transpose):
        return a.children[0]
    if isinstance(a, N.Identity | N.Diag):
        return a
    if isinstance(a, N.Zeros):
        return N.Zeros(S.transpose(a.shape))
    if isinstance(a, N.Ones):
        return N.Ones(S.transpose(a.shape))
    if isinstance(a, N.Neg):
        return neg(transpose(a.children[0]))
    if isinstance(a, N.MatMul):
        return matmul(transpose(a.children[1]), transpose(a.children[0]))
    if isinstance(a, N.Add):
        return add(*(transpose(t) for t in a.children))
    c, rest = split_coefficient(a)
    if c != 1:
        return scale(c, transpose(rest))
    if isinstance(a, N.Mul) and sum(not f.is_scalar for f in a.children) == 1:
        return mul(*(f if f.is_scalar else transpose(f) for f in a.children))
    return N.Transpose(a)


def matmul(a: N.Node, b: N.Node) -> N.Node:
    assert a.shape[1] == b.shape[0], (a, b)
    out_shape = (a.shape[0], b.shape[1])
    if is_zero(a) or is_zero(b):
        return zeros(out_shape)
    if isinstance(a, N.Identity):
        return b
    if isinstance(b, N.Identity):
        return a
    # A product with a 1×1 factor is a scaling: G hᵀ with G scalar is G·hᵀ.
    if a.is_scalar or b.is_scalar:
        return mul(a, b)
    # 𝟏ᵀ𝟏 over an inner size k is k (a broadcast's adjoint meets a sum's): never 𝟏 𝟏. An
    # outer product 𝟏 𝟏ᵀ stays a product: it is a broadcast, not a matrix to build.
    if isinstance(a, N.Ones) and isinstance(b, N.Ones) and a.shape[1] != 1:
        return scale(a.shape[1], ones(out_shape))
    # (u 𝟏ᵀ) M = u (𝟏ᵀ M): sum M's columns first, then spread (re-associated chains meet this).
    if (
        isinstance(a, N.MatMul)
        and isinstance(a.children[1], N.Ones)
        and S.is_row(a.children[1].shape)
    ):
        return matmul(a.children[0], matmul(a.children[1], b))
    # Rows scaled, then summed, are summed, then scaled: (A/(v 𝟏ᵀ)) 𝟏 = (A 𝟏)/v (batch norm's
    # Σ over the batch of (Δ ∘ C)/σ² is ((Δ ∘ C) 𝟏)/σ², not a product around a quotient).
    if isinstance(a, N.Div) and S.is_column(out_shape):
        vector, way = spread_of(a.children[1])
        if way == "spread_rows":
            return div(matmul(a.children[0], b), vector)
    # diag(a) diag(b) = diag(a ∘ b), also at the head of a longer product.
    if isinstance(a, N.Diag) and isinstance(b, N.Diag):
        return diag(mul(a.children[0], b.children[0]))
    if isinstance(a, N.Diag) and isinstance(b, N.MatMul) and isinstance(b.children[0], N.Diag):
        return matmul(diag(mul(a.children[0], b.children[0].children[0])), b.children[1])
    # Pull scalar coefficients out of products: (2A)B = 2(AB).
    ca, ra = split_coefficient(a)
    cb, rb = split_coefficient(b)
    if ca != 1 or cb != 1:
        return scale(ca * cb, matmul(ra, rb))
    scalar_a = [f for f in a.children if f.is_scalar] if isinstance(a, N.Mul) else []
    if scalar_a and len(scalar_a) == len(a.children) - 1:
        (array,) = [f for f in a.children if not f.is_scalar]
        return mul(*scalar_a, matmul(array, b))
    scalar_b = [f for f in b.children if f.is_scalar] if isinstance(b, N.Mul) else []
    if scalar_b and len(scalar_b) == len(b.children) - 1:
        (array,) = [f for f in b.children if not f.is_scalar]
        return mul(*scalar_b, matmul(a, array))
    return N.MatMul(a, b)


def apply(fn: str, *args: N.Node) -> N.Node:
    if fn == "pow":
        return power(*args)
    return N.Apply(fn, *args)


def sum_(a: N.Node) -> N.Node:
    if a.is_scalar:
        return a
    if is_zero(a):
        return N.Const(0)
    if isinstance(a, N.Neg):
        return neg(sum_(a.children[0]))
    c, rest = split_coefficient(a)
    if c != 1:
        return scale(c, sum_(rest))
    if isinstance(a, N.Ones):
        return N.Const(S.length(a.shape))
    if isinstance(a, OneHot):  # Σ e_y = 1
        return N.Const(1)
    return N.Sum(a)


def diag(v: N.Node) -> N.Node:
    if isinstance(v, N.Ones) and S.is_column(v.shape):
        return N.Identity(v.shape[0])
    c, rest = split_coefficient(v)
    if c != 1:
        return scale(c, diag(rest))
    return N.Diag(v)


def concat(*parts: N.Node) -> N.Node:
    if all(is_zero(p) for p in parts):
        rows = sp.Add(*(p.shape[0] for p in parts))
        return zeros((rows, parts[0].shape[1]))
    return parts[0] if len(parts) == 1 else N.Concat(*parts)


def slice_rows(a: N.Node, start: sp.Expr, stop: sp.Expr) -> N.Node:
    if sp.simplify(start) == 0 and sp.simplify(stop - a.shape[0]) == 0:
        return a
    if is_zero(a):
        return zeros((sp.simplify(stop - start), a.shape[1]))
    if isinstance(a, N.Concat):  # a block of a stacked array is the part itself
        offset = sp.Integer(0)
        for part in a.children:
            if sp.simplify(offset - start) == 0 and sp.simplify(offset + part.shape[0] - stop) == 0:
                return part
            offset += part.shape[0]
    return N.Slice(a, start, stop)


def rebuild(node: N.Node, children: tuple[N.Node, ...]) -> N.Node:
    """``node``'s op over new ``children`` through its simplifying constructor, so a rewrite
    (a kind's fact, a tangent) stays textbook: (Σ y) softmax(z) − y becomes softmax(z) − y.

    Which constructor is the op spec's ``simplify`` (derivations/ops); an op without one is
    rebuilt as it is. The constructor is called with the children, then the node's params
    (slice_rows(a, start, stop)); a function application takes its name first.
    """
    if isinstance(node, N.Apply):
        return apply(node.fn, *children)
    name = node_spec(node).simplify
    if name is None:
        return node.rebuild(children)
    return constructor(name, type(node))(*children, *node.params)


def constructor(name: str, op: type) -> Callable[..., N.Node]:
    """The constructor an op spec names, or an error naming the op and both places to fix."""
    build = globals().get(name)
    if name.startswith("_") or not callable(build):
        raise MissingOp(
            f"the op {op.__name__!r} names the simplifying constructor {name!r}, which "
            "derivations/calculus/algebra.py does not define; define it there or fix the "
            "op's NodeSpec.simplify in derivations/ops"
        )
    return build
