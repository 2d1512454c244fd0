"""Size-dependent mistakes: graded incorrect at sizes that cannot hide them, and named.

The second set of sizes used to be the first reversed (n, B = 3, 4 then 4, 3), which keeps
n·B and n + B: an answer off by n·B/12 was graded correct, and 1/B was named "1/12 · n".
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from derivations.grading import check
from derivations.grading.factors import fit_monomial, monomial_text

BIAS = {"program": "J = sum(sin(X + b))", "variables": {"X": ["n", "B"], "b": ["n"]}, "wrt": "b"}
LAYER = {
    "program": "J = sum(tanh(W @ X + b))",
    "variables": {"W": ["n", "m"], "X": ["m", "B"], "b": ["n"]},
    "wrt": "W",
}
SQUARES = {"program": "J = sum(x**2)", "variables": {"x": ["n"]}, "wrt": "x"}
RIGHT_BIAS = "sum(cos(X + b), axis=1)"
RIGHT_LAYER = "(1 - tanh(W @ X + b)**2) @ X.T"


@pytest.mark.parametrize(
    ("problem", "answer", "factor"),
    [
        (BIAS, f"{RIGHT_BIAS} * n * B / 12", "n·B/12"),
        (LAYER, f"{RIGHT_LAYER} * m / 4", "m/4"),
        (LAYER, f"{RIGHT_LAYER} * n * B / 21", "n·B/21"),
        (BIAS, "mean(cos(X + b), axis=1)", "1/B"),
        (BIAS, f"{RIGHT_BIAS} / B", "1/B"),
        (BIAS, f"{RIGHT_BIAS} * B / n", "B/n"),
        (SQUARES, "2 * x * n / 3", "n/3"),
        (LAYER, f"{RIGHT_LAYER} / B", "1/B"),
    ],
)
def test_a_monomial_factor_of_the_sizes_is_caught_and_named(problem, answer, factor) -> None:
    r = check(problem, answer)
    assert r.verdict == "incorrect", r.feedback
    assert r.kinds == ["scale"], r.feedback
    assert r.diagnosis[0].details["factor"] == factor, r.feedback
    assert f"it is {factor} times the right one" in r.feedback


@pytest.mark.parametrize(
    ("problem", "answer"),
    [
        (BIAS, f"{RIGHT_BIAS} * (n + B) / 7"),
        (SQUARES, "2*x*(n-3)*(n-4) + 2*x"),  # vanishes at the first two sizes of n
    ],
)
def test_a_factor_of_the_sizes_that_is_no_monomial_is_caught_and_described(problem, answer) -> None:
    r = check(problem, answer)
    assert r.verdict == "incorrect" and r.score == 0, r.feedback
    (d,) = r.diagnosis
    assert d.kind == "not_equivalent" and "depends on the sizes" in d.message
    factors = [f["factor"] for f in d.details["factors"]]
    assert len(factors) == 3 and len({round(f, 9) for f in factors}) > 1


def test_the_three_size_sets_change_every_dimension() -> None:
    r = check(LAYER, RIGHT_LAYER)
    assert r.verdict == "correct", r.feedback
    sizes = r.evidence["sizes"]
    assert len(sizes) == 3
    for d in ("n", "m", "B"):
        assert len({s[d] for s in sizes}) == 3, sizes
    assert len({s["n"] * s["B"] for s in sizes}) == 3 and len({s["n"] + s["B"] for s in sizes}) == 3


def test_a_correct_answer_is_confirmed_exactly_at_a_second_set_of_sizes() -> None:
    r = check(BIAS, RIGHT_BIAS)
    exact = r.evidence["exact"]
    assert exact["passed"] is True
    assert exact["also_at"] != exact["sizes"] and set(exact["also_at"]) == {"n", "B"}


def test_a_monomial_is_named_only_when_it_alone_fits_every_set() -> None:
    # n = 3, B = 4 then n = 4, B = 3: 1/B and n/12 both fit, so neither is named.
    assert fit_monomial([({"n": 3, "B": 4}, 1 / 4), ({"n": 4, "B": 3}, 1 / 3)]) is None
    three = [({"n": 3, "B": 4}, 1 / 4), ({"n": 5, "B": 3}, 1 / 3), ({"n": 4, "B": 5}, 1 / 5)]
    assert fit_monomial(three) == (1, {"B": -1})
    assert fit_monomial([(s, 1 / 4 + s["n"]) for s, _ in three]) is None


@pytest.mark.parametrize(
    ("coefficient", "exponents", "text"),
    [
        (1, {"n": 1, "B": 1}, "n·B"),
        (1 / 12, {"n": 1, "B": 1}, "n·B/12"),
        (12, {"n": -1}, "12/n"),
        (2, {"n": 2}, "2·n²"),
        (-1 / 4, {"m": 1}, "−m/4"),
        (1 / 3, {"n": -1, "B": -1}, "1/(3·n·B)"),
    ],
)
def test_monomials_read_as_a_student_writes_them(coefficient, exponents, text) -> None:
    assert monomial_text(Fraction(coefficient).limit_denominator(100), exponents) == text
