"""NumPy expressions: the structural ops here, every other op from its registry entry's ``code``.

Vectors are 1-D arrays, so transposing a vector is free and v @ w of two vectors is their inner
product; a column times a row (δ xᵀ) must become ``np.outer``. Numerically delicate compositions
are printed in their stable form: log σ(x) as −logaddexp(0, −x), log softmax as a shifted
log-softmax, softplus as logaddexp(0, x).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import sympy as sp
from sympy.printing.pycode import PythonCodePrinter

from ..expr import nodes as N
from ..expr import shapes as S
from ..expr.broadcast import spread_of
from ..ops.registry import MissingOp, function_spec, node_spec
from ..ops.spec import ADD, ATOM, MUL, POW, UNARY, FunctionSpec
from .backends import NUMPY, Backend, op_key
from .codeopt import is_reversed_running_sum

# Helpers emitted into a generated NumPy module only when its code uses them.
HELPERS: Mapping[str, str] = NUMPY.helpers


def numpy_source(printer: CodePrinter, body: str) -> str:
    """A NumPy module around ``body`` (code this printer wrote), with the helper functions the
    printer used (``_erf``, a stable σ …): what verification executes with ``load_module``."""
    helpers = "\n\n".join(HELPERS[h] for h in sorted(printer.helpers))
    return "import numpy as np\n\n" + helpers + "\n\n" + body


class _SizePrinter(PythonCodePrinter):
    """Size expressions as Python: a number inside one is its float (π/n as 3.14159…/n, never
    math.pi/n, which a NumPy module cannot run: it imports no math)."""

    def _print(self, expr: Any, **kwargs: Any) -> str:
        if isinstance(expr, sp.Expr) and expr.is_number and not expr.is_Rational:
            return repr(float(expr))
        return super()._print(expr, **kwargs)


def py_dim(expr: sp.Expr) -> str:
    """A dimension or dimension expression as Python (sizes are bound as ints in each function)."""
    if expr.is_Integer:
        return str(int(expr))
    return _SizePrinter().doprint(expr) if not expr.is_Symbol else str(expr)


def py_number(value: sp.Expr, backend: Backend = NUMPY) -> str:
    """A constant as Python source: exact integers as floats, everything numeric as its float
    (log 2 becomes 0.693…, never math.log(2)); only size expressions stay symbolic."""
    if value.is_Integer and abs(int(value)) < 10**15:
        return f"{int(value)}.0"
    if value.is_number:
        number = float(value)
        if math.isinf(number):
            inf = backend.calls["inf"]
            return inf if number > 0 else f"-{inf}"
        return repr(number)
    # 1/(m*n) for a mean over symbolic sizes; √n or log n (a softmax of a constant vector)
    # in the backend's scalar math, as the generated module imports it (SymPy writes math.sqrt)
    return f"({py_dim(value).replace('math.', _SCALAR_MATH[backend.name])})"


_SCALAR_MATH = {"numpy": "np.", "jax": "jnp.", "torch": "math."}
# Functions of sizes every backend's scalar math spells (√ is a power, printed as sqrt).
_SIZE_FUNCTIONS = {"exp", "log", "sin", "cos", "tan", "tanh"}


def _shape_text(shape: S.Shape) -> str:
    if S.is_vector(shape):
        return py_dim(S.vector_length(shape))
    return f"({py_dim(shape[0])}, {py_dim(shape[1])})"


_HELPER_CALL = re.compile(r"(?<![\w.])(_[a-z_]+)\(")


class CodePrinter:
    """Array code for one backend (NumPy by default; PyTorch and JAX from ``backends``)."""

    def __init__(self, backend: Backend = NUMPY) -> None:
        self.backend = backend
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
        spec = node_spec(node)
        if spec.structural:
            return getattr(self, f"_print_{type(node).__name__}")(node)
        form = spec.code_form(self.backend.name)
        if form is None:
            raise MissingOp(f"the registry entry of {spec.key} has no {self.backend.name} form")
        if isinstance(form, str):  # a template over the printed operands: np.linalg.det({0})
            parts = node.children
            texts = [
                self._part(c, node) if isinstance(node, N.Concat) else self.doprint(c)
                for c in parts
            ]
            return self.call(op_key(spec), ", ".join(texts)), self.backend.binding(op_key(spec))
        return form(self, node)

    def _part(self, node: N.Node, stack: N.Node) -> str:
        """A block of a stack: a one-entry block of a vector (the gradient of x[1:]) is 1-D, and
        a one-row block of a matrix (its Hessian) 2-D, as the other blocks are."""
        if S.is_row(node.shape) and not S.is_vector(stack.shape):
            return f"{self.wrap(node, ATOM)}.reshape(1, -1)"
        if not node.is_scalar:
            return self.doprint(node)
        if isinstance(node, N.Const) and node.value == 0:
            return self.call("zeros", "1")
        return f"{self.call('ones', '1')} * {self.wrap(node, MUL)}"

    def dim(self, expr: sp.Expr) -> str:
        return py_dim(expr)

    def wrap(self, node: N.Node, level: int) -> str:
        text, prec = self.print(node)
        return f"({text})" if prec < level else text

    def helper(self, name: str) -> str:
        self.helpers.add(name)
        return name

    def call(self, op: str, *args: str) -> str:
        """The backend's spelling of ``op``, noting the helpers that spelling uses."""
        text = self.backend.call(op, *args)
        self.helpers.update(
            h for h in _HELPER_CALL.findall(self.backend.calls[op]) if h in self.backend.helpers
        )
        return text

    # -- leaves ----------------------------------------------------------------------------

    def _print_Var(self, node: N.Var) -> tuple[str, int]:
        return node.name, ATOM

    def _print_Const(self, node: N.Const) -> tuple[str, int]:
        text = py_number(node.value, self.backend)
        return text, UNARY if text.startswith("-") else ATOM

    def _print_Zeros(self, node: N.Zeros) -> tuple[str, int]:
        return self.call("zeros", _shape_text(node.shape)), ATOM

    def _print_Ones(self, node: N.Ones) -> tuple[str, int]:
        return self.call("ones", _shape_text(node.shape)), ATOM

    def _print_Identity(self, node: N.Identity) -> tuple[str, int]:
        return self.call("eye", py_dim(node.shape[0])), ATOM

    def _print_Basis(self, node: N.Basis) -> tuple[str, int]:
        self.helper("_basis")
        return self.call("basis", py_dim(node.shape[0]), str(node.index)), ATOM

    # -- elementwise -----------------------------------------------------------------------

    def operand(self, node: N.Node, level: int, siblings: tuple[N.Node, ...]) -> str:
        """An operand of an elementwise op; a vector spread over a matrix (b 𝟏ᵀ, 𝟏 cᵀ) is
        printed as NumPy broadcasting when another operand already has the matrix's shape."""
        vector, how = spread_of(node)
        if vector is not None and any(
            s.shape == node.shape and spread_of(s)[0] is None for s in siblings if s is not node
        ):
            return self.call(how, self.wrap(vector, ATOM))
        neg = isinstance(node, N.Neg) and spread_of(node.children[0])[0] is not None
        if neg and any(s.shape == node.shape and spread_of(s)[0] is None for s in siblings):
            return f"-{self.operand(node.children[0], POW, siblings)}"
        return self.wrap(node, level)

    def _print_Add(self, node: N.Add) -> tuple[str, int]:
        parts = []
        terms = node.children
        for i, term in enumerate(terms):
            if isinstance(term, N.Neg) and i > 0:
                parts.append(f"- {self.operand(term.children[0], MUL + 1, terms)}")
            else:
                text = self.operand(term, ADD, terms)
                parts.append(text if i == 0 else f"+ {text}")
        return " ".join(parts), ADD

    def _print_Neg(self, node: N.Neg) -> tuple[str, int]:
        return f"-{self.wrap(node.children[0], POW)}", UNARY

    def _print_Mul(self, node: N.Mul) -> tuple[str, int]:
        factors = node.children
        return " * ".join(self.operand(c, MUL + 1, factors) for c in factors), MUL

    def _print_Div(self, node: N.Div) -> tuple[str, int]:
        a, b = node.children
        if isinstance(a, N.Ones) and a.shape == b.shape:
            return f"1.0 / {self.wrap(b, MUL + 1)}", MUL  # 𝟏 / v, without building 𝟏
        pair = node.children
        return f"{self.operand(a, MUL, pair)} / {self.operand(b, MUL + 1, pair)}", MUL

    def _print_Apply(self, node: N.Apply) -> tuple[str, int]:
        fn, args = node.fn, node.children
        inner_arg = self._resolve(args[0]) if fn == "log" else args[0]
        # Numerically stable compositions: log σ(x) and log softmax(z).
        if fn == "log" and isinstance(inner_arg, N.Apply) and inner_arg.fn == "sigmoid":
            text = self.call("log_sigmoid", self.doprint(inner_arg.children[0]))
            return text, self.backend.binding("log_sigmoid")
        if fn == "log" and isinstance(inner_arg, N.Softmax):
            return f"{self.helper('_log_softmax')}({self.doprint(inner_arg.children[0])})", ATOM
        spec = function_spec(fn)
        constant = self._constant(spec, args)
        if constant is not None:
            return constant, UNARY if constant.startswith("-") else ATOM
        if not isinstance(spec.code, str):
            return spec.code(self, node)
        printed = spec.code_args(self, args) if spec.code_args else [self.doprint(x) for x in args]
        return self.call(fn, *printed), self.backend.binding(fn)

    def _constant(self, spec: FunctionSpec, args: tuple[N.Node, ...]) -> str | None:
        """A function of constants (e, √n, log n) as one number: PyTorch's functions take no
        Python numbers (torch.exp(1.0) raises), and the value is known. None when it is not a
        real number or the backend's scalar math cannot spell it (erf(n) in NumPy)."""
        if not all(isinstance(a, N.Const) for a in args):
            return None
        exact = spec.exact(*(a.value for a in args))  # SymPy meaning of the op on constants
        value = exact if isinstance(exact, sp.Basic) else sp.Float(exact)
        if value.is_number:
            return py_number(value, self.backend) if value.is_extended_real is True else None
        spelled = _SIZE_FUNCTIONS | ({"erf"} if self.backend.name == "torch" else set())
        if (
            value.has(sp.Piecewise)
            or {type(f).__name__ for f in value.atoms(sp.Function)} - spelled
        ):
            return None
        return py_number(value, self.backend)

    # -- matrix algebra --------------------------------------------------------------------

    def _print_MatMul(self, node: N.MatMul) -> tuple[str, int]:
        a, b = node.children
        if is_reversed_running_sum(node):  # Lᵀ G, L = cumsum(I): never an n×n product
            return self.call("cumsum_reversed", self.doprint(b)), ATOM
        # Products with 𝟏 are axis sums: Δ 𝟏 sums Δ's columns, 𝟏ᵀ X its rows.
        if isinstance(b, N.Ones) and S.is_column(b.shape) and S.is_matrix(a.shape):
            if isinstance(a, N.Transpose):  # Δᵀ 𝟏 sums Δ's rows
                return self.call("sum_columns", self.doprint(a.children[0])), ATOM
            return self.call("sum_rows", self.doprint(a)), ATOM
        if isinstance(a, N.Ones) and S.is_row(a.shape) and S.is_matrix(b.shape):
            return self.call("sum_columns", self.doprint(b)), ATOM
        scaled = self._diagonal_product(a, b)
        if scaled is not None:
            return scaled, MUL
        if S.is_column(a.shape) and S.is_row(b.shape):
            # 𝟏 rᵀ and c 𝟏ᵀ (the gradient of sum(A @ V)) repeat one vector: no ones array is
            # built and nothing is multiplied, where an outer product would do both.
            if isinstance(a, N.Ones):
                return self.call("tile_rows", self.doprint(b), self.dim(a.shape[0])), ATOM
            if isinstance(b, N.Ones):
                return self.call("tile_columns", self.wrap(a, ATOM), self.dim(b.shape[1])), ATOM
            return self.call("outer", self.doprint(a), self.doprint(b)), ATOM
        return f"{self.wrap(a, MUL)} @ {self.wrap(b, MUL + 1)}", MUL

    def _diagonal_product(self, a: N.Node, b: N.Node) -> str | None:
        """diag(v) B scales B's rows and A diag(v) scales A's columns: never build the n×n
        matrix (for logistic regression's Hessian Xᵀ diag(σ′) X that is an N×N array)."""
        if isinstance(a, N.Diag):
            v = self.wrap(a.children[0], ATOM)
            if S.is_vector(b.shape):
                return f"{v} * {self.wrap(b, MUL + 1)}"
            return self.call("scale_rows", v, self.wrap(b, MUL + 1))
        if isinstance(b, N.Diag):
            v = self.wrap(b.children[0], ATOM)
            if S.is_vector(a.shape):
                return f"{self.wrap(a, MUL)} * {v}"
            return self.call("scale_columns", self.wrap(a, MUL), v)
        return None

    def _print_Transpose(self, node: N.Transpose) -> tuple[str, int]:
        (a,) = node.children
        if S.is_vector(a.shape):
            return self.print(a)  # 1-D arrays are their own transpose
        return f"{self.wrap(a, ATOM)}.T", ATOM


NumpyPrinter = CodePrinter  # the default backend's printer, under its historical name
