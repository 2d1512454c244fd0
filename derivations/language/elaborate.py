"""Syntax tree + variable declarations -> typed program, checking every shape.

This is where user mistakes are caught and explained: each error carries the position of the
offending operator or name, both operands' shapes, and a hint that says what to write instead.
"""

from __future__ import annotations

import difflib
import keyword
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction

import sympy as sp

from ..errors import ChainruleError
from ..expr import nodes as N
from ..expr import shapes as S
from ..expr.functions import FUNCTIONS
from ..expr.program import Definition, TypedProgram
from ..limits import DEFAULT_LIMITS, Limits
from .ast import BinOp, Call, Name, Number, Pos, Program, Syntax, TransposeOp, Unary
from .parser import parse
from .roles import declarations, declared_shape

# Every pattern here is applied with fullmatch: '$' would also accept a trailing new line.
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Names users choose start with a letter: a leading '_' is kept for generated code.
_USER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_ASCII_INT = re.compile(r"[0-9]+")
# A dimension is at most this many digits long before it is converted (the limit is far below).
_MAX_DIM_DIGITS = 12

# Digits a number literal may have (float64 keeps 17; Python refuses ints above 4300).
MAX_LITERAL_DIGITS = 100

# Functions users may call, with how many arguments they take (None: one or more).
REDUCTIONS = {
    "sum": 1, "mean": 1, "dot": 2, "outer": 2, "norm2": 1, "trace": 1, "det": 1,
    "logdet": 1, "inv": 1, "diag": 1, "softmax": 1, "log_softmax": 1, "logsumexp": 1,
    "concat": None,
}  # fmt: skip
USER_FUNCTIONS: dict[str, int | None] = {
    **{name: f.arity for name, f in FUNCTIONS.items() if f.user_facing},
    **REDUCTIONS,
}


def declare(
    variables: Mapping[str, Sequence[str | int] | str | int | None], limits: Limits
) -> dict[str, N.Var]:
    """Turn ``{"W": ("n", "m"), "x": ("m",), "lam": ()}`` into typed input variables."""
    if not isinstance(variables, Mapping):
        raise ChainruleError(
            "declaration",
            "variables must map names to shapes",
            hint='e.g. {"W": ["n", "m"], "x": ["m"]}',
        )
    if len(variables) > limits.max_variables:
        raise ChainruleError.limit(
            "max_variables",
            limits.max_variables,
            f"{len(variables)} variables are declared; the limit is {limits.max_variables}",
            "declare only the variables the program uses",
        )
    out: dict[str, N.Var] = {}
    for name, raw in variables.items():
        _check_name(name, "variable")
        raw = declared_shape(name, raw)  # the shape of {"shape": ..., "role": ..., "kind": ...}
        dims_raw: list[str | int]
        if raw is None:
            dims_raw = []
        elif isinstance(raw, str | int):
            dims_raw = [raw]
        elif isinstance(raw, list | tuple):
            dims_raw = list(raw)
        else:
            raise ChainruleError(
                "declaration",
                f"the shape of {name!r} must be a list of dimensions, not {type(raw).__name__}",
                hint='e.g. "W": ["n", "m"], "x": ["m"], "lam": []',
            )
        if len(dims_raw) > 2:
            raise ChainruleError(
                "declaration",
                f"variable {name!r} has {len(dims_raw)} dimensions; chainrule handles scalars, vectors and matrices",
                hint=f"declare {name} as () for a scalar, (n,) for a vector or (n, m) for a matrix",
            )
        dims = [_dimension(name, d, limits) for d in dims_raw]
        if len(dims) == 0:
            shape = S.SCALAR
        elif len(dims) == 1:
            if dims[0] == 1:
                raise ChainruleError(
                    "declaration",
                    f"variable {name!r} is declared as a vector of length 1",
                    hint=f"declare {name} as a scalar: ()",
                )
            shape = S.column(dims[0])
        else:
            if dims[0] == 1 or dims[1] == 1:
                raise ChainruleError(
                    "declaration",
                    f"variable {name!r} is declared as a matrix with a dimension of 1",
                    hint=f"declare a column vector as ({dims[0] if dims[1] == 1 else dims[1]},) and use .T for a row",
                )
            shape = (dims[0], dims[1])
        out[name] = N.Var(name, shape, "input")
    _check_readable_sizes(out, limits)
    sizes = {str(sym) for var in out.values() for d in var.shape for sym in d.free_symbols}
    clash = sorted(sizes & set(out))
    if clash:
        raise ChainruleError(
            "declaration",
            f"{clash[0]!r} names both a variable and a dimension",
            hint=f"rename the dimension, e.g. n_{clash[0]}, or the variable",
        )
    return out


# Names the generated module defines at the top level (the user's names are its functions'
# parameters, so they would shadow these). Every other name the module uses is chosen around the
# user's names, or starts with '_', which user names cannot.
_RESERVED = {"np", "value", "value_and_grad", "value_and_vjp", "jacobian", "hessian"}
# T may name a dimension (a sequence length), but not a variable: x ** T would print as x^{T},
# which reads as the transpose.
_NOT_VARIABLES = {"T"}


def _check_name(name: object, what: str, pos: Pos | None = None, source: str | None = None) -> None:
    if (
        not isinstance(name, str)
        or not _USER_NAME.fullmatch(name)
        or keyword.iskeyword(name)
        or name in _RESERVED
    ):
        raise ChainruleError(
            "declaration",
            f"{name!r} is not a valid {what} name",
            pos.line if pos else None,
            pos.column if pos else None,
            "names start with an ASCII letter and contain letters, digits and '_'"
            " (not a Python keyword, np, value, value_and_grad, value_and_vjp, jacobian, hessian)",
            source,
        )
    if name in _NOT_VARIABLES:
        raise ChainruleError(
            "declaration",
            f"{name!r} cannot name {'an' if what[0] in 'aeiou' else 'a'} {what}: x ** T would print"
            " as x^T, the transpose",
            pos.line if pos else None,
            pos.column if pos else None,
            f"choose another name, e.g. {name}_ or {name}1 (T is fine as a dimension name)",
            source,
        )
    if name in USER_FUNCTIONS:
        raise ChainruleError(
            "declaration",
            f"{name!r} is the name of a function and cannot name {'an' if what[0] in 'aeiou' else 'a'} {what}",
            pos.line if pos else None,
            pos.column if pos else None,
            f"choose another name, e.g. {name}_",
            source,
        )


def _dimension(var: str, raw: str | int, limits: Limits) -> sp.Expr:
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise ChainruleError(
            "declaration",
            f"dimension {raw!r} of {var!r} is neither a positive integer nor a name",
            hint='write dimensions as names ("n"), positive integers (3), or sums of products ("5*d")',
        )
    if isinstance(raw, str):
        raw = _dimension_text(var, raw, limits)
    if isinstance(raw, int):
        if raw < 1:
            raise ChainruleError(
                "declaration",
                f"dimension {raw} of {var!r} is not positive",
                hint="dimensions are positive integers or names like n",
            )
        if raw > limits.max_numeric_dim:
            raise ChainruleError.limit(
                "max_numeric_dim",
                limits.max_numeric_dim,
                f"dimension {raw} of {var!r} exceeds the limit of {limits.max_numeric_dim}",
                "use a symbolic dimension (a name like n): derivations do not depend on sizes",
            )
        return S.dim(raw)
    if _IDENT.fullmatch(raw):
        _check_dimension_name(var, raw)
        return S.dim(raw)
    if _DIM_EXPR.fullmatch(raw):
        return _dimension_expression(var, raw, limits)
    raise ChainruleError(
        "declaration",
        f"dimension {raw!r} of {var!r} is neither a positive integer nor a name",
        hint='write dimensions as names ("n"), positive integers (3), or sums of products ("5*d")',
    )


_DIM_EXPR = re.compile(r"[A-Za-z0-9_]+([ \t]*[*+][ \t]*[A-Za-z0-9_]+)*")


def _dimension_text(var: str, raw: str, limits: Limits) -> str | int:
    """A dimension as text: ASCII only (``²`` and ``٣`` are digits to str.isdigit, not to us),
    and an integer short enough to convert (Python refuses ints over 4300 digits)."""
    raw = raw.strip(" \t")
    odd = next((ch for ch in raw if not ch.isascii() or not ch.isprintable()), None)
    if odd is not None:
        value = unicodedata.digit(odd, None) if not 0xD800 <= ord(odd) <= 0xDFFF else None
        hint = (
            f"write the digit {value} in ASCII"
            if value is not None
            else "dimensions are ASCII names (n, d_model, T), integers (3) or sums of products (5*d)"
        )
        label = unicodedata.name(odd, f"U+{ord(odd):04X}")
        raise ChainruleError(
            "declaration",
            f"dimension {raw!r} of {var!r} contains {odd!r} ({label}): dimensions are printable"
            " ASCII",
            hint=hint,
        )
    if _ASCII_INT.fullmatch(raw):
        if len(raw.lstrip("0")) > _MAX_DIM_DIGITS:
            raise ChainruleError.limit(
                "max_numeric_dim",
                limits.max_numeric_dim,
                f"dimension {raw[:20]}... of {var!r} has {len(raw)} digits; the largest"
                f" numeric dimension is {limits.max_numeric_dim}",
                "use a symbolic dimension (a name like n): derivations do not depend on sizes",
            )
        return int(raw)
    return raw


def _check_readable_sizes(variables: dict[str, N.Var], limits: Limits) -> None:
    """Every size name must be readable from some input's shape, and no size may be huge.

    The generated code reads n from x.shape[0]; a size that only appears inside n + m, or in
    n·n, could not be recovered, and 10⁹·n would allocate without bound.
    """
    axes = [d for var in variables.values() for d in var.shape]
    for d in axes:
        coefficients = (
            [abs(c) for c in sp.Poly(d, *d.free_symbols).coeffs()] if d.free_symbols else [d]
        )
        if any(c > limits.max_numeric_dim for c in coefficients):
            raise ChainruleError.limit(
                "max_numeric_dim",
                limits.max_numeric_dim,
                f"the dimension {d} has a coefficient above {limits.max_numeric_dim}",
                "use a symbolic dimension without large factors",
            )
    for symbol in sorted({s for d in axes for s in d.free_symbols}, key=str):
        readable = any(
            d.free_symbols == {symbol} and sp.Poly(d, symbol).degree() == 1 for d in axes
        )
        if not readable:
            raise ChainruleError(
                "declaration",
                f"the size {symbol} cannot be read from any variable's shape",
                hint=f"declare some variable with {symbol} on its own (or k*{symbol}) as a dimension,"
                f" e.g. --var v={symbol}",
            )


def _check_dimension_name(var: str, name: str) -> None:
    """Sizes become Python names in the generated code, so they follow the variables' rules."""
    if not _USER_NAME.fullmatch(name) or keyword.iskeyword(name) or name in _RESERVED:
        raise ChainruleError(
            "declaration",
            f"{name!r} (a dimension of {var!r}) is not a valid dimension name",
            hint="dimension names start with a letter, e.g. n, m, d_model, T"
            " (not a Python keyword, np, value, jacobian, hessian)",
        )


def dimension_expression(text: str) -> sp.Expr:
    """Parse a declared dimension (``n``, ``3``, ``5*d``, ``d + k``) into a SymPy expression."""
    return _dimension("dimension", text, DEFAULT_LIMITS)


def _dimension_expression(var: str, text: str, limits: Limits) -> sp.Expr:
    """``5*d`` or ``d + k``: the size of a concatenation, built without sympify."""
    terms = []
    for term in text.split("+"):
        factors = []
        for factor in term.split("*"):
            factor = factor.strip()
            if _ASCII_INT.fullmatch(factor):
                number = _dimension_text(var, factor, limits)
                factors.append(sp.Integer(number))
            elif _IDENT.fullmatch(factor):
                _check_dimension_name(var, factor)
                factors.append(S.dim(factor))
            else:  # pragma: no cover - excluded by _DIM_EXPR
                raise ChainruleError("declaration", f"bad dimension {text!r} of {var!r}")
        terms.append(sp.Mul(*factors))
    value = sp.Add(*terms)
    if value.is_Integer:
        return _dimension(var, int(value), limits)
    return value


class _Elaborator:
    def __init__(
        self,
        program: Program,
        inputs: dict[str, N.Var],
        limits: Limits,
        hints: Mapping[int, N.Node] | None = None,
    ) -> None:
        # Typed nodes for syntax nodes (by id) whose size only the context gives: 𝟏 and I in
        # a LaTeX answer, sized by latex_typing's shape inference before this bottom-up pass.
        self.hints = hints or {}
        self.program = program
        self.source = program.source
        self.inputs = inputs
        self.limits = limits
        self.intermediates: dict[str, N.Var] = {}
        self.dims = S.free_dims([v.shape for v in inputs.values()])
        self.current = 0  # the statement being elaborated, for "used before its definition"

    # -- errors ---------------------------------------------------------------------------

    def error(
        self, kind: str, message: str, pos: Pos, hint: str | None = None, **details: object
    ) -> ChainruleError:
        return ChainruleError(kind, message, pos.line, pos.column, hint, self.source, dict(details))

    def shape_error(
        self, message: str, pos: Pos, hint: str | None, *operands: N.Node
    ) -> ChainruleError:
        return self.error(
            "shape_mismatch",
            message,
            pos,
            hint,
            operands=[S.user_shape(o.shape) for o in operands],
        )

    # -- statements -----------------------------------------------------------------------

    def run(self) -> TypedProgram:
        definitions: list[Definition] = []
        statements = self.program.statements
        output: N.Node | None = None
        output_name = None
        for index, st in enumerate(statements):
            self.current = index
            node = self.expr(st.value)
            last = index == len(statements) - 1
            if st.target is None:
                if not last:
                    raise self.error(
                        "syntax",
                        "only the last statement may be a bare expression",
                        st.pos,
                        "name it (h = ...) or move it to the end: the last statement is the function to differentiate",
                    )
                output = node
                continue
            _check_name(st.target, "intermediate", st.pos, self.source)
            if st.target in self.inputs:
                raise self.error(
                    "declaration",
                    f"{st.target!r} is declared as a variable and cannot be assigned",
                    st.pos,
                    f"give the intermediate another name, e.g. {st.target}_",
                )
            if st.target in {str(d) for d in self.dims}:
                raise self.error(
                    "declaration",
                    f"{st.target!r} is a dimension and cannot name an intermediate",
                    st.pos,
                    f"give the intermediate another name, e.g. {st.target}_",
                )
            if st.target in self.intermediates:
                raise self.error(
                    "declaration",
                    f"{st.target!r} is assigned twice",
                    st.pos,
                    "each intermediate is defined once; use a new name",
                )
            if last:
                output, output_name = node, st.target
            else:
                definitions.append(Definition(st.target, node))
                self.intermediates[st.target] = N.Var(st.target, node.shape, "intermediate")
        assert output is not None
        all_shapes = [v.shape for v in self.inputs.values()]
        return TypedProgram(
            self.source,
            dict(self.inputs),
            definitions,
            output,
            output_name,
            S.free_dims(all_shapes),
        )

    # -- expressions ----------------------------------------------------------------------

    def expr(self, syn: Syntax) -> N.Node:
        if id(syn) in self.hints:
            return self.hints[id(syn)]
        if isinstance(syn, Name):
            return self.name(syn)
        if isinstance(syn, Number):
            exact = self.literal(syn)
            if 0 < exact < Fraction(1, 10**300):
                raise self.error(
                    "limit",
                    f"the number {syn.text} is too small for float64 arithmetic",
                    syn.pos,
                    "use 0 or a number above 1e-300",
                    limit="min_literal",
                    value=0,
                )
            if exact > Fraction(10) ** 300:
                raise self.error(
                    "limit",
                    f"the number {syn.text} is too large for float64 arithmetic",
                    syn.pos,
                    "use a number below 1e300",
                    limit="max_literal",
                    value=10**300,
                )
            return N.Const(sp.Rational(exact.numerator, exact.denominator))
        if isinstance(syn, Unary):
            operand = self.expr(syn.operand)
            if syn.op == "+":
                return operand
            # -2 is the number −2 (so (-2) ** a is checked like any constant base).
            return N.Const(-operand.value) if isinstance(operand, N.Const) else N.Neg(operand)
        if isinstance(syn, TransposeOp):
            operand = self.expr(syn.operand)
            return operand if operand.is_scalar else N.Transpose(operand)
        if isinstance(syn, BinOp):
            return self.binop(syn)
        if isinstance(syn, Call):
            return self.call(syn)
        raise AssertionError(syn)  # pragma: no cover

    def literal(self, syn: Number) -> Fraction:
        """The exact value of a literal, bounded before it is converted: Python refuses ints of
        more than 4300 digits, and Fraction("1e999999999") would build a billion-digit power."""
        mantissa, _, exponent = syn.text.lower().partition("e")
        written = mantissa.replace(".", "")
        if len(written) > MAX_LITERAL_DIGITS:
            raise self.error(
                "limit",
                f"the number has {len(written)} digits; the limit is {MAX_LITERAL_DIGITS}",
                syn.pos,
                "float64 keeps about 17 significant digits: round the number, or use e notation"
                " (1.5e300)",
                limit="max_literal_digits",
                value=MAX_LITERAL_DIGITS,
            )
        if not written.strip("0"):
            return Fraction(0)  # 0e999999999 is zero; never compute its power of ten
        scale = int(exponent or 0) if len(exponent.lstrip("+-").lstrip("0")) <= 6 else None
        if scale is None or abs(scale) > 10_000:
            too_large = scale > 0 if scale is not None else not exponent.startswith("-")
            # Outside float64's range whatever the mantissa: let the range checks word it.
            return Fraction(10) ** (400 if too_large else -400)
        return Fraction(syn.text)  # the lexer admits only ASCII digits, '.', 'e' and a sign

    def constant(self, value: sp.Expr, syn: BinOp) -> N.Const:
        """A folded constant, held to the same float64 range as a literal."""
        if (
            value.is_number
            and value != 0
            and (abs(value) > sp.Integer(10) ** 300 or abs(value) < sp.Rational(1, 10**300))
        ):
            raise self.error(
                "limit",
                f"the constant {sp.N(value, 6)} is outside the float64 range chainrule works in",
                syn.pos,
                "keep constants between 1e-300 and 1e300 in size",
                limit="max_literal",
                value=10**300,
            )
        return N.Const(value)

    def name(self, syn: Name) -> N.Node:
        if syn.id in self.inputs:
            return self.inputs[syn.id]
        if syn.id in self.intermediates:
            return self.intermediates[syn.id]
        known = [*self.inputs, *self.intermediates]
        close = difflib.get_close_matches(syn.id, known, n=1)
        if close:
            hint = f"did you mean {close[0]!r}? Otherwise declare it, e.g. --var {syn.id}=n"
        else:
            hint = f"declare it with its shape, e.g. --var {syn.id}=n (a vector) or --var {syn.id} (a scalar)"
        if syn.id in USER_FUNCTIONS:
            hint = f"{syn.id} is a function: call it as {syn.id}(...)"
        message = f"{syn.id!r} is not declared"
        later = next(
            (i for i, st in enumerate(self.program.statements) if st.target == syn.id), None
        )
        if later is not None:
            where = self.program.statements[later].pos
            if later == self.current:
                message = f"{syn.id!r} is used in its own definition"
                hint = "an intermediate is defined once, from names defined before it"
            else:
                message = (
                    f"{syn.id!r} is used before its definition"
                    f" (line {where.line}, column {where.column})"
                )
                hint = f"statements run in order: move '{syn.id} = ...' above its first use"
            raise self.error(
                "undeclared_name", message, syn.pos, hint, name=syn.id, defined_at=where.line
            )
        raise self.error("undeclared_name", message, syn.pos, hint, name=syn.id)

    def binop(self, syn: BinOp) -> N.Node:
        a = self.expr(syn.left)
        b = self.expr(syn.right)
        op = syn.op
        if op == "@" and syn.implicit and (a.is_scalar or b.is_scalar):
            op = "*"  # juxtaposition with a scalar is scaling: 2 W, \lambda x, (u^T h) v
        if op == "@":
            return self.matmul(a, b, syn)
        if op == "**":
            if not b.is_scalar:
                raise self.shape_error(
                    f"the exponent must be a scalar, not {S.describe(b.shape)}",
                    syn.pos,
                    "powers are elementwise: x ** 2 squares every entry",
                    a,
                    b,
                )
            if (
                isinstance(b, N.Const)
                and b.value.is_number
                and abs(b.value) > self.limits.max_exponent
            ):
                raise self.error(
                    "limit",
                    f"the exponent {b.value} exceeds the limit of {self.limits.max_exponent}",
                    syn.pos,
                    "use a smaller exponent",
                    limit="max_exponent",
                    value=self.limits.max_exponent,
                )
            if isinstance(a, N.Const) and isinstance(b, N.Const):
                folded = a.value**b.value  # 2 ** 10 is 1024, so x ** 2 ** 10 meets the limit
                if folded.is_real and folded.is_finite:
                    return self.constant(folded, syn)
                raise self.error(
                    "value",
                    f"{a.value} ** {b.value} is not a finite real number",
                    syn.pos,
                    "use a positive base for fractional powers and a nonzero base for negative ones",
                )
            if isinstance(a, N.Const) and a.value <= 0:
                raise self.error(
                    "value",
                    f"the base {a.value} of a power with a non-constant exponent must be positive",
                    syn.pos,
                    f"write exp(a * log(c)) with c > 0; {a.value} ** a has no derivative in a",
                )
            return N.Apply("pow", a, b)
        if not (a.is_scalar or b.is_scalar or a.shape == b.shape):
            verb = {
                "+": "add",
                "-": "subtract",
                "*": "multiply elementwise",
                "/": "divide elementwise",
            }[op]
            hint = "elementwise operators need equal shapes (or a scalar)"
            if op == "*" and a.shape[1] == b.shape[0]:
                hint = "for the matrix product write @ instead of *"
            elif a.shape == S.transpose(b.shape):
                hint = "the shapes are transposes of each other: transpose one operand with .T"
            raise self.shape_error(
                f"cannot {verb} {S.describe(a.shape)} and {S.describe(b.shape)}",
                syn.pos,
                hint,
                a,
                b,
            )
        if isinstance(b, N.Const) and b.value == 0 and op == "/":
            raise self.error(
                "value",
                "division by zero",
                syn.pos,
                "the divisor is the constant 0; divide by a nonzero number or a variable",
            )
        if isinstance(a, N.Const) and isinstance(b, N.Const):
            # Constant arithmetic is done exactly now: 2 - 2 is 0, 1/3 - 1 is -2/3.
            x, y = a.value, b.value
            return self.constant({"+": x + y, "-": x - y, "*": x * y, "/": x / y}[op], syn)
        if op == "+":
            return N.Add(a, b)
        if op == "-":
            return N.Add(a, N.Neg(b))
        if op == "*":
            return N.Mul(a, b)
        if isinstance(b, N.Const) and b.value == 0:
            raise self.error(
                "value",
                "division by zero",
                syn.pos,
                "the divisor is the constant 0; divide by a nonzero number or a variable",
            )
        return N.Div(a, b)

    def matmul(self, a: N.Node, b: N.Node, syn: BinOp) -> N.Node:
        if a.is_scalar or b.is_scalar:
            raise self.shape_error(
                f"@ needs two matrices or vectors, got {S.describe(a.shape)} and {S.describe(b.shape)}",
                syn.pos,
                "to scale by a scalar, use *",
                a,
                b,
            )
        if a.shape[1] != b.shape[0]:
            hint = f"the inner dimensions {a.shape[1]} and {b.shape[0]} must agree"
            if S.is_column(a.shape) and S.is_column(b.shape):
                hint = "for the inner product of two vectors write u.T @ h or dot(u, h)"
            elif a.shape[0] == b.shape[0]:
                hint = "transpose the left operand: A.T @ B"
            elif a.shape[1] == b.shape[1]:
                hint = "transpose the right operand: A @ B.T"
            raise self.shape_error(
                f"cannot multiply {S.describe(a.shape)} by {S.describe(b.shape)}",
                syn.pos,
                hint,
                a,
                b,
            )
        return N.MatMul(a, b)

    def call(self, syn: Call) -> N.Node:
        name = syn.func
        if name not in USER_FUNCTIONS and (name in self.inputs or name in self.intermediates):
            raise self.error(
                "unknown_function",
                f"{name!r} is a variable, not a function",
                syn.func_pos,
                f"write an operator for the product: {name} @ (...) for a matrix product,"
                f" {name} * (...) for a product by a scalar or elementwise",
                name=name,
            )
        if name == "ones":
            raise self.error(
                "unknown_function",
                "𝟏 (a vector of ones) has no form in the expression language",
                syn.func_pos,
                "write the answer without 𝟏, e.g. \\sum_i x_i as \\sum x, or 𝟏 xᵀ as a sum of rows",
                name=name,
            )
        internal = syn.internal and name in FUNCTIONS and not FUNCTIONS[name].user_facing
        if name not in USER_FUNCTIONS and not internal:
            close = difflib.get_close_matches(name, list(USER_FUNCTIONS), n=1, cutoff=0.5)
            hint = (
                f"did you mean {close[0]}?"
                if close
                else "known functions: " + ", ".join(sorted(USER_FUNCTIONS))
            )
            raise self.error(
                "unknown_function", f"unknown function {name!r}", syn.func_pos, hint, name=name
            )
        arity = FUNCTIONS[name].arity if internal else USER_FUNCTIONS[name]
        if (arity is None and not syn.args) or (arity is not None and len(syn.args) != arity):
            want = (
                "one or more arguments"
                if arity is None
                else f"{arity} argument{'s' * (arity != 1)}"
            )
            usage = {"leaky_relu": "leaky_relu(x, alpha)", "max": "max(a, b)", "min": "min(a, b)",
                     "dot": "dot(u, v)", "outer": "outer(u, v)", "concat": "concat(x1, x2, ...)"}.get(name, f"{name}(x)")  # fmt: skip
            raise self.error(
                "arity",
                f"{name} takes {want}, got {len(syn.args)}",
                syn.func_pos,
                f"call it as {usage}",
                expected=arity,
                got=len(syn.args),
            )
        args = [self.expr(a) for a in syn.args]
        if name == "log" and isinstance(args[0], N.Softmax):
            # log softmax(z) is the log-softmax: one op, stable in value and in gradient.
            return N.LogSoftmax(args[0].children[0])
        if name in FUNCTIONS:
            return self.elementwise(name, args, syn)
        return _REDUCTION_BUILDERS[name](self, args, syn)

    def elementwise(self, name: str, args: list[N.Node], syn: Call) -> N.Node:
        spec = FUNCTIONS[name]
        if spec.scalar_params:
            for extra in args[1:]:
                if not extra.is_scalar:
                    raise self.shape_error(
                        f"the second argument of {name} must be a scalar, not {S.describe(extra.shape)}",
                        syn.func_pos,
                        f"e.g. {name}(x, 0.01)",
                        *args,
                    )
        elif len(args) == 2 and not (
            args[0].is_scalar or args[1].is_scalar or args[0].shape == args[1].shape
        ):
            raise self.shape_error(
                f"{name} of {S.describe(args[0].shape)} and {S.describe(args[1].shape)}: shapes must match",
                syn.func_pos,
                f"{name} is elementwise: give two arrays of the same shape, or a scalar",
                *args,
            )
        return N.Apply(name, *args)

    # -- reductions and linear algebra ----------------------------------------------------

    def need_vector(self, name: str, a: N.Node, syn: Call) -> None:
        if not S.is_column(a.shape):
            hint = f"{name} works on column vectors"
            if S.is_row(a.shape):
                hint += f": drop the transpose, {name}(x)"
            raise self.shape_error(
                f"{name} needs a vector, got {S.describe(a.shape)}", syn.func_pos, hint, a
            )

    def need_square(self, name: str, a: N.Node, syn: Call) -> None:
        if not S.is_matrix(a.shape) or a.shape[0] != a.shape[1]:
            raise self.shape_error(
                f"{name} needs a square matrix, got {S.describe(a.shape)}",
                syn.func_pos,
                "declare it with equal dimensions, e.g. --var X=n,n",
                a,
            )


def _sum(e: _Elaborator, args: list[N.Node], syn: Call) -> N.Node:
    return args[0] if args[0].is_scalar else N.Sum(args[0])


def _mean(e: _Elaborator, args: list[N.Node], syn: Call) -> N.Node:
    return args[0] if args[0].is_scalar else N.Mean(args[0])


def _norm2(e: _Elaborator, args: list[N.Node], syn: Call) -> N.Node:
    return N.Norm2(args[0])


def _dot(e: _Elaborator, args: list[N.Node], syn: Call) -> N.Node:
    a, b = args
    if S.is_column(a.shape) and a.shape == b.shape:
        return N.MatMul(N.Transpose(a), b)
    if S.is_matrix(a.shape) and a.shape == b.shape:
        return N.Sum(N.Mul(a, b))  # the Frobenius inner product
    raise e.shape_error(
        f"dot needs two vectors (or matrices) of the same shape, got {S.describe(a.shape)} and {S.describe(b.shape)}",
        syn.func_pos,
        "for a matrix-vector product write A @ x",
        a,
        b,
    )


def _outer(e: _Elaborator, args: list[N.Node], syn: Call) -> N.Node:
    a, b = args
    for x in args:
        e.need_vector("outer", x, syn)
    return N.MatMul(a, N.Transpose(b))


def _square(cls: type[N.Node], name: str) -> Callable[[_Elaborator, list[N.Node], Call], N.Node]:
    def build(e: _Elaborator, args: list[N.Node], syn: Call) -> N.Node:
        e.need_square(name, args[0], syn)
        return cls(args[0])

    return build


def _diag(e: _Elaborator, args: list[N.Node], syn: Call) -> N.Node:
    e.need_vector("diag", args[0], syn)
    return N.Diag(args[0])


def _vector_fn(cls: type[N.Node], name: str) -> Callable[[_Elaborator, list[N.Node], Call], N.Node]:
    def build(e: _Elaborator, args: list[N.Node], syn: Call) -> N.Node:
        e.need_vector(name, args[0], syn)
        return cls(args[0])

    return build


def _concat(e: _Elaborator, args: list[N.Node], syn: Call) -> N.Node:
    for a in args:
        e.need_vector("concat", a, syn)
    return args[0] if len(args) == 1 else N.Concat(*args)


_REDUCTION_BUILDERS: dict[str, Callable[[_Elaborator, list[N.Node], Call], N.Node]] = {
    "sum": _sum,
    "mean": _mean,
    "dot": _dot,
    "outer": _outer,
    "norm2": _norm2,
    "trace": _square(N.Trace, "trace"),
    "det": _square(N.Det, "det"),
    "logdet": _square(N.LogDet, "logdet"),
    "inv": _square(N.Inverse, "inv"),
    "diag": _diag,
    "softmax": _vector_fn(N.Softmax, "softmax"),
    "log_softmax": _vector_fn(N.LogSoftmax, "log_softmax"),
    "logsumexp": _vector_fn(N.LogSumExp, "logsumexp"),
    "concat": _concat,
}


def elaborate(
    text: str,
    variables: Mapping[str, Sequence[str | int] | str | int | None],
    limits: Limits = DEFAULT_LIMITS,
) -> TypedProgram:
    """Parse and type-check a program against its variable declarations."""
    inputs = declare(variables, limits)
    roles = declarations(variables, inputs)
    program = parse(text, limits)
    typed = _Elaborator(program, inputs, limits).run()
    typed.declarations = roles
    return typed
