"""NumPy expressions, one ``_print_<Class>`` method per node class.

Vectors are 1-D arrays, so transposing a vector is free and v @ w of two vectors is their inner
product; a column times a row (δ xᵀ) must become ``np.outer``. Numerically delicate compositions
are printed in their stable form: log σ(x) as −logaddexp(0, −x), log softmax as a shifted
log-softmax, softplus as logaddexp(0, x).
"""

from __future__ import annotations

import math

import sympy as sp

from ..expr import nodes as N
from ..expr import shapes as S

ADD, MUL, UNARY, POW, ATOM = 10, 20, 25, 40, 100

# Helpers emitted into a generated module only when its code uses them.
HELPERS: dict[str, str] = {
    "_sigmoid": '''def _sigmoid(x):
    """σ(x) = 1 / (1 + e^{-x}) without overflow for large |x|."""
    return np.exp(-np.logaddexp(0.0, -x))''',
    "_softmax": """def _softmax(z):
    e = np.exp(z - np.max(z))
    return e / np.sum(e)""",
    "_log_softmax": """def _log_softmax(z):
    shifted = z - np.max(z)
    return shifted - np.log(np.sum(np.exp(shifted)))""",
    "_logsumexp": """def _logsumexp(z):
    top = np.max(z)
    return top + np.log(np.sum(np.exp(z - top)))""",
    "_basis": """def _basis(n, i):
    e = np.zeros(n)
    e[i] = 1.0
    return e""",
    "_scalar": '''def _scalar(v):
    """A 0-d or 1×1 result as a Python number (complex stays complex, for complex-step checks)."""
    return np.asarray(v).reshape(()).item()''',
    "_arr": '''def _arr(v):
    """Inputs as float64 arrays; complex inputs stay complex (complex-step checks)."""
    a = np.asarray(v)
    return a.astype(np.result_type(a.dtype, np.float64), copy=False)''',
}


def py_dim(expr: sp.Expr) -> str:
    """A dimension or dimension expression as Python (sizes are bound as ints in each function)."""
    if expr.is_Integer:
        return str(int(expr))
    return sp.pycode(expr) if not expr.is_Symbol else str(expr)


def py_number(value: sp.Expr) -> str:
    """A constant as Python source: exact integers as floats, everything numeric as its float
    (log 2 becomes 0.693…, never math.log(2)); only size expressions stay symbolic."""
    if value.is_Integer and abs(int(value)) < 10**15:
        return f"{int(value)}.0"
    if value.is_number:
        number = float(value)
        if math.isinf(number):
            return "np.inf" if number > 0 else "-np.inf"
        return repr(number)
    return f"({py_dim(value)})"  # e.g. 1/(m*n) for a mean over symbolic sizes


def _shape_text(shape: S.Shape) -> str:
    if S.is_vector(shape):
        return py_dim(S.vector_length(shape))
    return f"({py_dim(shape[0])}, {py_dim(shape[1])})"


class NumpyPrinter:
    def __init__(self) -> None:
        self.helpers: set[str] = set()
        # Statements already emitted, so that log(p) with p = σ(t) still prints stably.
        self.definitions: dict[str, N.Node] = {}

    def _resolve(self, node: N.Node) -> N.Node:
        while isinstance(node, N.Var) and node.name in self.definitions:
            node = self.definitions[node.name]
        return node

    def doprint(self, node: N.Node) -> str:
        return self.print(node)[0]

    def print(self, node: N.Node) -> tuple[str, int]:
        method = getattr(self, f"_print_{type(node).__name__}", None)
        if method is None:
            raise NotImplementedError(f"no NumPy printer for {type(node).__name__}")
        return method(node)

    def wrap(self, node: N.Node, level: int) -> str:
        text, prec = self.print(node)
        return f"({text})" if prec < level else text

    def helper(self, name: str) -> str:
        self.helpers.add(name)
        return name

    # -- leaves ----------------------------------------------------------------------------

    def _print_Var(self, node: N.Var) -> tuple[str, int]:
        return node.name, ATOM

    def _print_Const(self, node: N.Const) -> tuple[str, int]:
        text = py_number(node.value)
        return text, UNARY if text.startswith("-") else ATOM

    def _print_Zeros(self, node: N.Zeros) -> tuple[str, int]:
        return f"np.zeros({_shape_text(node.shape)})", ATOM

    def _print_Ones(self, node: N.Ones) -> tuple[str, int]:
        return f"np.ones({_shape_text(node.shape)})", ATOM

    def _print_Identity(self, node: N.Identity) -> tuple[str, int]:
        return f"np.eye({py_dim(node.shape[0])})", ATOM

    def _print_Basis(self, node: N.Basis) -> tuple[str, int]:
        return f"{self.helper('_basis')}({py_dim(node.shape[0])}, {node.index})", ATOM

    # -- elementwise -----------------------------------------------------------------------

    def _print_Add(self, node: N.Add) -> tuple[str, int]:
        parts = []
        for i, term in enumerate(node.children):
            if isinstance(term, N.Neg) and i > 0:
                parts.append(f"- {self.wrap(term.children[0], MUL + 1)}")
            else:
                text = self.wrap(term, ADD)
                parts.append(text if i == 0 else f"+ {text}")
        return " ".join(parts), ADD

    def _print_Neg(self, node: N.Neg) -> tuple[str, int]:
        return f"-{self.wrap(node.children[0], POW)}", UNARY

    def _print_Mul(self, node: N.Mul) -> tuple[str, int]:
        return " * ".join(self.wrap(c, MUL + 1) for c in node.children), MUL

    def _print_Div(self, node: N.Div) -> tuple[str, int]:
        a, b = node.children
        return f"{self.wrap(a, MUL)} / {self.wrap(b, MUL + 1)}", MUL

    def _print_Apply(self, node: N.Apply) -> tuple[str, int]:
        fn, args = node.fn, node.children
        a = [self.doprint(x) for x in args]
        inner_arg = self._resolve(args[0]) if fn == "log" else args[0]
        if fn == "log" and isinstance(inner_arg, N.Apply) and inner_arg.fn == "sigmoid":
            inner = self.wrap(inner_arg.children[0], POW)
            return f"-np.logaddexp(0.0, -{inner})", UNARY
        if fn == "log" and isinstance(inner_arg, N.Softmax):
            return f"{self.helper('_log_softmax')}({self.doprint(inner_arg.children[0])})", ATOM
        simple = {"exp": "np.exp", "log": "np.log", "sqrt": "np.sqrt", "abs": "np.abs",
                  "sin": "np.sin", "cos": "np.cos", "tanh": "np.tanh", "sign": "np.sign"}  # fmt: skip
        if fn in simple:
            return f"{simple[fn]}({a[0]})", ATOM
        if fn == "sigmoid":
            return f"{self.helper('_sigmoid')}({a[0]})", ATOM
        if fn == "relu":
            return f"np.maximum({a[0]}, 0.0)", ATOM
        if fn == "softplus":
            return f"np.logaddexp(0.0, {a[0]})", ATOM
        if fn == "leaky_relu":
            return (
                f"np.where({a[0]} > 0, {a[0]}, {self.wrap(args[1], MUL)} * {self.wrap(args[0], MUL + 1)})",
                ATOM,
            )
        if fn == "leaky_step":
            return f"np.where({a[0]} > 0, 1.0, {a[1]})", ATOM
        if fn == "max":
            return f"np.maximum({a[0]}, {a[1]})", ATOM
        if fn == "min":
            return f"np.minimum({a[0]}, {a[1]})", ATOM
        if fn == "gt":
            return f"np.greater({a[0]}, {a[1]}) * 1.0", MUL
        if fn == "ge":
            return f"np.greater_equal({a[0]}, {a[1]}) * 1.0", MUL
        if fn == "pow":
            p = args[1]
            exponent = (
                str(int(p.value))
                if isinstance(p, N.Const) and p.value.is_Integer and p.value >= 0
                else self.wrap(p, POW + 1)
            )
            return f"{self.wrap(args[0], POW + 1)} ** {exponent}", POW
        raise NotImplementedError(f"no NumPy form for the function {fn}")  # pragma: no cover

    # -- matrix algebra --------------------------------------------------------------------

    def _print_MatMul(self, node: N.MatMul) -> tuple[str, int]:
        a, b = node.children
        if S.is_column(a.shape) and S.is_row(b.shape):
            return f"np.outer({self.doprint(a)}, {self.doprint(b)})", ATOM
        return f"{self.wrap(a, MUL)} @ {self.wrap(b, MUL + 1)}", MUL

    def _print_Transpose(self, node: N.Transpose) -> tuple[str, int]:
        (a,) = node.children
        if S.is_vector(a.shape):
            return self.print(a)  # 1-D arrays are their own transpose
        return f"{self.wrap(a, ATOM)}.T", ATOM

    def _print_Inverse(self, node: N.Inverse) -> tuple[str, int]:
        return f"np.linalg.inv({self.doprint(node.children[0])})", ATOM

    def _print_Det(self, node: N.Det) -> tuple[str, int]:
        return f"np.linalg.det({self.doprint(node.children[0])})", ATOM

    def _print_LogDet(self, node: N.LogDet) -> tuple[str, int]:
        return f"np.linalg.slogdet({self.doprint(node.children[0])})[1]", ATOM

    def _print_Trace(self, node: N.Trace) -> tuple[str, int]:
        return f"np.trace({self.doprint(node.children[0])})", ATOM

    def _print_Diag(self, node: N.Diag) -> tuple[str, int]:
        return f"np.diag({self.doprint(node.children[0])})", ATOM

    def _print_DiagPart(self, node: N.DiagPart) -> tuple[str, int]:
        return f"np.diag({self.doprint(node.children[0])})", ATOM

    # -- reductions and vector functions ---------------------------------------------------

    def _print_Sum(self, node: N.Sum) -> tuple[str, int]:
        return f"np.sum({self.doprint(node.children[0])})", ATOM

    def _print_Mean(self, node: N.Mean) -> tuple[str, int]:
        return f"np.mean({self.doprint(node.children[0])})", ATOM

    def _print_Norm2(self, node: N.Norm2) -> tuple[str, int]:
        # sqrt(sum(x*x)) rather than np.linalg.norm, which would drop a complex-step perturbation.
        inner = self.wrap(node.children[0], MUL + 1)
        return f"np.sqrt(np.sum({inner} * {inner}))", ATOM

    def _print_Softmax(self, node: N.Softmax) -> tuple[str, int]:
        return f"{self.helper('_softmax')}({self.doprint(node.children[0])})", ATOM

    def _print_LogSoftmax(self, node: N.LogSoftmax) -> tuple[str, int]:
        return f"{self.helper('_log_softmax')}({self.doprint(node.children[0])})", ATOM

    def _print_LogSumExp(self, node: N.LogSumExp) -> tuple[str, int]:
        return f"{self.helper('_logsumexp')}({self.doprint(node.children[0])})", ATOM

    def _print_Concat(self, node: N.Concat) -> tuple[str, int]:
        parts = ", ".join(self.doprint(p) for p in node.children)
        return f"np.concatenate([{parts}])", ATOM

    def _print_Slice(self, node: N.Slice) -> tuple[str, int]:
        start, stop = node.params
        return f"{self.wrap(node.children[0], ATOM)}[{py_dim(start)}:{py_dim(stop)}]", ATOM
