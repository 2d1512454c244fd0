"""Tidy a finished result into the textbook's form: cancel what the textbook cancels.

The simplifying constructors (``algebra.py``) keep results small while they are built; this pass
runs once on each finished result, where a wider view pays off:

- names from the program: a subtree equal to an intermediate's definition is that name
  (σ(Xw + c) is p), which is what lets p ∘ (1 − p) cancel against y/p;
- elementwise algebra through SymPy: each maximal elementwise cluster (+, −, ∘, /, f(·) over
  atoms) is converted to a scalar SymPy expression, cancelled, and kept only if it prints
  shorter: (−y/p + (1 − y)/(1 − p)) ∘ p ∘ (1 − p) = p − y, √(a)² = a, x/2s + x/2s = x/s;
- matrix identities: (X⁻¹)⁻¹ = X, det(X⁻¹) = 1/det(X), X⁻ᵀXᵀ = I in a product chain,
  tr(cA) = c tr(A), Σ(I ∘ A) = tr(A), Σ softmax(v) = 1, aᵀb = Σ(a ∘ b) when that cancels,
  (a/s)ᵀ = aᵀ/s.

Every rewrite is an identity wherever the expression is defined; the property tests check each
against finite differences, and every result is verified after tidying.
"""

from __future__ import annotations

from collections import Counter

import sympy as sp

from ..errors import ChainruleError
from ..expr import nodes as N
from ..expr import shapes as S
from ..expr.program import Definition, TypedProgram
from . import algebra as A
from .elementwise import sympy_function
from .reverse import Backward, depends
from .scalar import from_sympy

_ELEMENTWISE = (N.Add, N.Mul, N.Div, N.Neg, N.Apply)
MAX_CLUSTER = 48  # nodes; larger clusters keep their constructor form (SymPy cost)
# The shortest form of a cluster depends only on the cluster: shared across derivations.
_SHORTEST: dict[tuple[N.Node, S.Shape], N.Node] = {}


def _size(node: N.Node) -> int:
    """Displayed size: every occurrence counts (a repeated subtree is printed each time)."""
    return len(N.walk_all(node))


class Tidy:
    def __init__(self, names: dict[N.Node, N.Node] | None = None) -> None:
        self.names = names or {}
        self.bodies = {ref: body for body, ref in self.names.items()}
        self.memo: dict[N.Node, N.Node] = {}

    def __call__(self, node: N.Node) -> N.Node:
        try:
            return self.tidy(node)
        except (RecursionError, ChainruleError):  # pragma: no cover - keep the built form
            return node

    def tidy(self, node: N.Node) -> N.Node:
        if node in self.memo:
            return self.memo[node]
        if isinstance(node, _ELEMENTWISE):
            out = self._cluster(node)
        else:
            out = self._structural(node, tuple(self.tidy(c) for c in node.children))
        self.memo[node] = out
        return out

    # -- elementwise clusters ------------------------------------------------------------

    def _cluster(self, node: N.Node) -> N.Node:
        """The shortest form of an elementwise cluster. The program's names are used only
        where they let something cancel (y/p against p ∘ (1 − p)); otherwise the built form
        stays, so δ = u ∘ (1 − tanh²(z)) keeps the lecture's f′(z)."""
        built = self._rebuild_elementwise(node, False)
        if not _finite(built):
            return node
        plain = self._shortest(built, node.shape)
        if self.names:
            named = self._rebuild_elementwise(node, True)
            if _finite(named):
                best = self._shortest(named, node.shape)
                # Judged with the names spelled out: a name alone shortens nothing.
                if _size(N.substitute(best, self.bodies)) < _size(plain):
                    return best
        return plain

    def _shortest(self, built: N.Node, shape: S.Shape) -> N.Node:
        if len(N.walk_all(built)) > MAX_CLUSTER or not _may_cancel(built):
            return built
        key = (built, shape)
        if key not in _SHORTEST:
            if len(_SHORTEST) > 4096:
                _SHORTEST.clear()
            _SHORTEST[key] = self._shortest_uncached(built, shape)
        return _SHORTEST[key]

    def _shortest_uncached(self, built: N.Node, shape: S.Shape) -> N.Node:
        atoms: dict[N.Node, sp.Symbol] = {}
        expr = self._to_sympy(built, atoms)
        mapping = {s: a for a, s in atoms.items()}
        best, best_size = built, _size(built)
        for candidate in _candidates(expr):
            if candidate.has(sp.zoo, sp.oo, -sp.oo, sp.nan):
                continue
            try:
                back = from_sympy(candidate, mapping)
                if A.is_zero(back):
                    back = A.zeros(shape)
                elif isinstance(back, N.Const) and not S.is_scalar(shape):
                    back = A.scale(back.value, N.Ones(shape))  # −n 𝟏, not (−n) 𝟏
                else:
                    back = _explicit_ones(A._fit(back, shape))
            except (ChainruleError, AssertionError, TypeError):
                continue
            size = _size(back)
            if size < best_size:
                best, best_size = back, size
        return best

    def _rebuild_elementwise(self, node: N.Node, named: bool) -> N.Node:
        if node in self.names and (named or _is_root(node)):
            return self.names[node]  # a named root is always its name: 1/(2σ), not 1/(2√v)
        if not isinstance(node, _ELEMENTWISE):
            return self.tidy(node)
        kids = [self._rebuild_elementwise(c, named) for c in node.children]
        if isinstance(node, N.Add):
            return A.add(*kids)
        if isinstance(node, N.Mul):
            return A.mul(*kids)
        if isinstance(node, N.Div):
            return A.div(*kids)
        if isinstance(node, N.Neg):
            return A.neg(kids[0])
        assert isinstance(node, N.Apply)
        (first, *rest) = kids
        if node.fn == "sqrt" and _is_gram(first):  # √(xᵀx) = ‖x‖
            return N.Norm2(first.children[1])
        if node.fn == "gt" and isinstance(first, N.Apply) and first.fn == "min":
            # 𝟙[min(c, z) > d] = 𝟙[z > d] when c > d (the hard-tanh's inner clip)
            c, z = first.children
            if _const_above(c, rest[0]):
                return A.apply("gt", z, rest[0])
        return A.apply(node.fn, *kids)

    def _to_sympy(self, node: N.Node, atoms: dict[N.Node, sp.Symbol]) -> sp.Expr:
        if isinstance(node, N.Const):
            return node.value
        if isinstance(node, N.Add):
            return sp.Add(*(self._to_sympy(c, atoms) for c in node.children))
        if isinstance(node, N.Mul):
            return sp.Mul(*(self._to_sympy(c, atoms) for c in node.children))
        if isinstance(node, N.Div):
            a, b = (self._to_sympy(c, atoms) for c in node.children)
            return a / b
        if isinstance(node, N.Neg):
            return -self._to_sympy(node.children[0], atoms)
        if isinstance(node, N.Apply):
            args = [self._to_sympy(c, atoms) for c in node.children]
            return args[0] ** args[1] if node.fn == "pow" else sympy_function(node.fn)(*args)
        if isinstance(node, N.Ones):  # 𝟏 inside an elementwise cluster is 1 (shape refitted)
            return sp.Integer(1)
        if node not in atoms:
            atoms[node] = sp.Symbol(f"_t{len(atoms)}", real=True)
        return atoms[node]

    # -- matrix identities ---------------------------------------------------------------

    def _structural(self, node: N.Node, kids: tuple[N.Node, ...]) -> N.Node:
        if isinstance(node, N.MatMul):
            return self._matmul(*kids)
        if isinstance(node, N.Transpose):
            (a,) = kids
            if isinstance(a, N.Div) and a.children[1].is_scalar:
                return A.div(A.transpose(a.children[0]), a.children[1])
            if isinstance(a, N.Inverse) and isinstance(a.children[0], N.Inverse):
                return A.transpose(a.children[0].children[0])
            return A.transpose(a)
        if isinstance(node, N.Inverse):
            (a,) = kids
            if isinstance(a, N.Inverse):
                return a.children[0]
            return N.Inverse(a)
        if isinstance(node, N.Det) and isinstance(kids[0], N.Inverse):
            return A.div(N.Const(1), N.Det(kids[0].children[0]))
        if isinstance(node, N.Softmax | N.LogSoftmax | N.LogSumExp | N.Norm2):
            folded = _of_constant(node, kids[0])
            if folded is not None:
                return folded
        if isinstance(node, N.Trace):
            return self._trace(kids[0])
        if isinstance(node, N.Sum):
            return self._sum(kids[0])
        return node if kids == node.children else node.rebuild(kids)

    def _trace(self, a: N.Node) -> N.Node:
        if isinstance(a, N.Identity):
            return N.Const(a.shape[0])
        c, rest = A.split_coefficient(a)
        if c != 1:
            return A.scale(c, self._trace(rest))
        if isinstance(a, N.Mul):
            scalars = [f for f in a.children if f.is_scalar]
            arrays = [f for f in a.children if not f.is_scalar]
            if scalars and len(arrays) == 1:
                return self.tidy(A.mul(*scalars, self._trace(arrays[0])))
        return N.Trace(a)

    def _sum(self, a: N.Node) -> N.Node:
        if isinstance(a, N.Softmax):
            return N.Const(1)
        if isinstance(a, N.Mul):
            eyes = [f for f in a.children if isinstance(f, N.Identity)]
            if len(eyes) == 1:  # Σ(I ∘ B) = tr(B)
                rest = [f for f in a.children if f is not eyes[0]]
                scalars = [f for f in rest if f.is_scalar]
                arrays = [f for f in rest if not f.is_scalar]
                body = A.mul(*arrays) if arrays else N.Identity(eyes[0].shape[0])
                return self.tidy(
                    A.mul(*scalars, self._trace(body)) if scalars else self._trace(body)
                )
        return A.sum_(a)

    def _matmul(self, a: N.Node, b: N.Node) -> N.Node:
        if S.is_row(a.shape) and S.is_column(b.shape):  # aᵀb = Σ(a ∘ b) when that cancels
            inner = self.tidy(A.mul(A.transpose(a), b))
            as_sum = self._sum(inner)
            plain = A.matmul(a, b)
            if _size(as_sum) < _size(plain):
                return as_sum
            return plain
        chain = [*_chain(a), *_chain(b)]
        factors = _cancel_chain(chain)
        if factors == chain:
            # Nothing cancelled: keep the product's own grouping, 𝟏 (𝟏ᵀ Y) and not (𝟏 𝟏ᵀ) Y,
            # which would build an n×n matrix of ones.
            return A.matmul(a, b)
        if not factors:
            return N.Identity(a.shape[0])
        out = factors[0]
        for f in factors[1:]:
            out = A.matmul(out, f)
        return out


def _explicit_ones(node: N.Node) -> N.Node:
    """(Σu) 𝟏 + u, not Σu + u: a scalar that is not a number keeps its 𝟏 where it is added to
    an array (SymPy reads 𝟏 as 1, so a cluster's shortest form would drop it)."""
    if not isinstance(node, _ELEMENTWISE):
        return node
    kids = [_explicit_ones(c) for c in node.children]
    if isinstance(node, N.Add) and not node.is_scalar:
        for k, term in enumerate(kids):
            if term.is_scalar and not isinstance(term, N.Const):
                c, rest = A.split_coefficient(term)
                kids[k] = A.scale(c, N.Mul(rest, N.Ones(node.shape)))
    return node if tuple(kids) == node.children else node.rebuild(tuple(kids))


def _constant_entries(node: N.Node) -> sp.Expr | None:
    """c when every entry of ``node`` is the number c (0, 𝟏, c𝟏), else None."""
    if isinstance(node, N.Zeros):
        return sp.Integer(0)
    c, rest = A.split_coefficient(node)
    return c if isinstance(rest, N.Ones) else None


def _of_constant(node: N.Node, arg: N.Node) -> N.Node | None:
    """A vector function of a constant vector c𝟏 (what x − x leaves) as the constant it is:
    softmax(c𝟏) = 𝟏/n, log softmax(c𝟏) = −log(n) 𝟏, logsumexp(c𝟏) = c + log n,
    ‖c𝟏‖ = |c|√n. Left as built, softmax(0) would read as the softmax of the number 0."""
    c = _constant_entries(arg)
    if c is None:
        return None
    n = sp.Mul(*arg.shape)
    if isinstance(node, N.Softmax):
        return A.div(N.Ones(arg.shape), N.Const(n))
    if isinstance(node, N.LogSoftmax):
        return A.scale(-sp.log(n), N.Ones(arg.shape))
    if isinstance(node, N.LogSumExp):
        return N.Const(c + sp.log(n))
    return N.Const(sp.Abs(c) * sp.sqrt(n))


def _may_cancel(node: N.Node) -> bool:
    """Worth asking SymPy: a quotient, a root, or an atom that occurs twice.
    (u ∘ (1 − tanh²(z)) has none, and a deep network's δs are all like it.)"""
    seen: set[N.Node] = set()
    for n in N.walk_all(node):
        if isinstance(n, N.Div | N.Ones) or (isinstance(n, N.Apply) and n.fn == "sqrt"):
            return True
        if not isinstance(n, (*_ELEMENTWISE, N.Const)):
            if n in seen:
                return True
            seen.add(n)
    return False


def _is_root(node: N.Node) -> bool:
    """√(·): the program's σ = √v is written σ wherever √v recurs, as a textbook does (the
    square root's own derivative, 1/(2√v), and a normalisation's backward pass)."""
    return isinstance(node, N.Apply) and node.fn == "sqrt"


def _is_gram(node: N.Node) -> bool:
    return (
        isinstance(node, N.MatMul)
        and S.is_column(node.children[1].shape)
        and node.children[0] == A.transpose(node.children[1])
    )


def _const_above(c: N.Node, d: N.Node) -> bool:
    return (
        isinstance(c, N.Const)
        and isinstance(d, N.Const)
        and c.value.is_number
        and d.value.is_number
        and bool(c.value > d.value)
    )


def _finite(node: N.Node) -> bool:
    """No constant folded to ±∞ or NaN (x/(x − x)): such a result is left as built."""
    return not any(
        isinstance(n, N.Const) and n.value.has(sp.zoo, sp.oo, -sp.oo, sp.nan) for n in N.walk(node)
    )


def _chain(node: N.Node) -> list[N.Node]:
    if isinstance(node, N.MatMul):
        return [*_chain(node.children[0]), *_chain(node.children[1])]
    return [node]


def _inverse_pair(a: N.Node, b: N.Node) -> bool:
    """a b = I: M⁻¹M, MM⁻¹, M⁻ᵀMᵀ, MᵀM⁻ᵀ."""

    def inv_of(x: N.Node) -> N.Node | None:
        if isinstance(x, N.Inverse):
            return x.children[0]
        if isinstance(x, N.Transpose) and isinstance(x.children[0], N.Inverse):
            return A.transpose(x.children[0].children[0])
        return None

    return inv_of(a) == b or inv_of(b) == a


def _cancel_chain(factors: list[N.Node]) -> list[N.Node]:
    """Cancel M⁻¹M pairs, and read 𝟏ᵀ diag(v) as vᵀ and diag(v) 𝟏 as v."""
    out: list[N.Node] = []
    for f in factors:
        if out and _inverse_pair(out[-1], f):
            out.pop()
        elif (
            out
            and isinstance(out[-1], N.Ones)
            and S.is_row(out[-1].shape)
            and isinstance(f, N.Diag)
        ):
            out[-1] = A.transpose(f.children[0])
        elif out and isinstance(out[-1], N.Diag) and isinstance(f, N.Ones) and S.is_column(f.shape):
            out[-1] = out[-1].children[0]
        else:
            out.append(f)
    return out


def _cancel_then_factor(expr: sp.Expr) -> sp.Expr:
    return sp.factor_terms(sp.cancel(expr))


def _candidates(expr: sp.Expr) -> list[sp.Expr]:
    out = [expr]
    for transform in (sp.cancel, sp.factor_terms, sp.together, _cancel_then_factor):
        try:
            out.append(transform(expr))
        except (sp.PolynomialError, TypeError, ValueError):  # pragma: no cover
            continue
    return out


def program_names(definitions: list) -> dict[N.Node, N.Node]:
    """Each intermediate's defining expression -> its name (only non-trivial bodies)."""
    return {d.node: d.ref for d in definitions if d.node.children}


def tidy_backward(bw: Backward, program: TypedProgram) -> None:
    """Tidy every adjoint, then inline the δs that do not pay for their names."""
    tidy = Tidy(program_names(program.definitions))
    bw.definitions = [Definition(d.name, tidy(d.node)) for d in bw.definitions]
    bw.adjoints = {k: tidy(v) for k, v in bw.adjoints.items()}
    inline_deltas(bw, program)


def inline_deltas(bw: Backward, program: TypedProgram) -> None:
    """Inline a δ wherever that makes the whole result shorter (δ_ŷ = −y/ŷ disappears into
    δ = (Σy) ŷ − y; the lecture's δ = u ∘ f′(z), used three times, stays). No δ is renamed,
    so the names that remain are the same whatever ``wrt`` is."""
    tidy = Tidy(program_names(program.definitions))
    uses = Counter(
        n.name
        for root in [*bw.adjoints.values(), *(d.node for d in bw.definitions)]
        for n in N.walk_all(root)
        if isinstance(n, N.Var) and n.role == "adjoint"
    )
    own = {v.name for k, v in bw.adjoints.items() if isinstance(v, N.Var) and k not in bw.meanings}
    for name in [d.name for d in bw.definitions]:
        d = next(e for e in bw.definitions if e.name == name)  # its current body
        # The δ of the program's own intermediate keeps its name even when used once, if
        # only a scale uses it: attention's Δ_S stays, and Δ₁ = Δ_S/√d, as textbooks name dS.
        scaled_once = uses[d.name] <= 1 and not (d.name in own and _scaled_elsewhere(bw, d))
        small = _size(d.node) <= 6 or scaled_once
        # A constant δ (1, 𝟏, 0 once tidied) is never a definition: "δ = 1" names nothing.
        constant = not N.free_vars(d.node)
        if not small and not any(isinstance(n, N.Div) for n in N.walk(d.node)):
            continue  # only a short or single-use δ, or a quotient (−y/ŷ), pays for inlining
        ref = N.Var(d.name, d.node.shape, "adjoint")
        users = [e.name for e in bw.definitions if e.name != d.name and ref in N.walk(e.node)]
        keys = [k for k, v in bw.adjoints.items() if ref in N.walk(v)]
        if not users and not keys and not constant:
            continue
        bodies = {e.name: e.node for e in bw.definitions}
        old = _size(d.node) + sum(_size(bodies[u]) for u in users)
        old += sum(_size(bw.adjoints[k]) for k in keys)
        new_defs = {u: tidy(N.substitute(bodies[u], {ref: d.node})) for u in users}
        new_adj = {k: tidy(N.substitute(bw.adjoints[k], {ref: d.node})) for k in keys}
        new = sum(map(_size, new_defs.values())) + sum(map(_size, new_adj.values()))
        if new >= old and not constant:
            continue
        bw.definitions = [
            Definition(e.name, new_defs.get(e.name, e.node))
            for e in bw.definitions
            if e.name != d.name
        ]
        bw.adjoints.update(new_adj)
        bw.meanings.pop(d.name, None)
        bw.order = [k for k in bw.order if k != d.name]


def _scaled_elsewhere(bw: Backward, d: Definition) -> bool:
    """Whether the one use of δ ``d`` is a number times it (c Δ or Δ/c)."""
    ref = N.Var(d.name, d.node.shape, "adjoint")
    for e in [*bw.definitions, *(Definition(k, v) for k, v in bw.adjoints.items())]:
        if e.name == d.name:
            continue
        c, rest = A.split_coefficient(e.node)
        if rest == ref and c != 1:
            return True
        if isinstance(e.node, N.Div) and e.node.children[0] == ref:
            return e.node.children[1].is_scalar
    return False


def prune(bw: Backward, wrt: list[str], program: TypedProgram) -> None:
    """Keep the gradients of ``wrt`` and the δs they (or the steps along them) refer to."""
    inputs = set(program.inputs)
    live = depends(program.definitions, set(wrt))
    bw.adjoints = {k: v for k, v in bw.adjoints.items() if (k in wrt if k in inputs else k in live)}
    roots = list(bw.adjoints.values())
    bodies = {d.name: d.node for d in bw.definitions}
    needed: set[str] = set()
    frontier = [n for r in roots for n in N.free_vars(r) if n in bodies]
    while frontier:
        name = frontier.pop()
        if name not in needed:
            needed.add(name)
            frontier.extend(n for n in N.free_vars(bodies[name]) if n in bodies)
    bw.definitions = [d for d in bw.definitions if d.name in needed]
    bw.meanings = {k: v for k, v in bw.meanings.items() if k in needed}
    bw.order = [k for k in bw.order if k in needed or k not in bodies]
