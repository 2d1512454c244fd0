"""Syntax tree + variable declarations -> typed program, checking every shape.

This is where user mistakes are caught and explained: each error carries the position of the
offending operator or name, both operands' shapes, and a hint that says what to write instead.
Declarations are read by ``declarations.py``, calls by ``calls.py`` (through the op registry);
this module elaborates statements, names, literals and operators.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from fractions import Fraction

import sympy as sp

from ..errors import ChainruleError
from ..expr import nodes as N
from ..expr import shapes as S
from ..expr.broadcast import broadcast_pair, mismatch_detail
from ..expr.program import Definition, TypedProgram
from ..limits import DEFAULT_LIMITS, Limits
from .ast import BinOp, Call, Name, Number, Pos, Program, Syntax, TransposeOp, Unary
from .calls import CallElaboration
from .declarations import (
    USER_FUNCTIONS,
    _check_name,
    declare,
    dimension_expression,
)
from .parser import parse
from .roles import declarations

__all__ = [
    "MAX_LITERAL_DIGITS",
    "USER_FUNCTIONS",
    "_check_name",
    "declare",
    "dimension_expression",
    "elaborate",
]

# Digits a number literal may have (float64 keeps 17; Python refuses ints above 4300).
MAX_LITERAL_DIGITS = 100


class _Elaborator(CallElaboration):
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
        # Class labels (name -> number of classes): they may only pick entries (indexing.py).
        self.labels: dict[str, str] = {}
        self.program = program
        self.source = program.source
        self.inputs = inputs
        self.limits = limits
        self.intermediates: dict[str, N.Var] = {}
        # Functions that only derivatives write (sign, normal_cdf): an answer may use them,
        # since the grader's feedback names them (a program may not).
        self.derivative_functions = False
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
        if syn.id in self.labels:
            raise self.error(
                "shape_mismatch",
                f"{syn.id!r} is a class label: it can only pick an entry",
                syn.pos,
                f"write z[{syn.id}], onehot({syn.id}, {self.labels[syn.id]}) or"
                f" cross_entropy(z, {syn.id}); for arithmetic declare a one-hot vector instead",
            )
        if syn.id in self.inputs:
            return self.inputs[syn.id]
        if syn.id in self.intermediates:
            return self.intermediates[syn.id]
        dim = next((d for d in self.dims if str(d) == syn.id), None)
        if dim is not None:
            return self.dimension(dim, syn)
        if syn.id == "pi":  # the number π, unless the program names something pi
            return N.Const(sp.pi)
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

    def dimension(self, dim: sp.Symbol, syn: Name) -> N.Const:
        """A declared dimension used as a number, sum(x) / n: a positive integer symbol, which
        verification binds to the drawn size and the printers print as n."""
        if syn.id == "T":
            raise self.error(
                "declaration",
                "the dimension T cannot be used as a number: x ** T would print as x^T, the"
                " transpose",
                syn.pos,
                "rename the dimension (e.g. --var x=L) to use it as a number",
                name=syn.id,
            )
        return N.Const(dim)

    def binop(self, syn: BinOp) -> N.Node:
        a = self.expr(syn.left)
        b = self.expr(syn.right)
        op = syn.op
        if op == "@" and syn.implicit and (a.is_scalar or b.is_scalar):
            op = "*"  # juxtaposition with a scalar is scaling: 2 W, \lambda x, (u^T h) v
        if op == "@":
            return self.matmul(a, b, syn)
        if op == "**" and syn.implicit and S.is_matrix(a.shape) and a.shape[0] == a.shape[1]:
            return self.matrix_power(a, b, syn)
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
        pair = broadcast_pair(a, b)
        if pair is None:
            raise self.elementwise_mismatch(op, a, b, syn)
        a, b = pair
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

    def matrix_power(self, a: N.Node, b: N.Node, syn: BinOp) -> N.Node:
        """LaTeX X^{k} of a square matrix: the matrix power, as textbooks mean it (the Hadamard
        power is X^{\\circ k}); X^{-k} is (X^{-1})^{k}. Built through matpow's registry entry,
        so its limit and its printed form are the expression language's."""
        k = b.value if isinstance(b, N.Const) else None
        if k is None or not (k.is_number and k.is_integer):
            raise self.error(
                "value",
                "a power X^{k} of a square matrix is the matrix power, which needs an integer"
                f" exponent, got {'an expression' if k is None else k}",
                syn.pos,
                "for the elementwise (Hadamard) power write X^{\\circ k}",
            )
        base = syn.left if k >= 0 else Call("inv", (syn.left,), syn.pos, syn.pos)
        power = Number(str(abs(int(k))), syn.pos)
        return self.call(Call("matpow", (base, power), syn.pos, syn.pos))

    def elementwise_mismatch(self, op: str, a: N.Node, b: N.Node, syn: BinOp) -> ChainruleError:
        verb = {"+": "add", "-": "subtract", "*": "multiply elementwise",
                "/": "divide elementwise"}[op]  # fmt: skip
        axis, hint = mismatch_detail(a.shape, b.shape)
        hint = hint or "elementwise operators need equal shapes, a scalar, or a vector and a matrix"
        if op == "*" and a.shape[1] == b.shape[0]:
            hint = "for the matrix product write @ instead of *"
        elif a.shape == S.transpose(b.shape):
            hint = "the shapes are transposes of each other: transpose one operand with .T"
        return self.shape_error(
            f"cannot {verb} {S.describe(a.shape)} and {S.describe(b.shape)}"
            + (f" ({axis})" if axis else ""),
            syn.pos,
            hint,
            a,
            b,
        )

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


def elaborate(
    text: str,
    variables: Mapping[str, Sequence[str | int] | str | int | None],
    limits: Limits = DEFAULT_LIMITS,
) -> TypedProgram:
    """Parse and type-check a program against its variable declarations."""
    inputs = declare(variables, limits)
    roles = declarations(variables, inputs)
    program = parse(text, limits)
    elaborator = _Elaborator(program, inputs, limits)
    elaborator.labels = {n: str(d.classes) for n, d in roles.items() if d.is_label}
    typed = elaborator.run()
    typed.declarations = roles
    return typed
