"""Textbook LaTeX: the structural ops here, every other op from its registry entry's ``latex``.

Conventions: ∘ for the Hadamard product, juxtaposition for matrix products and scaling,
X^{-T} for the inverse transpose, \\tanh^{2}(z) for powers of function applications,
𝟙[z > 0] for indicators, σ for the logistic function. Never a library internal.
"""

from __future__ import annotations

import mpmath
import sympy as sp

from ..expr import nodes as N
from ..expr import shapes as S
from ..ops.registry import MissingOp, function_spec, node_spec
from ..ops.spec import ADD, ATOM, MUL, POW, UNARY
from .names import latex_name

# Binding strength: a child printed inside a parent with higher precedence gets parentheses.
__all__ = ["ADD", "ATOM", "MUL", "POW", "UNARY", "LatexPrinter", "latex", "latex_number"]


def latex_number(value: sp.Expr) -> str:
    if value.is_Rational and (abs(value.p) >= 10**12 or value.q >= 10**12):
        return _scientific(value)
    if value.is_Rational and abs(value.p) == 1 and value.q >= 10**4 and _power_of_ten(value.q):
        return ("-" if value < 0 else "") + f"10^{{-{len(str(value.q)) - 1}}}"  # ε = 10⁻⁵
    if isinstance(value, sp.Rational) and value.q != 1:
        sign = "-" if value < 0 else ""
        return rf"{sign}\frac{{{abs(value.p)}}}{{{value.q}}}"
    if value.is_Integer:
        return str(value)
    if value.is_Float:
        return f"{float(value):g}"
    if isinstance(value, sp.log) and value.args[0].is_Rational:
        return rf"\log {latex_number(value.args[0])}"
    return sp.latex(value)


def _power_of_ten(q: int) -> bool:
    return str(q).rstrip("0") == "1"


def _scientific(value: sp.Expr) -> str:
    """1e300 as 10^{300}, 2.5e-20 as 2.5 \\times 10^{-20}: never a 300-digit integer (and no
    float overflow: the exponent is taken from the exact value)."""
    x = mpmath.mpf(value.p) / value.q
    if x != 0 and mpmath.mpf("1e-4") <= abs(x) < mpmath.mpf("1e6"):
        return f"{float(x):.6g}"  # an ordinary size, only written with a huge denominator
    text = mpmath.nstr(x, 7, min_fixed=0, max_fixed=0)
    mantissa, _, exponent = text.partition("e")
    exponent = exponent or "0"
    mantissa = mantissa.rstrip("0").rstrip(".")
    power = f"10^{{{int(exponent)}}}"
    if mantissa in ("1", "-1"):
        return ("-" if mantissa == "-1" else "") + power
    return rf"{mantissa} \times {power}"


class LatexPrinter:
    def __init__(self, names: dict[str, str] | None = None) -> None:
        # Display names for identifiers (the derivation renames a lone δ_z to δ, etc.).
        self.names = names or {}
        # Each distinct tree is printed once: a result shows the same δ or link in many
        # places (every variable's steps repeat the backward pass), so rendering stays linear.
        self._printed: dict[N.Node, tuple[str, int]] = {}
        self._named: dict[str, str] = {}

    def name(self, identifier: str) -> str:
        known = self.names.get(identifier) or self._named.get(identifier)
        if known is None:
            known = self._named[identifier] = latex_name(identifier)
        return known

    def doprint(self, node: N.Node) -> str:
        return self.print(node)[0]

    def print(self, node: N.Node) -> tuple[str, int]:
        done = self._printed.get(node)
        if done is not None:
            return done
        spec = node_spec(node)
        if spec.structural:
            done = getattr(self, _STRUCTURAL[type(node)])(node)
        elif spec.latex is None:
            raise MissingOp(f"the registry entry of {spec.key} has no LaTeX form")
        else:
            done = spec.latex(self, node)
        self._printed[node] = done
        return done

    def wrap(self, node: N.Node, level: int) -> str:
        text, prec = self.print(node)
        return rf"\left({text}\right)" if prec < level else text

    # -- leaves ----------------------------------------------------------------------------

    def _print_Var(self, node: N.Var) -> tuple[str, int]:
        return self.name(node.name), ATOM

    def _print_Const(self, node: N.Const) -> tuple[str, int]:
        text = latex_number(node.value)
        if node.value.is_number and node.value < 0:
            return text, ADD
        if node.value.is_Mul and node.value.could_extract_minus_sign() and (-node.value).is_Symbol:
            return f"-{latex_number(-node.value)}", UNARY  # -n 𝟏, not (- n) 𝟏
        # \frac{1}{n} needs no brackets; log 2 and other non-rational numbers do.
        atomic = (
            node.value.is_Rational
            or node.value.is_Float
            or node.value.is_Symbol  # a size: n 𝟏, not (n) 𝟏
            or text.startswith(r"\frac")
        )
        return text, ATOM if atomic else MUL

    def _print_Zeros(self, node: N.Zeros) -> tuple[str, int]:
        return "0", ATOM

    def _print_Ones(self, node: N.Ones) -> tuple[str, int]:
        # 𝟏 is a column, a row of ones its transpose, and a matrix of ones the outer product
        # 𝟏𝟏ᵀ (a bare 𝟏 for a matrix reads as a vector: 𝟏 − 𝟏𝟏ᵀ looked like a shape error).
        if S.is_row(node.shape):
            return r"\mathbf{1}^{T}", POW
        if S.is_matrix(node.shape):
            return r"\mathbf{1} \mathbf{1}^{T}", MUL
        return r"\mathbf{1}", ATOM

    def _print_Identity(self, node: N.Identity) -> tuple[str, int]:
        return "I", ATOM

    def _print_Basis(self, node: N.Basis) -> tuple[str, int]:
        return f"e_{{{node.index}}}", ATOM

    # -- elementwise -----------------------------------------------------------------------

    def _print_Add(self, node: N.Add) -> tuple[str, int]:
        parts: list[str] = []
        for i, term in enumerate(node.children):
            if isinstance(term, N.Neg):
                body = self.wrap(term.children[0], MUL)
                parts.append(f"- {body}" if i else f"-{body}")
            elif isinstance(term, N.Const) and term.value < 0 and i > 0:
                parts.append(f"- {latex_number(-term.value)}")
            else:
                text = self.wrap(term, ADD + 1)
                parts.append(text if i == 0 else f"+ {text}")
        return " ".join(parts), ADD

    def _print_Neg(self, node: N.Neg) -> tuple[str, int]:
        # As loose as a sum: a ∘ (−x) and xᵀ(−y) get brackets, never "a -x".
        return f"-{self.wrap(node.children[0], MUL)}", ADD

    def _print_Mul(self, node: N.Mul) -> tuple[str, int]:
        # ⅓ · a/b is written as one fraction, a/(3b): no bracketed \frac{1}{3} in front.
        if (
            len(node.children) == 2
            and isinstance(node.children[0], N.Const)
            and node.children[0].value.is_Rational
            and node.children[0].value > 0
            and node.children[0].value.q != 1
            and isinstance(node.children[1], N.Div)
        ):
            p, q = node.children[0].value.p, node.children[0].value.q
            top, bottom = node.children[1].children
            num = self.wrap(top, MUL + 1)
            num = str(p) if num == "1" else (num if p == 1 else f"{p} {num}")
            return rf"\frac{{{num}}}{{{q} {self.wrap(bottom, MUL + 1)}}}", ATOM
        scalars = [c for c in node.children if c.is_scalar]
        arrays = [c for c in node.children if not c.is_scalar]
        if not arrays:  # all scalars: plain juxtaposition; a trailing Σ needs no brackets
            last = len(node.children) - 1
            return " ".join(
                self.wrap(c, MUL if i == last and isinstance(c, N.Sum) else MUL + 1)
                for i, c in enumerate(node.children)
            ), MUL
        head = " ".join(self.wrap(c, MUL + 1) for c in scalars)
        # One array after scalar coefficients reads as juxtaposition: 2 Wᵀ D W needs no brackets.
        level = MUL if len(arrays) == 1 and _is_product(arrays[0]) else MUL + 1
        body = r" \circ ".join(self.wrap(c, level) for c in arrays)
        if head and len(arrays) > 1:
            body = rf"\left({body}\right)"
        return (f"{head} {body}" if head else body), MUL

    def _print_Div(self, node: N.Div) -> tuple[str, int]:
        a, b = node.children
        return rf"\frac{{{self.doprint(a)}}}{{{self.doprint(b)}}}", ATOM

    def _print_Apply(self, node: N.Apply) -> tuple[str, int]:
        form = function_spec(node.fn).latex
        if isinstance(form, str):  # a head: \tanh\left(z\right)
            args = ", ".join(self.doprint(a) for a in node.children)
            return rf"{form}\left({args}\right)", ATOM
        return form(self, node)

    # -- matrix algebra --------------------------------------------------------------------

    def _print_MatMul(self, node: N.MatMul) -> tuple[str, int]:
        # Scalars scaling one factor lead the product: (1/B) X 𝟏 𝟏ᵀ, not ((1/B) X 𝟏) 𝟏ᵀ.
        scalars: list[N.Node] = []
        factors: list[N.Node] = []
        for f in _flatten_matmul(node):
            arrays = [c for c in f.children if not c.is_scalar] if isinstance(f, N.Mul) else []
            if len(arrays) == 1 and len(f.children) > 1:
                scalars.extend(c for c in f.children if c.is_scalar)
                factors.extend(_flatten_matmul(arrays[0]))
            else:
                factors.append(f)
        parts = [self.wrap(c, MUL + 1) for c in scalars] + [self.wrap(f, MUL + 1) for f in factors]
        return " ".join(parts), MUL

    def _print_Transpose(self, node: N.Transpose) -> tuple[str, int]:
        (a,) = node.children
        if isinstance(a, N.Inverse):
            return f"{self.wrap(a.children[0], ATOM)}^{{-T}}", POW
        return f"{self.wrap(a, ATOM)}^{{T}}", POW


# The structural ops, by class: every printer writes these itself (they are its grammar).
_STRUCTURAL = {
    cls: f"_print_{cls.__name__}"
    for cls in (N.Var, N.Const, N.Zeros, N.Ones, N.Identity, N.Basis, N.Add, N.Neg, N.Mul,
                N.Div, N.Apply, N.MatMul, N.Transpose)
}  # fmt: skip


def _flatten_matmul(node: N.Node) -> list[N.Node]:
    """Matrix products are associative: print A B C, never (A B) C (nor A (𝟏 𝟏ᵀ))."""
    if isinstance(node, N.MatMul):
        return [*_flatten_matmul(node.children[0]), *_flatten_matmul(node.children[1])]
    if _is_ones_matrix(node):
        return [N.Ones(S.column(node.shape[0])), N.Ones((S.ONE, node.shape[1]))]
    return [node]


def _is_ones_matrix(node: N.Node) -> bool:
    return isinstance(node, N.Ones) and S.is_matrix(node.shape)


def _is_product(node: N.Node) -> bool:
    """A matrix product, or the ones matrix printed as one (𝟏 𝟏ᵀ): juxtaposed after a scalar."""
    return isinstance(node, N.MatMul) or _is_ones_matrix(node)


def latex(node: N.Node, names: dict[str, str] | None = None) -> str:
    return LatexPrinter(names).doprint(node)
