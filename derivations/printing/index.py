"""Index notation: the (r, c) entry of a matrix expression, as a textbook writes it.

The node is turned into a SymPy scalar expression over indexed symbols, Kronecker deltas and
sums; sums over a delta are contracted (Σ_k A_ik 𝟙[k = j] = A_ij); SymPy's LaTeX printer, with
textbook names, prints it. This gives ∂z_i/∂W_jk = 𝟙[i = j] x_k for every pair that has no matrix
form, and the entrywise reading of every matrix form.
"""

from __future__ import annotations

import hashlib
import itertools
import re

import sympy as sp
from sympy.printing.latex import LatexPrinter as _SympyLatex

from ..expr import nodes as N
from ..expr import shapes as S
from ..ops.registry import MissingOp, function_spec, node_spec
from .latex import LatexPrinter, latex_number
from .names import latex_name


class _Opaque(sp.Symbol):
    """A scalar printed verbatim (det(X), or an entry of a compound like (X⁻¹)_ij)."""

    def __new__(cls, text: str) -> _Opaque:
        # A digest, not hash(): str hashes change per process, and the symbol's name decides where
        # SymPy puts it in a product, so hash() made the printed order vary from run to run.
        obj = super().__new__(cls, "opaque" + hashlib.sha1(text.encode()).hexdigest()[:16])
        obj.text = text
        return obj

    def _latex(self, printer: object, exp: str | None = None) -> str:
        if not exp:
            return self.text
        simple = re.fullmatch(r"[A-Za-z]|\\[A-Za-z]+|[A-Za-z]_\{[^{}]*\}", self.text)
        base = self.text if simple else rf"\left({self.text}\right)"
        return f"{base}^{{{exp}}}"


class _Entry(sp.Function):
    """base[indices] of a named array, printed W_{ij} (plain, as in the lecture)."""

    nargs = (2, 3)

    def _latex(self, printer: _SympyLatex, exp: str | None = None) -> str:
        parts = [printer.doprint(a) for a in self.args[1:]]
        # W_{ij} for plain indices; W_{y + 1,i} once one is an expression (W_{y + 1i} misreads).
        idx = ("".join if all(a.is_Symbol for a in self.args[1:]) else ",".join)(parts)
        power = f"^{{{exp}}}" if exp else ""
        return subscript(self.args[0].text, idx) + power


def _has_delta(node: N.Node) -> bool:
    """Does the node hold a basis vector or identity, whose sums contract away?"""
    return any(isinstance(n, N.Basis | N.Identity) for n in N.walk(node))


def subscript(base: str, idx: str) -> str:
    """h_{1} at index j is h_{1,j} (never the invalid h_{1}_{j}); W at ij is W_{ij}."""
    if not idx:
        return base
    m = re.fullmatch(r"(.+?)_\{((?:[^{}]|\{[^{}]*\})*)\}", base)
    if m:
        return f"{m.group(1)}_{{{m.group(2)},{idx}}}"
    if base.startswith(r"\left(") or "_" not in base:
        return f"{base}_{{{idx}}}"
    return f"{{{base}}}_{{{idx}}}"


class _Fn(sp.Function):
    """f(x) for an elementwise function, printed in the LaTeX printer's textbook form."""

    def _latex(self, printer: _SympyLatex, exp: str | None = None) -> str:
        name = self.args[0].text
        args = ", ".join(printer.doprint(a) for a in self.args[1:])
        power = f"^{{{exp}}}" if exp else ""
        return f"{name}{power}\\left({args}\\right)"


class _Indicator(sp.Function):
    """𝟙[a > b] (third argument 0) or 𝟙[a ≥ b] (1): a function of its arguments, so that sums
    over an index inside it stay sums (an opaque symbol made Σ_k 𝟙[x_k > a] read n·𝟙[x_k > a])."""

    nargs = 3

    def _latex(self, printer: _SympyLatex, exp: str | None = None) -> str:
        a, b, ge = self.args
        rel = r"\geq" if ge == 1 else ">"
        text = rf"\mathbb{{1}}\left[{printer.doprint(a)} {rel} {printer.doprint(b)}\right]"
        return rf"\left({text}\right)^{{{exp}}}" if exp else text


class _Printer(_SympyLatex):
    """SymPy's printer with an unmistakable Kronecker delta 𝟙[i = j] and factors in index order
    (𝟙[i = j] x_k, not x_k 𝟙[i = j])."""

    def _print_KroneckerDelta(self, expr: sp.KroneckerDelta, exp: object = None) -> str:
        # 𝟙[i = j], never δ_ij: δ is the lecture's error signal (δ_i is an entry of δ).
        i, j = sorted(self._print(a) for a in expr.args)
        return rf"\mathbb{{1}}\left[{i} = {j}\right]"

    def _print_Pow(self, expr: sp.Pow) -> str:
        # A positive or symbolic power of an opaque scalar brackets it unless it is one letter:
        # (Σ sin(x))^{n − 1}, never Σ sin(x)^{n − 1} (which reads as a sum of powers).
        whole = expr.exp.is_Integer and expr.exp > 0 or not expr.exp.is_number
        if isinstance(expr.base, _Opaque) and whole:
            return expr.base._latex(self, exp=self._print(expr.exp))
        return super()._print_Pow(expr)

    def _print_Integer(self, expr: sp.Integer) -> str:
        return latex_number(expr) if abs(expr.p) >= 10**12 else str(expr.p)

    def _print_Rational(self, expr: sp.Rational) -> str:
        if abs(expr.p) >= 10**12 or expr.q >= 10**4:  # 10^{-5}, never \frac{1}{100000}
            return latex_number(expr)
        return super()._print_Rational(expr)

    def _print_Mul(self, expr: sp.Mul) -> str:
        coeff, factors = expr.as_coeff_mul()
        if coeff < 0:
            return "- " + self._print(-expr)
        if any(f.is_Pow and f.exp.is_negative for f in factors) or not factors:
            return super()._print_Mul(expr)

        def key(f: sp.Expr) -> tuple[int, str]:
            if isinstance(f, sp.KroneckerDelta):
                return (0, "")
            if isinstance(f, _Entry):
                return (2, "".join(str(a) for a in f.args[1:]))
            return (1, "")

        parts = []
        ordered = sorted(factors, key=key)
        for i, f in enumerate(ordered):
            text = self._print(f)
            # Σ y written before more factors would swallow them: (Σ y) softmax(z)_i.
            loose = isinstance(f, _Opaque) and f.text.startswith("\\sum") and i < len(ordered) - 1
            parts.append(rf"\left({text}\right)" if f.is_Add or loose else text)
        head = "" if coeff == 1 else self._print(coeff) + " "
        return head + " ".join(parts)


class IndexBuilder:
    def __init__(self, names: dict[str, str], used: set[str]) -> None:
        self.names = names
        self.latex = LatexPrinter(names)
        # The free indices' ranges (1, size): Σ_k 𝟙[k = j] contracts only where k's range is j's.
        self.ranges: dict[sp.Symbol, tuple] = {}
        self.letters = (
            c
            for c in itertools.chain("klpqrstabcuvw", (f"k_{{{i}}}" for i in itertools.count(1)))
            if c not in used
        )

    def fresh(self) -> sp.Symbol:
        """A summation index no free index or dimension uses."""
        return sp.Symbol(next(self.letters), integer=True)

    def entry(self, node: N.Node, r: sp.Expr, c: sp.Expr) -> sp.Expr:
        spec = node_spec(node)
        if spec.structural:
            return getattr(self, f"_e_{type(node).__name__}")(node, r, c)
        if spec.index == "opaque":  # the entry of the printed op: (X^{-1})_{ij}
            return self._opaque_entry(node, r, c)
        if spec.index is None:
            raise MissingOp(f"the registry entry of {spec.key} has no index form")
        return spec.index(self, node, r, c)

    # -- what a registry index form may use -------------------------------------------------

    def opaque(self, node: N.Node, r: sp.Expr, c: sp.Expr) -> sp.Expr:
        return self._opaque_entry(node, r, c)

    def parts(self, expr: sp.Expr) -> tuple[sp.Expr, list[tuple]]:
        return _parts(expr)

    def contract(self, body: sp.Expr, limits: list[tuple]) -> sp.Expr:
        return contract_sum(body, limits, self.ranges)

    def has_delta(self, node: N.Node) -> bool:
        return _has_delta(node)

    def indicator(self, a: sp.Expr, b: sp.Expr, ge: bool) -> sp.Expr:
        return _Indicator(a, b, sp.Integer(ge))

    # -- helpers ---------------------------------------------------------------------------

    def _named(self, text: str, node: N.Node, r: sp.Expr, c: sp.Expr) -> sp.Expr:
        if node.is_scalar:
            return _Opaque(text)
        base = _Opaque(text)
        if S.is_column(node.shape):
            return _Entry(base, r)
        if S.is_row(node.shape):
            return _Entry(base, c)
        return _Entry(base, r, c)

    def _opaque_entry(self, node: N.Node, r: sp.Expr, c: sp.Expr) -> sp.Expr:
        text, prec = self.latex.print(node)
        if not (isinstance(node, N.Var) or prec >= 100) and not node.is_scalar:
            text = rf"\left({text}\right)"
        return self._named(text, node, r, c)

    # -- leaves ----------------------------------------------------------------------------

    def _e_Var(self, node: N.Var, r: sp.Expr, c: sp.Expr) -> sp.Expr:
        return self._named(self.latex.name(node.name), node, r, c)

    def _e_Const(self, node: N.Const, r: sp.Expr, c: sp.Expr) -> sp.Expr:
        return node.value

    def _e_Zeros(self, node: N.Node, r: sp.Expr, c: sp.Expr) -> sp.Expr:
        return sp.Integer(0)

    def _e_Ones(self, node: N.Node, r: sp.Expr, c: sp.Expr) -> sp.Expr:
        return sp.Integer(1)

    def _e_Identity(self, node: N.Node, r: sp.Expr, c: sp.Expr) -> sp.Expr:
        return sp.KroneckerDelta(r, c)

    def _e_Basis(self, node: N.Basis, r: sp.Expr, c: sp.Expr) -> sp.Expr:
        return sp.KroneckerDelta(sp.Symbol(node.index, integer=True), r)

    # -- elementwise -----------------------------------------------------------------------

    def _at(self, child: N.Node, r: sp.Expr, c: sp.Expr) -> sp.Expr:
        one = sp.Integer(1)
        return self.entry(child, one, one) if child.is_scalar else self.entry(child, r, c)

    def _e_Add(self, node: N.Node, r: sp.Expr, c: sp.Expr) -> sp.Expr:
        return sp.Add(*(self._at(t, r, c) for t in node.children))

    def _e_Neg(self, node: N.Node, r: sp.Expr, c: sp.Expr) -> sp.Expr:
        return -self._at(node.children[0], r, c)

    def _e_Mul(self, node: N.Node, r: sp.Expr, c: sp.Expr) -> sp.Expr:
        return sp.Mul(*(self._at(f, r, c) for f in node.children))

    def _e_Div(self, node: N.Node, r: sp.Expr, c: sp.Expr) -> sp.Expr:
        a, b = node.children
        return self._at(a, r, c) / self._at(b, r, c)

    def _e_Apply(self, node: N.Apply, r: sp.Expr, c: sp.Expr) -> sp.Expr:
        args = [self._at(a, r, c) for a in node.children]
        form = function_spec(node.fn).index_form
        if isinstance(form, str):  # a head: \tanh(z_i)
            return _Fn(_Opaque(form), *args)
        return form(self, node, args)

    # -- products --------------------------------------------------------------------------

    def _e_MatMul(self, node: N.Node, r: sp.Expr, c: sp.Expr) -> sp.Expr:
        a, b = node.children
        inner = a.shape[1]
        if inner == 1:
            return self.entry(a, r, sp.Integer(1)) * self.entry(b, sp.Integer(1), c)
        k = self.fresh()
        left, left_limits = _parts(self.entry(a, r, k))
        right, right_limits = _parts(self.entry(b, k, c))
        return self.contract(left * right, [*left_limits, *right_limits, (k, 1, inner)])

    def _e_Transpose(self, node: N.Node, r: sp.Expr, c: sp.Expr) -> sp.Expr:
        return self.entry(node.children[0], c, r)


class _SafePrinter(_Printer):
    pass


def _parts(expr: sp.Expr) -> tuple[sp.Expr, list[tuple]]:
    """A sum's body and limits (nested sums flattened), or the expression and no limits."""
    limits: list[tuple] = []
    while isinstance(expr, sp.Sum):
        limits = [*expr.limits, *limits]
        expr = expr.function
    return expr, limits


def _delta_for(term: sp.Expr, k: sp.Symbol, span: tuple, ranges: dict) -> sp.KroneckerDelta | None:
    """A δ(k, j) that the sum over k (``span`` = (lo, hi)) contracts: never one whose j is known
    to range otherwise (Σ_{k=1}^{2} 𝟙[k = j] is 𝟙[j ≤ 2] for j up to n, not 1)."""
    for f in sp.Mul.make_args(term):
        if isinstance(f, sp.KroneckerDelta) and k in f.args and f.args[0] != f.args[1]:
            other = f.args[1] if f.args[0] == k else f.args[0]
            known = ranges.get(other)
            if known is None or all(
                sp.simplify(a - b) == 0 for a, b in zip(known, span, strict=True)
            ):
                return f
    return None


def contract_sum(body: sp.Expr, limits: list[tuple], ranges: dict | None = None) -> sp.Expr:
    """Σ over ``limits`` of ``body``, eliminating every index that meets a Kronecker delta.

    Terms are expanded only where a delta hides inside a bracket, so that factors such as
    (1 − tanh²(z_i)) stay intact. ``ranges`` are the free indices' (1, size).
    """
    ranges = {**(ranges or {}), **{k: (lo, hi) for k, lo, hi in limits}}
    out = []
    for term in sp.Add.make_args(body):
        remaining = []
        contracted = []  # limits a delta already eliminated: never summed again (a factor n)
        for k, lo, hi in limits:
            delta = _delta_for(term, k, (lo, hi), ranges)
            if delta is None and any(
                isinstance(d, sp.KroneckerDelta) and k in d.args
                for d in term.atoms(sp.KroneckerDelta)
            ):
                expanded = sp.expand(term)
                if expanded != term:
                    rest = [lim for lim in limits if lim not in remaining + contracted]
                    out.append(_wrap(contract_sum(expanded, rest, ranges), remaining))
                    term = None
                    break
            if delta is None:
                remaining.append((k, lo, hi))
                continue
            contracted.append((k, lo, hi))
            other = delta.args[1] if delta.args[0] == k else delta.args[0]
            rest_factors = [f for f in sp.Mul.make_args(term) if f is not delta]
            term = sp.Mul(*rest_factors).xreplace({k: other})
        if term is None:
            continue
        out.append(_wrap(term, remaining))
    return sp.Add(*out)


def _wrap(term: sp.Expr, limits: list[tuple]) -> sp.Expr:
    kept = [lim for lim in limits if term.has(lim[0])]
    for k, lo, hi in limits:
        if (k, lo, hi) not in kept:
            term = term * (hi - lo + 1)
    return sp.Sum(term, *kept) if kept else term


def index_latex(
    node: N.Node,
    indices: tuple[str, ...],
    names: dict[str, str] | None = None,
    reserved: set[str] = frozenset(),
) -> str:
    """LaTeX of the entry of ``node`` at the given index letters (0, 1 or 2 of them)."""
    # Summation indices never reuse a free index, a dimension or a variable's name.
    used = set(indices) | {str(s) for d in _dims(node) for s in d.free_symbols}
    used |= N.free_vars(node) | set(reserved)
    used |= {n.index for n in N.walk(node) if isinstance(n, N.Basis)}
    builder = IndexBuilder(names or {}, used)
    syms = [sp.Symbol(i, integer=True) for i in indices]
    one = sp.Integer(1)
    if S.is_scalar(node.shape):
        r, c = one, one
    elif S.is_column(node.shape):
        r, c = syms[0], one
    elif S.is_row(node.shape):
        r, c = one, syms[0]
    else:
        r, c = syms[0], syms[1]
    builder.ranges = {s: (one, n) for s, n in zip((r, c), node.shape, strict=True) if s != one}
    expr = builder.entry(node, r, c)
    printer = _Printer({"mul_symbol": None})
    text = printer.doprint(expr)
    collected = _collect_sums(expr)
    if collected is not None:
        shorter = printer.doprint(collected)
        if len(shorter) < len(text):
            return shorter
    return text


def _collect_sums(expr: sp.Expr) -> sp.Expr | None:
    """Σ_k a_k + Σ_k b_k + c as one sum over the shared denominator, (c − Σ_k (…))/σ: the
    layer norm's gradient reads (u_i − (1/n) Σ_k (v_i v_k + 1) u_k)/σ, not three terms each
    over n σ. None when no two sums share their limits (then nothing is collected)."""
    if not isinstance(expr, sp.Add):
        return None
    groups: dict[tuple, list[sp.Expr]] = {}
    rest: list[sp.Expr] = []
    for term in expr.args:
        if isinstance(term, sp.Sum):
            groups.setdefault(term.limits, []).append(term.function)
        else:
            rest.append(term)
    if all(len(bodies) < 2 for bodies in groups.values()):
        return None
    sums = [sp.Sum(sp.factor_terms(sp.Add(*bodies)), *limits) for limits, bodies in groups.items()]
    return sp.factor_terms(sp.Add(*sums, *rest))


def label_cases(
    node: N.Node, indices: tuple[str, ...], labels: list[str], names: dict[str, str] | None = None
) -> list[tuple[str, str]]:
    """The lecture's Tip 3: an index form with δ_{iy} (y a class label) split into its two
    cases, i = y + 1 and i ≠ y + 1, each with δ set to 1 and to 0. Empty when there is none."""
    matrix = len(indices) == 2 and S.is_matrix(node.shape)  # ∂J/∂W_ij: the cases of row i
    if not matrix and (len(indices) != 1 or not S.is_vector(node.shape)):
        return []
    used = set(indices) | {str(s) for d in _dims(node) for s in d.free_symbols}
    builder = IndexBuilder(names or {}, used)
    i = sp.Symbol(indices[0], integer=True)
    one = sp.Integer(1)
    if matrix:
        expr = builder.entry(node, i, sp.Symbol(indices[1], integer=True))
    else:
        expr = builder.entry(node, *((i, one) if S.is_column(node.shape) else (one, i)))
    printer = _Printer({"mul_symbol": None})
    for label in labels:
        # Positions count from 1 and a label y from 0 (a NumPy index): class y is entry y + 1.
        y = sp.Symbol(builder.latex.name(label), integer=True) + 1
        delta = sp.KroneckerDelta(i, y)
        if expr.has(delta):
            i_tex, y_tex = printer.doprint(i), printer.doprint(y)
            return [
                (f"{i_tex} = {y_tex}", printer.doprint(expr.subs(delta, 1))),
                (rf"{i_tex} \neq {y_tex}", printer.doprint(expr.subs(delta, 0))),
            ]
    return []


def _dims(node: N.Node) -> list[sp.Expr]:
    return [d for n in N.walk(node) for d in n.shape]


def partial_lhs(
    output: str,
    out_indices: tuple[str, ...],
    var: str,
    var_indices: tuple[str, ...],
    order: int = 1,
) -> str:
    """∂s/∂W_{ij}, ∂z_{i}/∂W_{jk}, or ∂²s/∂W_{ij}∂W_{kl} (``order`` 2 splits var indices)."""
    out = subscript(output, "".join(out_indices))
    if order == 1:
        v = subscript(var, "".join(var_indices))
        return rf"\frac{{\partial {out}}}{{\partial {v}}}"
    half = len(var_indices) // 2
    first, second = var_indices[:half], var_indices[half:]
    v1 = subscript(var, "".join(first))
    v2 = subscript(var, "".join(second))
    if v1 == v2:
        return rf"\frac{{\partial^{{2}} {out}}}{{\partial {v1}^{{2}}}}"
    return rf"\frac{{\partial^{{2}} {out}}}{{\partial {v1} \, \partial {v2}}}"


def var_latex(name: str, names: dict[str, str] | None = None) -> str:
    return (names or {}).get(name) or latex_name(name)
