"""Textbook LaTeX, one ``_print_<Class>`` method per node class (as SymPy's printers do).

Conventions: ∘ for the Hadamard product, juxtaposition for matrix products and scaling,
X^{-T} for the inverse transpose, \\tanh^{2}(z) for powers of function applications,
𝟙[z > 0] for indicators, σ for the logistic function. Never a library internal.
"""

from __future__ import annotations

import mpmath
import sympy as sp

from ..expr import nodes as N
from ..expr import shapes as S
from .names import latex_name

# Binding strength: a child printed inside a parent with higher precedence gets parentheses.
ADD, MUL, UNARY, POW, ATOM = 10, 20, 25, 40, 100

_FUNCTION_LATEX = {
    "exp": r"\exp", "log": r"\log", "sin": r"\sin", "cos": r"\cos", "tanh": r"\tanh",
    "sigmoid": r"\sigma", "relu": r"\operatorname{ReLU}", "softplus": r"\operatorname{softplus}",
    "sign": r"\operatorname{sign}",
}  # fmt: skip


def latex_number(value: sp.Expr) -> str:
    if value.is_Rational and (abs(value.p) >= 10**12 or value.q >= 10**12):
        return _scientific(value)
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
        method = getattr(self, f"_print_{type(node).__name__}", None)
        if method is None:
            raise NotImplementedError(f"no LaTeX printer for {type(node).__name__}")
        done = self._printed[node] = method(node)
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
        # \frac{1}{n} needs no brackets; log 2 and other non-rational numbers do.
        atomic = node.value.is_Rational or node.value.is_Float or text.startswith(r"\frac")
        return text, ATOM if atomic else MUL

    def _print_Zeros(self, node: N.Zeros) -> tuple[str, int]:
        return "0", ATOM

    def _print_Ones(self, node: N.Ones) -> tuple[str, int]:
        # 𝟏 is a column (or a matrix of ones); a row of ones is its transpose.
        return (r"\mathbf{1}^{T}", POW) if S.is_row(node.shape) else (r"\mathbf{1}", ATOM)

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
        level = MUL if len(arrays) == 1 and isinstance(arrays[0], N.MatMul) else MUL + 1
        body = r" \circ ".join(self.wrap(c, level) for c in arrays)
        if head and len(arrays) > 1:
            body = rf"\left({body}\right)"
        return (f"{head} {body}" if head else body), MUL

    def _print_Div(self, node: N.Div) -> tuple[str, int]:
        a, b = node.children
        return rf"\frac{{{self.doprint(a)}}}{{{self.doprint(b)}}}", ATOM

    def _print_Apply(self, node: N.Apply) -> tuple[str, int]:
        fn, args = node.fn, node.children
        if fn == "pow":
            base, exponent = args
            exp_text = self.doprint(exponent)
            if isinstance(base, N.Apply) and base.fn in _FUNCTION_LATEX:
                inner = self.doprint(base.children[0])
                return rf"{_FUNCTION_LATEX[base.fn]}^{{{exp_text}}}\left({inner}\right)", POW
            return f"{self.wrap(base, POW + 1)}^{{{exp_text}}}", POW
        if fn in _FUNCTION_LATEX:
            return rf"{_FUNCTION_LATEX[fn]}\left({self.doprint(args[0])}\right)", ATOM
        if fn == "sqrt":
            return rf"\sqrt{{{self.doprint(args[0])}}}", ATOM
        if fn == "abs":
            return rf"\left\lvert {self.doprint(args[0])} \right\rvert", ATOM
        if fn in ("max", "min"):
            a, b = (self.doprint(x) for x in args)
            return rf"\{fn}\left({a}, {b}\right)", ATOM
        if fn == "leaky_relu":
            x, alpha = (self.doprint(a) for a in args)
            return rf"\operatorname{{LeakyReLU}}_{{{alpha}}}\left({x}\right)", ATOM
        if fn in ("gt", "ge"):
            a, b = (self.doprint(x) for x in args)
            rel = ">" if fn == "gt" else r"\geq"
            return rf"\mathbb{{1}}\left[{a} {rel} {b}\right]", ATOM
        if fn == "leaky_step":
            x, alpha = self.doprint(args[0]), self.wrap(args[1], MUL + 1)
            return (
                rf"\mathbb{{1}}\left[{x} > 0\right] + {alpha}\, \mathbb{{1}}\left[{x} \leq 0\right]",
                ADD,
            )
        raise NotImplementedError(f"no LaTeX form for the function {fn}")  # pragma: no cover

    # -- matrix algebra --------------------------------------------------------------------

    def _print_MatMul(self, node: N.MatMul) -> tuple[str, int]:
        factors = _flatten_matmul(node)
        return " ".join(self.wrap(f, MUL + 1) for f in factors), MUL

    def _print_Transpose(self, node: N.Transpose) -> tuple[str, int]:
        (a,) = node.children
        if isinstance(a, N.Inverse):
            return f"{self.wrap(a.children[0], ATOM)}^{{-T}}", POW
        return f"{self.wrap(a, ATOM)}^{{T}}", POW

    def _print_Inverse(self, node: N.Inverse) -> tuple[str, int]:
        return f"{self.wrap(node.children[0], ATOM)}^{{-1}}", POW

    def _print_Det(self, node: N.Det) -> tuple[str, int]:
        return rf"\det\left({self.doprint(node.children[0])}\right)", ATOM

    def _print_LogDet(self, node: N.LogDet) -> tuple[str, int]:
        return rf"\log \det\left({self.doprint(node.children[0])}\right)", MUL

    def _print_Trace(self, node: N.Trace) -> tuple[str, int]:
        return rf"\operatorname{{tr}}\left({self.doprint(node.children[0])}\right)", ATOM

    def _print_Diag(self, node: N.Diag) -> tuple[str, int]:
        return rf"\operatorname{{diag}}\left({self.doprint(node.children[0])}\right)", ATOM

    def _print_DiagPart(self, node: N.DiagPart) -> tuple[str, int]:
        return rf"\operatorname{{diag}}\left({self.doprint(node.children[0])}\right)", ATOM

    # -- reductions and vector functions ---------------------------------------------------

    def _print_Sum(self, node: N.Sum) -> tuple[str, int]:
        return rf"\sum {self.wrap(node.children[0], POW)}", MUL

    def _print_Mean(self, node: N.Mean) -> tuple[str, int]:
        return rf"\operatorname{{mean}}\left({self.doprint(node.children[0])}\right)", ATOM

    def _print_Norm2(self, node: N.Norm2) -> tuple[str, int]:
        (a,) = node.children
        sub = "F" if S.is_matrix(a.shape) else "2"
        return rf"\left\lVert {self.doprint(a)} \right\rVert_{{{sub}}}", ATOM

    def _print_Softmax(self, node: N.Softmax) -> tuple[str, int]:
        return rf"\operatorname{{softmax}}\left({self.doprint(node.children[0])}\right)", ATOM

    def _print_LogSoftmax(self, node: N.LogSoftmax) -> tuple[str, int]:
        inner = self.doprint(node.children[0])
        return rf"\log \operatorname{{softmax}}\left({inner}\right)", MUL

    def _print_LogSumExp(self, node: N.LogSumExp) -> tuple[str, int]:
        return rf"\operatorname{{logsumexp}}\left({self.doprint(node.children[0])}\right)", ATOM

    def _print_Concat(self, node: N.Concat) -> tuple[str, int]:
        rows = r" \\ ".join(self.doprint(p) for p in node.children)
        return rf"\begin{{bmatrix}} {rows} \end{{bmatrix}}", ATOM

    def _print_Slice(self, node: N.Slice) -> tuple[str, int]:
        start, stop = node.params
        first = sp.latex(start + 1)
        last = sp.latex(stop)
        inner = self.doprint(node.children[0])
        return rf"\left[{inner}\right]_{{{first}:{last}}}", ATOM


def _flatten_matmul(node: N.Node) -> list[N.Node]:
    """Matrix products are associative: print A B C, never (A B) C."""
    if isinstance(node, N.MatMul):
        return [*_flatten_matmul(node.children[0]), *_flatten_matmul(node.children[1])]
    return [node]


def latex(node: N.Node, names: dict[str, str] | None = None) -> str:
    return LatexPrinter(names).doprint(node)
