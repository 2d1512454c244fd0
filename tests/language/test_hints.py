"""Hints for the habits of a new user (issue 8 §5): each names the position and the fix."""

from __future__ import annotations

import pytest

from derivations import ChainruleError, derive
from derivations.language.hints import greek_name

NET = {"W": ("n", "m"), "x": ("m",), "b": ("n",), "A": ("m", "m"), "z": ("n",)}


def _error(program: str, variables: dict | None = None) -> ChainruleError:
    with pytest.raises(ChainruleError) as info:
        derive(program, NET if variables is None else variables, verify=False)
    return info.value


@pytest.mark.parametrize(
    ("program", "column", "fix"),
    [
        ("W x + b", 3, "W @ x for a matrix product"),
        ("x.T A x", 5, "x.T @ A for a matrix product"),
        ("x.T @ A x", 9, "A @ x for a matrix product"),
        ("(W @ x) b", 9, "(...) @ b for a matrix product"),
        ("x.T (A @ x)", 5, "x.T @ (...) for a matrix product"),
        ("2 z", 3, "write an operator between 2 and z: 2 * z"),
    ],
)
def test_juxtaposition_hints_at_matmul(program: str, column: int, fix: str) -> None:
    e = _error(program)
    assert e.kind == "syntax" and e.position == {"line": 1, "column": column}
    assert fix in e.hint


def test_a_variable_called_like_a_function_hints_at_an_operator() -> None:
    e = _error("W (x) + b")
    assert e.kind == "unknown_function" and e.position == {"line": 1, "column": 1}
    assert e.message == "'W' is a variable, not a function"
    assert "W @ (...)" in e.hint


@pytest.mark.parametrize(
    ("program", "prefix", "fix"),
    [
        ("np.tanh(z)", "np", "write tanh(...)"),
        ("sum(torch.sigmoid(z))", "torch", "write sigmoid(...)"),
        ("sum(jnp.exp(z))", "jnp", "write exp(...)"),
        ("sum(np.arctanh(z))", "np", "arctanh is not one of chainrule's functions"),
    ],
)
def test_a_module_prefix_hints_to_drop_it(program: str, prefix: str, fix: str) -> None:
    e = _error(program)
    assert e.kind == "syntax" and e.message.startswith(f"unexpected '{prefix}.'")
    assert e.position == {"line": 1, "column": program.index(prefix) + 1}
    assert f"drop the '{prefix}.' prefix" in e.hint and fix in e.hint


def test_a_lowercase_transpose_hints_at_the_capital() -> None:
    e = _error("z.t @ z")
    assert e.position == {"line": 1, "column": 2} and "capital T" in e.hint


@pytest.mark.parametrize(
    ("program", "column", "hint"),
    [
        ("sum(σ(z))", 5, "write sigmoid(...): σ(...) is spelled sigmoid"),
        ("Σ(z)", 1, "write sum(...)"),
        ("sum(√(z))", 5, "write sqrt(...)"),
        ("sum(z) * λ", 10, "names are ASCII: write lam (it prints as λ)"),
        ("sum(z) * σ", 10, "names are ASCII: write sigma (it prints as σ)"),
        ("sum(Δ)", 5, "write Delta (it prints as Δ)"),
        ("xᵀ @ x", 2, "write .T for the transpose (x.T)"),
        ("x.T @ A ⋅ x", 9, "@ for a matrix product"),
        ("sum(z ∘ z)", 7, "* for the elementwise (Hadamard) product"),
        ("sum(z²)", 6, "** 2 for a square"),
        ("sum(z) − 1", 8, "- (an ASCII minus)"),
    ],
)
def test_unicode_spellings_suggest_the_ascii_one(program: str, column: int, hint: str) -> None:
    e = _error(program)
    assert e.kind == "syntax" and e.position == {"line": 1, "column": column}
    assert hint in e.hint


def test_greek_names() -> None:
    assert [greek_name(c) for c in "σςΣλΛεδΔa"] == [
        "sigma", "sigma", "Sigma", "lam", "Lambda", "epsilon", "delta", "Delta", None,
    ]  # fmt: skip


def test_t_is_a_dimension_name() -> None:
    r = derive("h = tanh(W @ x); sum(h)", {"W": ("T", "d"), "x": ("d",)})
    assert r.verification_passed
    assert r.to_dict()["derivatives"][0]["shape"] == ["T", "d"]


def test_t_is_not_a_variable_name_since_x_to_the_t_reads_as_a_transpose() -> None:
    e = _error("x ** T", {"x": (), "T": ()})
    assert e.kind == "declaration" and "transpose" in e.message
    assert "T is fine as a dimension name" in e.hint
    e = _error("T = sum(x); T", {"x": ("n",)})
    assert e.kind == "declaration" and e.position == {"line": 1, "column": 1}


def test_a_name_defined_on_a_later_line_says_where() -> None:
    e = _error("s = sum(h)\nh = tanh(z)\ns2 = 2 * s", {"z": ("n",)})
    assert e.kind == "undeclared_name" and e.position == {"line": 1, "column": 9}
    assert e.message == "'h' is used before its definition (line 2, column 1)"
    assert "move 'h = ...' above its first use" in e.hint
    assert e.details["defined_at"] == 2


def test_a_name_used_in_its_own_definition_says_so() -> None:
    e = _error("h = tanh(h)\nsum(h)", {"z": ("n",)})
    assert e.message == "'h' is used in its own definition"
    assert e.position == {"line": 1, "column": 10}


def test_an_undeclared_name_without_a_later_definition_is_unchanged() -> None:
    e = _error("sum(q)", {"z": ("n",)})
    assert e.message == "'q' is not declared" and "declare it" in e.hint


def test_a_missing_separator_is_not_taken_for_a_product() -> None:
    e = _error("h = tanh(z) s = sum(h)")
    assert e.position == {"line": 1, "column": 13}
    assert e.hint == "separate statements with a new line or ';'"
