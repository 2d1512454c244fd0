"""A matrix power and an elementwise power never print or read alike.

The convention (README, "LaTeX answers"): for a matrix operand X^{k} is the matrix power Xᵏ and
the elementwise power prints as the Hadamard power X^{\\circ k} (X∘² in Unicode); a scalar or a
vector keeps x^{2}. The reader: X^{\\circ k} is always elementwise; X^{k} of a square matrix is
matpow; of a scalar, a vector or a non-square matrix it is elementwise (their only power).
"""

from __future__ import annotations

import numpy as np
import pytest

from derivations import derive
from derivations.errors import ChainruleError
from derivations.expr import nodes as N
from derivations.grading import check
from derivations.language.declarations import declare
from derivations.language.latex_reader import parse_latex
from derivations.language.latex_typing import elaborate_latex
from derivations.limits import DEFAULT_LIMITS
from derivations.ops.products import MatPow
from derivations.printing.unicode import to_unicode
from derivations.verify.displayed import check_displayed
from derivations.verify.syntax_values import evaluate_syntax

SQUARE = {"X": ("n", "n")}
CUBE = {"program": "J = trace(matpow(X, 3))", "variables": {"X": ["n", "n"]}, "wrt": "X"}


def _delta(program: str) -> str:
    d = derive(program, SQUARE, verify=False).to_dict()
    return next(x["latex"] for x in d["definitions"] if x["role"] == "adjoint")


def test_the_matrix_power_and_the_hadamard_power_print_apart() -> None:
    # The review's pair: both defined Δ as \cos\left(X^{2}\right).
    assert _delta("sum(sin(matpow(X, 2)))") == r"\cos\left(X^{2}\right)"
    d = derive("sum(sin(X ** 2))", SQUARE, verify=False).to_dict()
    assert r"X^{\circ 2}" in d["derivatives"][0]["latex"]
    assert "X∘²" in to_unicode(d["derivatives"][0]["latex"])
    assert r"X^{2}" not in d["derivatives"][0]["latex"]


def test_vectors_scalars_and_function_heads_keep_the_plain_power() -> None:
    d = derive("sum(x ** 3) + a ** 2", {"x": ("n",), "a": ()}, verify=False).to_dict()
    latex = " ".join(x["latex"] for x in d["derivatives"])
    assert "x^{2}" in latex and r"\circ 2" not in latex
    # tanh²(Z) is the function squared entry by entry, for a matrix too (as sin² x is)
    d = derive("sum(tanh(Z))", {"Z": ("n", "m")}, verify=False).to_dict()
    assert r"\tanh^{2}\left(Z\right)" in d["derivatives"][0]["latex"]


@pytest.mark.parametrize(
    "answer",
    [r"3 \left(X^{T}\right)^{2}", "3 (X^T)^2", r"3 \left(X^{2}\right)^{T}", "3 X^T X^T", "3 (Xᵀ)²"],
)
def test_every_spelling_of_the_matrix_square_is_graded_correct(answer: str) -> None:
    r = check(CUBE, answer, "latex")
    assert r.correct, (answer, r.to_dict()["feedback"])


@pytest.mark.parametrize(
    "answer", [r"3 \left(X^{T}\right)^{\circ 2}", r"3 \left(X^{\circ 2}\right)^{T}", "3 (Xᵀ)∘²"]
)
def test_the_hadamard_square_is_graded_wrong(answer: str) -> None:
    r = check(CUBE, answer, "latex")
    assert not r.correct and r.verdict == "incorrect", answer


def test_expression_answers_keep_python_meanings() -> None:
    assert check(CUBE, "3 * matpow(X.T, 2)").correct
    assert not check(CUBE, "3 * X.T ** 2").correct  # ** is elementwise, as in NumPy


def _typed(latex: str, names: dict[str, tuple]) -> N.Node:
    return elaborate_latex(latex, declare(names, DEFAULT_LIMITS)).output


def test_the_reader_types_powers_by_the_operand() -> None:
    assert isinstance(_typed("X^{2}", SQUARE), MatPow)
    assert isinstance(_typed("X²", SQUARE), MatPow)
    assert isinstance(_typed("X^{\\circ 2}", SQUARE), N.Apply)
    assert isinstance(_typed("X∘²", SQUARE), N.Apply)
    assert isinstance(_typed("x^{2}", {"x": ("n",)}), N.Apply)
    # a non-square matrix has no matrix power: W^{2} can only mean the entries squared
    assert isinstance(_typed("W^{2}", {"W": ("n", "m")}), N.Apply)
    assert isinstance(_typed("X^{1}", SQUARE), N.Var)
    assert isinstance(_typed("X^{0}", SQUARE), N.Identity)
    assert isinstance(_typed("X^{-1}", SQUARE), N.Inverse)
    negative = _typed("X^{-2}", SQUARE)
    assert isinstance(negative, MatPow) and isinstance(negative.children[0], N.Inverse)


def test_a_fractional_power_of_a_square_matrix_is_refused_with_the_hadamard_spelling() -> None:
    with pytest.raises(ChainruleError) as exc:
        _typed("X^{1/2}", SQUARE)
    assert "matrix power" in exc.value.message and r"X^{\circ k}" in exc.value.hint
    assert isinstance(_typed(r"X^{\circ \frac{1}{2}}", SQUARE), N.Apply)


def test_read_back_values_follow_the_convention() -> None:
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    for latex, want in [
        ("X^{2}", x @ x),
        ("X^{3}", x @ x @ x),
        ("X^{-2}", np.linalg.inv(x @ x)),
        (r"X^{\circ 2}", x * x),
        ("X∘³", x**3),
        ("X∘⁻¹", 1 / x),
    ]:
        tree = parse_latex(latex, names={"X"}).statements[0].value
        got = evaluate_syntax(tree, {"X": x}, (2, 2))
        assert np.allclose(got, want), latex
    tree = parse_latex("x^{2}", names={"x"}).statements[0].value
    assert np.allclose(evaluate_syntax(tree, {"x": np.array([1.0, 3.0])}, (2,)), [1.0, 9.0])


@pytest.mark.parametrize(
    ("program", "hessian"), [("trace(matpow(X, 5))", True), ("matpow(X, 3)", False)]
)
def test_displayed_forms_of_matrix_powers_read_back(program: str, hessian: bool) -> None:
    # Both reported FAILED (displayed_form only) on correct results before the convention.
    result = derive(program, SQUARE, hessian=hessian, verify=False)
    check = check_displayed(result, index_forms=True)
    assert check["passed"], check["detail"]
    assert not any("power" in u for u in check["not_read"]), check["not_read"]
    assert check["read"] >= 1
