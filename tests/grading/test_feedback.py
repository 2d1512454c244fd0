"""Feedback a student can act on: names typed as they are typed, overflow is not a verdict,
undeclared names get a hint, messages agree in number."""

from __future__ import annotations

import pytest

from derivations.errors import ChainruleError
from derivations.expr import nodes as N
from derivations.grading import check
from derivations.grading.check import as_problem
from derivations.grading.expression_text import readable
from derivations.grading.problem import build_reference

ABS = {
    "program": "J = sum(abs(x - 1) * w)",
    "variables": {"x": {"shape": ["n"], "kind": "positive"}, "w": ["n"]},
    "wrt": "x",
}
TRACE = {"program": "J = trace(A @ B)", "variables": {"A": ["n", "n"], "B": ["n", "n"]}, "wrt": "A"}
LABEL = {"kind": "label", "classes": "k"}
SOFTMAX = {
    "program": "z = W @ x + b; J = cross_entropy(z, y)",
    "variables": {"W": ["k", "m"], "x": {"shape": ["m"], "role": "data"}, "b": ["k"], "y": LABEL},
    "wrt": "b",
}


def test_a_missing_factor_is_named_as_the_student_types_it_and_that_is_accepted() -> None:
    r = check(ABS, "w")
    assert r.kinds == ["missing_factor"], r.feedback
    assert "`sign(x - 1)`" in r.diagnosis[0].message
    assert check(ABS, "w * sign(x - 1)").verdict == "correct"
    latex = check(ABS, "w", "latex")
    assert "`" not in latex.diagnosis[0].message  # LaTeX answers read the LaTeX form
    assert check(ABS, r"w \circ \operatorname{sign}(x - 1)", "latex").verdict == "correct"


def test_derivative_only_functions_are_answers_not_program_functions() -> None:
    relu = {
        "program": "J = sum(relu(W @ x))",
        "variables": {"W": ["n", "m"], "x": ["m"]},
        "wrt": "W",
    }
    assert check(relu, "gt(W @ x, 0) @ x.T").verdict == "correct"
    gelu = {"program": "J = sum(gelu(x))", "variables": {"x": ["n"]}, "wrt": "x"}
    assert check(gelu, "normal_cdf(x) + x * normal_pdf(x)").verdict == "correct"
    r = check(gelu, "normal_cdf(x)")
    assert r.kinds == ["missing_term"] and "`normal_pdf(x) * x`" in r.diagnosis[0].message
    from derivations import derive

    with pytest.raises(ChainruleError, match="unknown function 'sign'"):
        derive("J = sum(sign(x))", {"x": ["n"]}, verify=False)


@pytest.mark.parametrize(
    "answer", ["B.T * exp(1000) / exp(1000)", "B.T + 0 * exp(exp(10) * (A * A + 1))"]
)
def test_an_overflow_is_not_evaluable_never_a_wrong_answer(answer: str) -> None:
    r = check(TRACE, answer)
    assert r.verdict == "invalid" and r.score == 0, r.feedback
    (d,) = r.diagnosis
    assert d.kind == "not_evaluable" and d.details["cause"] == "overflow"
    assert "overflows" in d.message and "None" not in d.message
    assert r.feedback.startswith("**Your answer could not be evaluated.**")


@pytest.mark.parametrize(
    ("answer", "cause", "words"),
    [
        ("B.T + log(A - 100)", "invalid value", "is not a real number"),
        ("B.T / (A - A)", "divide by zero", "divides by zero"),
    ],
)
def test_an_answer_undefined_where_the_derivative_is_defined_says_where(answer, cause, words):
    r = check(TRACE, answer)
    assert r.verdict == "incorrect", r.feedback
    (d,) = r.diagnosis
    assert d.kind == "not_equivalent" and d.details["cause"] == cause
    assert words in d.message and "None" not in d.message


@pytest.mark.parametrize(
    ("answer", "answer_format", "hint"),
    [
        (r"\hat{y} - e_y", "latex", r"$\operatorname{softmax}\left(z\right)$"),
        ("yhat - onehot(y, k)", "expression", "`softmax(z)`"),
        ("p - onehot(y, k)", "expression", "`softmax(z)`"),
        ("softmax(z) - e_y", "expression", "onehot(y, k)"),
    ],
)
def test_an_undeclared_name_gets_a_hint_of_what_to_write(answer, answer_format, hint) -> None:
    r = check(SOFTMAX, answer, answer_format)
    assert r.verdict == "invalid"
    assert hint in r.diagnosis[0].details["hint"], r.diagnosis[0].details
    assert "the names you may use are" in r.diagnosis[0].details["hint"]


def test_label_messages_agree_in_number() -> None:
    from derivations import derive

    variables = {"c": ["m"], "l": {"kind": "label", "classes": "n"}, "x": ["n"]}
    with pytest.raises(ChainruleError, match="the scores have m entries"):
        derive("J = cross_entropy(c, l) + sum(x)", variables, verify=False)


def test_feedback_text_has_only_the_brackets_precedence_needs() -> None:
    ref = build_reference(as_problem(ABS))
    roots = [ref.node, *(d.node for d in ref.definitions)]
    factor = next(n for r in roots for n in N.walk(r) if isinstance(n, N.Apply))
    assert readable(factor) == "sign(x - 1)"
    x = ref.program.inputs["x"]
    w = ref.program.inputs["w"]
    assert readable(N.Mul(w, N.Add(x, N.Neg(w)))) == "w * (x - w)"
    assert readable(N.Neg(N.Mul(w, x))) == "-w * x"  # (-w) * x: the same value
    assert readable(N.Apply("pow", N.Neg(x), N.Const(2))) == "(-x) ** 2"
    assert readable(N.Transpose(N.Add(x, w))) == "(x + w).T"
