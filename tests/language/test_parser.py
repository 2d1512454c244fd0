"""The grammar: precedence, statements, comments."""

from __future__ import annotations

from derivations.language.ast import BinOp, TransposeOp, Unary
from derivations.language.parser import parse


def test_precedence_follows_python() -> None:
    (st,) = parse("-x ** 2 + a * b @ c").statements
    assert isinstance(st.value, BinOp) and st.value.op == "+"
    assert isinstance(st.value.left, Unary) and isinstance(st.value.left.operand, BinOp)
    assert st.value.left.operand.op == "**"
    right = st.value.right
    assert right.op == "@" and right.left.op == "*"


def test_transpose_binds_tightest() -> None:
    (st,) = parse("u.T @ h").statements
    assert isinstance(st.value.left, TransposeOp)


def test_statements_newlines_semicolons_and_comments() -> None:
    program = parse("# a layer\nz = W @ x + b  # affine\n\nh = tanh(z); s = u.T @ h\n")
    assert [s.target for s in program.statements] == ["z", "h", "s"]


def test_numbers() -> None:
    (st,) = parse("1e-3 * x + .5 + 2.").statements
    assert st.value.left.left.left.text == "1e-3"
