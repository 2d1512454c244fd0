"""chainrule's own displayed LaTeX for indexing and class-label programs reads back in the
grader and is graded correct; a near miss of it (a flipped sign, the wrong basis vector, a
dropped e_y) is graded wrong. The display is what students copy, so it must be readable."""

from __future__ import annotations

import pytest

from derivations import derive
from derivations.grading.check import check

LABEL = {"kind": "label", "classes": "k"}
DATA_M = {"shape": ["m"], "role": "data"}

PROBLEMS = [
    ("J = cross_entropy(z, y)", {"z": ["k"], "y": LABEL}, "z"),
    ("-log_softmax(z)[y]", {"z": ["k"], "y": LABEL}, "z"),
    ("z[y] - logsumexp(z)", {"z": ["k"], "y": LABEL}, "z"),
    ("log_softmax(W @ x)[y]", {"W": ["k", "m"], "x": DATA_M, "y": LABEL}, "W"),
    (
        "z = W @ x + b; J = cross_entropy(z, y)",
        {"W": ["k", "m"], "x": DATA_M, "b": ["k"], "y": LABEL},
        "W",
    ),  # fmt: skip
    (
        "z = W @ x + b; J = cross_entropy(z, y)",
        {"W": ["k", "m"], "x": DATA_M, "b": ["k"], "y": LABEL},
        "b",
    ),  # fmt: skip
    ("z.T @ onehot(y, k) + u.T @ z", {"z": ["k"], "y": LABEL, "u": ["k"]}, "z"),
    ("x[0] * x[2]", {"x": ["n"]}, "x"),
    ("x[0] * x[-1] + x[1]", {"x": [4]}, "x"),
    ("W[1, 2] + sum(W[:, 1])", {"W": ["n", "n"]}, "W"),
    ("x.T @ W @ onehot(1, m) + u.T @ x", {"x": ["m"], "W": ["m", "m"], "u": ["m"]}, "x"),
    ("z[y] * z[0]", {"z": ["k"], "y": LABEL}, "z"),
]


def _displayed(program: str, variables: dict, wrt: str) -> str:
    result = derive(program, variables, wrt=wrt)
    (item,) = [d for d in result.to_dict()["derivatives"] if d.get("wrt", wrt) == wrt]
    return item["latex"]


def _problem(program: str, variables: dict, wrt: str) -> dict:
    return {"program": program, "variables": variables, "wrt": wrt}


@pytest.mark.parametrize(("program", "variables", "wrt"), PROBLEMS)
def test_chainrule_own_displayed_answer_is_graded_correct(program, variables, wrt) -> None:
    shown = _displayed(program, variables, wrt)
    r = check(_problem(program, variables, wrt), shown, answer_format="latex")
    assert r.verdict == "correct", (shown, r.feedback)


def _near_misses(shown: str) -> list[str]:
    out = [rf"-\left({shown}\right)"]  # the wrong sign of the whole (δ xᵀ shows no e_y)
    if r"- \mathbf{e}_{y}" in shown:
        out.append(shown.replace(r"- \mathbf{e}_{y}", r"+ \mathbf{e}_{y}", 1))
    for k in ("1", "2", "3", "4"):  # the next entry instead (e_{1} -> e_{2}, [x]_{4} -> [x]_{1})
        other = str(int(k) % 3 + 1)
        for form in (r"\mathbf{e}_{%s}", r"\right]_{%s}"):
            if form % k in shown:
                out.append(shown.replace(form % k, form % other, 1))
    if r"\mathbf{e}_{y}" in shown:
        out.append(shown.replace(r"\mathbf{e}_{y}", r"\mathbf{e}_{1}", 1))
    return out


@pytest.mark.parametrize(("program", "variables", "wrt"), PROBLEMS)
def test_a_near_miss_of_the_displayed_answer_is_graded_wrong(program, variables, wrt) -> None:
    shown = _displayed(program, variables, wrt)
    misses = _near_misses(shown)
    assert len(misses) > 1 or r"\delta" in shown, shown  # e_y or an entry to perturb
    for miss in misses:
        r = check(_problem(program, variables, wrt), miss, answer_format="latex")
        assert r.verdict != "correct" and r.score < 1, (miss, r.feedback)


def test_dropping_e_y_is_graded_wrong_and_named() -> None:
    problem = _problem("J = cross_entropy(z, y)", {"z": ["k"], "y": LABEL}, "z")
    shown = r"\operatorname{softmax}\left(z\right) - \mathbf{e}_{y}"
    assert _displayed(problem["program"], problem["variables"], "z") == shown
    r = check(problem, r"\operatorname{softmax}\left(z\right)", answer_format="latex")
    assert r.verdict == "incorrect" and r"\mathbf{e}_{y}" in r.feedback
    for spelt in (r"\operatorname{softmax}(z) - e_y", r"\operatorname{softmax}(z) - e_{y}"):
        assert check(problem, spelt, answer_format="latex").verdict == "correct"


def test_basis_vectors_need_a_label_or_an_entry_in_range() -> None:
    problem = _problem("x[0] * x[2]", {"x": ["n"]}, "x")
    r = check(problem, r"\left[x\right]_{1} \mathbf{e}_{7}", answer_format="latex")
    assert r.verdict == "invalid" and "count from 1" in r.feedback
    labelled = _problem("z[y]", {"z": ["k"], "y": LABEL, "u": ["k"]}, "z")
    r = check(labelled, r"\mathbf{e}_{u}", answer_format="latex")
    assert r.verdict == "invalid" and "class label" in r.feedback


def test_a_declared_name_e_y_is_still_the_name() -> None:
    problem = _problem("e_y.T @ x", {"x": ["n"], "e_y": ["n"]}, "x")
    assert check(problem, r"e_{y}", answer_format="latex").verdict == "correct"


def test_the_last_entry_e_n_reads_as_x_minus_1() -> None:
    problem = _problem("x[-1] * x[0]", {"x": ["n"]}, "x")
    shown = _displayed(*problem.values())
    assert r"\mathbf{e}_{n}" in shown
    assert check(problem, shown, answer_format="latex").verdict == "correct", shown
