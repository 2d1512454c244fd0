"""Every error class names the position, the problem and the fix."""

from __future__ import annotations

import pytest

from derivations import ChainruleError, Limits, derive
from derivations.language.parser import parse

NET = {"W": ("n", "m"), "x": ("m",), "b": ("n",), "u": ("n",)}


def _error(program: str, variables: dict | None = None, **kw) -> ChainruleError:
    with pytest.raises(ChainruleError) as info:
        derive(program, NET if variables is None else variables, verify=False, **kw)
    return info.value


def test_syntax_error_has_caret_and_hint() -> None:
    e = _error("u.T @ (W @ x +")
    assert e.kind == "syntax" and e.position == {"line": 1, "column": 15}
    assert "^" in str(e) and "unclosed" in e.hint


def test_caret_points_at_the_column() -> None:
    e = _error("h = tanh(W @ x)\ns = u.T ^ h")
    assert e.position == {"line": 2, "column": 9}
    assert e.excerpt().splitlines()[1].index("^") == 2 + 8
    assert "**" in e.hint


def test_undeclared_name_suggests_the_nearest() -> None:
    e = _error("u.T @ tanh(W @ xx + b)")
    assert e.kind == "undeclared_name" and e.position == {"line": 1, "column": 16}
    assert "'x'" in e.hint


def test_unknown_function_suggests_the_nearest() -> None:
    e = _error("u.T @ tahn(W @ x + b)")
    assert e.kind == "unknown_function" and e.position == {"line": 1, "column": 7}
    assert e.hint == "did you mean tanh?"


def test_shape_mismatch_names_both_shapes() -> None:
    e = _error("u @ (W @ x)")
    assert e.kind == "shape_mismatch" and e.position == {"line": 1, "column": 3}
    assert "vector (n,)" in e.message
    assert e.details["operands"] == [["n"], ["n"]]
    assert "u.T @ h" in e.hint and "dot(u, h)" in e.hint


def test_shape_mismatch_suggests_matmul_for_star() -> None:
    e = _error("W * x")
    assert "@" in e.hint and e.details["operands"] == [["n", "m"], ["m"]]


def test_shape_mismatch_suggests_a_transpose() -> None:
    e = _error("sum(W @ u)")
    assert "transpose the left operand" in e.hint


def test_wrong_number_of_arguments() -> None:
    e = _error("sum(max(x))")
    assert e.kind == "arity" and "max takes 2 arguments, got 1" in e.message
    assert e.hint == "call it as max(a, b)"


def test_differentiating_by_an_intermediate() -> None:
    e = _error("z = W @ x + b; s = u.T @ tanh(z)", wrt=["z"])
    assert e.kind == "not_a_variable" and "intermediate" in e.message
    assert "W, x, b, u" in e.hint


def test_differentiating_by_an_unknown_name() -> None:
    e = _error("u.T @ x", {"u": ("n",), "x": ("n",)}, wrt=["q"])
    assert e.kind == "not_a_variable" and "not declared" in e.message


def test_declaration_errors() -> None:
    assert _error("x", {"x": ("n", "m", "k")}).kind == "declaration"
    assert "scalar" in _error("x", {"x": (1,)}).hint
    assert _error("x", {"1x": ("n",)}).kind == "declaration"
    assert _error("x", {"x": ("n-1",)}).kind == "declaration"
    assert "function" in _error("exp", {"exp": ("n",)}).message
    e = _error("x = u; x", {"x": ("n",), "u": ("n",)})
    assert e.kind == "declaration" and "declared as a variable" in e.message


def test_limits_are_enforced_before_work() -> None:
    limits = Limits(max_depth=50, max_statements=10, max_expression_length=500, max_exponent=8)
    assert (
        _error("(" * 60 + "x" + ")" * 60, {"x": ()}, limits=limits).details["limit"] == "max_depth"
    )
    assert _error("-" * 80 + "x", {"x": ()}, limits=limits).details["limit"] == "max_depth"
    many = "; ".join(f"a{i} = x" for i in range(20)) + "; x"
    assert _error(many, {"x": ()}, limits=limits).details["limit"] == "max_statements"
    assert (
        _error("x + " * 200 + "x", {"x": ()}, limits=limits).details["limit"]
        == "max_expression_length"
    )
    assert _error("x ** 99999", {"x": ()}, limits=limits).details["limit"] == "max_exponent"
    assert _error("x", {"x": (100000,)}).details["limit"] == "max_numeric_dim"


def test_deep_nesting_is_refused_quickly() -> None:
    with pytest.raises(ChainruleError) as info:
        parse("(" * 5000 + "x" + ")" * 5000)
    assert info.value.kind == "limit"


def test_only_the_last_statement_may_be_bare() -> None:
    e = _error("W @ x; u.T @ x", {"W": ("n", "n"), "x": ("n",), "u": ("n",)})
    assert e.kind == "syntax" and "last statement" in e.message


def test_hessian_of_a_vector_is_refused() -> None:
    e = _error("W @ x", hessian=True)
    assert e.kind == "shape_mismatch" and "scalar output" in e.message
