"""Grading problems that declare data and kinds: ŷ − y is right exactly when y is one-hot."""

from __future__ import annotations

import pytest

from derivations.grading import Problem, check

ONEHOT = {"shape": ["k"], "role": "data", "kind": "onehot"}
CE = {"program": "J = -y.T @ log_softmax(z)", "variables": {"z": ["k"], "y": ONEHOT}, "wrt": "z"}
CE_PLAIN = {"program": CE["program"], "variables": {"z": ["k"], "y": ["k"]}, "wrt": "z"}


@pytest.mark.parametrize(
    "answer", ["softmax(z) - y", "sum(y) * softmax(z) - y", "-(y - softmax(z))"]
)
def test_one_hot_label_grades_yhat_minus_y_correct(answer: str) -> None:
    r = check(CE, answer)
    assert r.verdict == "correct", r.feedback
    assert r.to_dict()["evidence"]["exact"]["passed"] is True


def test_yhat_minus_y_is_wrong_when_y_is_not_declared_one_hot() -> None:
    r = check(CE_PLAIN, "softmax(z) - y")
    assert r.verdict != "correct" and r.score < 1
    assert check(CE_PLAIN, "sum(y) * softmax(z) - y").verdict == "correct"


def test_probability_labels_are_checked_exactly_on_the_simplex() -> None:
    problem = {
        "program": "J = -p.T @ log_softmax(W @ x)",
        "variables": {
            "W": ["k", "m"],
            "x": {"shape": ["m"], "role": "data"},
            "p": {"shape": ["k"], "kind": "probability", "role": "data"},
        },
        "wrt": "W",
    }
    r = check(problem, "(softmax(W @ x) - p) @ x.T")
    assert r.verdict == "correct", r.feedback
    assert r.to_dict()["evidence"]["exact"]["passed"] is True
    assert check(problem, "(softmax(W @ x) + p) @ x.T").verdict != "correct"


def test_symmetric_matrix_grades_2Ax() -> None:
    sym = {"shape": ["n", "n"], "kind": "symmetric"}
    problem = {"program": "x.T @ A @ x", "variables": {"x": ["n"], "A": sym}, "wrt": "x"}
    assert check(problem, "2 * A @ x").verdict == "correct"
    assert check(problem, "(A + A.T) @ x").verdict == "correct"
    assert check(problem, "2 * A.T @ x").verdict == "correct"
    plain = {**problem, "variables": {"x": ["n"], "A": ["n", "n"]}}
    assert check(plain, "2 * A @ x").verdict != "correct"


def test_a_problem_may_ask_for_the_gradient_by_data() -> None:
    problem = {
        "program": "J = -y.T @ log_softmax(W @ x)",
        "variables": {"W": ["k", "m"], "x": {"shape": ["m"], "role": "data"}, "y": ONEHOT},
        "wrt": "x",
    }
    assert check(problem, "W.T @ (softmax(W @ x) - y)").verdict == "correct"


def test_problem_validates_declarations() -> None:
    with pytest.raises(ValueError, match="kind"):
        Problem(program="sum(y)", variables={"y": {"shape": ["k"], "kind": "onehat"}}, wrt="y")
    with pytest.raises(ValueError, match="extra"):
        Problem(program="sum(y)", variables={"y": {"shape": ["k"], "colour": "red"}}, wrt="y")


LABEL = {"kind": "label", "classes": "k"}
CE_LABEL = {"program": "J = cross_entropy(z, y)", "variables": {"z": ["k"], "y": LABEL}, "wrt": "z"}


def test_a_label_problem_grades_yhat_minus_e_y() -> None:
    r = check(CE_LABEL, "softmax(z) - onehot(y, k)")
    assert r.verdict == "correct", r.feedback
    assert r.to_dict()["evidence"]["exact"]["passed"] is True
    r = check(CE_LABEL, "onehot(y, k) - softmax(z)")
    assert r.verdict == "incorrect" and r.diagnosis[0].kind == "sign"
    r = check(CE_LABEL, "softmax(z)")
    assert r.verdict == "incorrect" and "e}_{y}" in r.diagnosis[0].message


def test_a_label_used_as_a_number_in_an_answer_is_explained() -> None:
    r = check(CE_LABEL, "y - softmax(z)")
    assert r.verdict == "invalid" and "class label" in r.feedback


def test_an_assignment_file_declares_kinds_and_labels(tmp_path) -> None:
    from derivations.grading.assignment import grade_submission, load_assignment

    (tmp_path / "a.toml").write_text(
        """title = "labels"

[[questions]]
id = "onehot"
points = 1
program = "J = -y.T @ log_softmax(z)"
variables = { z = ["k"], y = { shape = ["k"], role = "data", kind = "onehot" } }
wrt = "z"

[[questions]]
id = "label"
points = 1
program = "J = cross_entropy(z, y)"
variables = { z = ["k"], y = { kind = "label", classes = "k" } }
wrt = "z"
""",
        encoding="utf-8",
    )
    assignment = load_assignment(tmp_path / "a.toml")
    graded = grade_submission(
        assignment, {"onehot": "softmax(z) - y", "label": "softmax(z) - onehot(y, k)"}, tmp_path
    )
    assert graded.to_dict()["score"] == 2


@pytest.mark.parametrize(("kind", "axis"), [("onehot", 1), ("probability", 1), ("onehot", 0)])
def test_a_matrix_of_labels_grades_yhat_minus_y_along_its_axis(kind: str, axis: int) -> None:
    """Ŷ − Y is right when the labels are of the kind along the softmax's axis (checked
    exactly, each probability row summing to exactly 1), and wrong along the other axis."""
    labels = {"shape": ["T", "c"], "kind": kind, "axis": axis, "role": "data"}
    problem = {
        "program": "J = -sum(Y * log_softmax(Z, axis=1))",
        "variables": {"Z": ["T", "c"], "Y": labels},
        "wrt": "Z",
    }
    r = check(problem, "softmax(Z, axis=1) - Y")
    if axis == 1:
        assert r.verdict == "correct", r.feedback
        assert r.to_dict()["evidence"]["exact"]["passed"] is True
    else:
        assert r.verdict != "correct" and r.score < 1
