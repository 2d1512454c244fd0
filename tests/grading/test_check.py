"""check(): messages, tolerances (no false correct, no false incorrect), credits, caching."""

from __future__ import annotations

import pytest

import derivations
from derivations.errors import ChainruleError
from derivations.grading import Problem, check
from derivations.grading.check import context

NET = {
    "program": "z = W @ x + b; h = tanh(z); s = u.T @ h",
    "variables": {"W": ["n", "m"], "x": ["m"], "b": ["n"], "u": ["n"]},
    "wrt": "W",
}
QUAD = {"program": "x.T @ A @ x", "variables": {"A": ["n", "n"], "x": ["n"]}, "wrt": "x"}


def test_check_is_exported_and_returns_the_contract_dict() -> None:
    d = derivations.check(NET, "delta @ x.T").to_dict()
    assert set(d) == {
        "correct", "score", "verdict", "diagnosis", "expected_shape", "answer_shape",
        "answer_latex", "evidence", "feedback",
    }  # fmt: skip
    assert d["evidence"]["draws"] == 9 and len(d["evidence"]["sizes"]) == 3
    assert d["evidence"]["exact"]["passed"] is True


def test_shape_messages_say_what_is_asked() -> None:
    r = check(NET, "x @ delta.T")
    assert r.diagnosis[0].message.startswith(
        "Your answer is (m, n); ∂s/∂W has the shape of W, (n, m)"
    )
    assert "transpose" in r.diagnosis[0].message
    r = check(NET, "delta @ b.T")
    assert r.diagnosis[0].message == "Your answer is (n, n); ∂s/∂W has the shape of W, (n, m)."
    r = check({**NET, "wrt": "b"}, "delta.T")
    assert r.diagnosis[0].kind == "layout" and "(1, n)" in r.diagnosis[0].message


@pytest.mark.parametrize(
    "answer",
    [
        "delta @ x.T * 1.000000001",  # a relative error float64 cannot resolve at a glance
        "delta @ x.T + 1e-12",
        "(u * (1 - h**2 + 1e-10)) @ x.T",
    ],
)
def test_nearly_right_is_not_correct(answer: str) -> None:
    r = check(NET, answer)
    assert r.verdict == "incorrect", r.feedback
    assert r.evidence["exact"]["passed"] is False


@pytest.mark.parametrize(
    ("problem", "answer"),
    [
        (QUAD, "(A + A.T) @ x + 1e6 * x - 1e6 * x"),  # cancellation: rounding, not a difference
        (QUAD, "(A @ A @ x + A.T @ A @ x) - A @ (A @ x - x) - A.T @ (A @ x - x)"),
        ({**NET, "wrt": "b"}, "u * (1 - h) * (1 + h)"),
        ({**NET, "wrt": "b"}, "u * (1 - tanh(z) * tanh(z))"),
        (
            {"program": "sum(sigmoid(z))", "variables": {"z": ["n"]}, "wrt": "z"},
            "sigmoid(z) * sigmoid(-z)",
        ),
        (
            {"program": "logdet(X)", "variables": {"X": ["n", "n"]}, "wrt": "X"},
            "inv(X.T) @ X.T @ inv(X.T)",
        ),
    ],
)
def test_equivalent_forms_are_correct(problem: dict, answer: str) -> None:
    r = check(problem, answer)
    assert r.verdict == "correct", r.feedback


def test_instructor_credit_and_reveal() -> None:
    p = Problem(**NET, credit={"sign": 0.8}, reveal_reference=True)
    r = check(p, "-delta @ x.T")
    assert r.score == pytest.approx(0.8) and r.reference_latex == "\\delta x^{T}"
    assert "The expected answer" in r.feedback
    assert "reference_latex" not in check(NET, "-delta @ x.T").to_dict()


def test_known_wrong_answers_come_first() -> None:
    p = Problem(
        **NET,
        known_wrong=[{"answer": "u @ x.T", "feedback": "Remember f'(z).", "credit": 0.3}],
    )
    r = check(p, "outer(u, x)")
    assert r.kinds == ["known_wrong"] and r.score == pytest.approx(0.3)
    assert "Remember f'(z)." in r.feedback


def test_scale_by_a_dimension_is_named() -> None:
    p = {
        "program": "mean((X @ w - y) ** 2)",
        "variables": {"X": ["N", "d"], "w": ["d"], "y": ["N"]},
        "wrt": "w",
    }
    r = check(p, "2 * X.T @ (X @ w - y)")
    assert r.kinds == ["scale"] and "N" in r.diagnosis[0].message


def test_not_equivalent_shows_an_input_and_entries() -> None:
    r = check(NET, "W")
    d = r.diagnosis[0]
    assert d.kind == "not_equivalent" and d.details["entries"]
    assert set(d.details["inputs"]) == {"W", "x", "b", "u"}
    assert "expected_latex" not in d.details and r.reference_latex is None


def test_undeclared_names_list_the_allowed_ones() -> None:
    r = check(NET, "dz @ x.T")
    assert r.verdict == "invalid" and "delta" in r.diagnosis[0].details["hint"]


def test_the_reference_is_derived_once_per_problem() -> None:
    p = Problem(**NET)
    assert context(p) is context(Problem(**NET))


@pytest.mark.parametrize(
    ("problem", "kind"),
    [
        ({**NET, "wrt": "q"}, "not_a_variable"),
        ({**NET, "kind": "jacobian"}, "problem"),
        ({**NET, "names": ["W", "zeta"]}, "problem"),
        ({**NET, "definitions": {"d": "u @"}}, "syntax"),
        (
            {
                "program": "sum(log(x))",
                "variables": {"x": ["n"]},
                "wrt": "x",
                "known_wrong": [{"answer": "x @", "feedback": "f"}],
            },
            "problem",
        ),
    ],
)
def test_bad_problems_raise(problem: dict, kind: str) -> None:
    with pytest.raises(ChainruleError) as info:
        check(problem, "x")
    assert info.value.kind == kind


@pytest.mark.parametrize("dim", [3000, "3000"])
def test_large_numeric_dimensions_are_refused(dim: int | str) -> None:
    with pytest.raises(ChainruleError, match="at most 16"):
        check({"program": "sum(W @ x)", "variables": {"W": [dim, 2], "x": [2]}, "wrt": "W"}, "x")


THIRDS = {"program": "s = sum(x**2) / 3", "variables": {"x": ["n"]}, "wrt": "x"}


def test_a_rounded_fraction_is_told_it_is_not_exact() -> None:
    # Equal in float64, unequal exactly: the message must not list entries that print alike.
    result = check(THIRDS, "0.6666666666666666 * x")
    assert result.verdict == "incorrect" and result.diagnosis[0].kind == "not_equivalent"
    message = result.diagnosis[0].message
    assert "exact arithmetic" in message and "fractions" in message
    assert "the two sides differ." not in message  # the old message, with nothing listed
    assert check(THIRDS, "2 * x / 3").correct


def test_a_factor_near_one_is_printed_with_its_digits() -> None:
    result = check(THIRDS, "0.6667 * x")
    assert result.diagnosis[0].kind == "scale"
    assert "1.00005 times" in result.diagnosis[0].message  # not "1 times the right one"


def test_a_row_of_ones_in_latex_is_told_its_layout_not_that_its_size_is_unknown() -> None:
    problem = {"program": "s = sum(W @ x)", "variables": {"W": ["m", "n"], "x": ["n"]}}
    assert check({**problem, "wrt": "x"}, r"W^T \mathbf{1}", "latex").correct
    result = check({**problem, "wrt": "x"}, r"\mathbf{1}^T W", "latex")
    assert result.verdict == "incorrect" and result.diagnosis[0].kind == "layout"
