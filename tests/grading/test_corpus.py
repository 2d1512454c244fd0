"""The acceptance corpus: realistic student answers with their expected verdict and diagnosis.

Each corpus file lists problems (inline or by catalog id) and, per problem, answers tagged with
their format, the verdict they must get and (for near misses) the diagnosis kind. Zero false
"correct" and zero false "incorrect" on equivalent forms are the bar.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from derivations.grading import check

CORPUS = Path(__file__).with_name("corpus")


def _cases() -> list[Any]:
    out = []
    for path in sorted(CORPUS.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for problem in data["problems"]:
            cases = problem.pop("cases")
            pid = problem.pop("id")
            for k, case in enumerate(cases):
                fmt = case.get("format", "expression")
                out.append(pytest.param(problem, case, id=f"{pid}-{k}-{fmt}-{case['verdict']}"))
    return out


CASES = _cases()


def test_corpus_is_large_and_covers_every_kind_and_format() -> None:
    assert len(CASES) >= 150
    cases = [p.values[1] for p in CASES]
    kinds = {c.get("kind") for c in cases}
    for kind in (
        "transpose", "sign", "scale", "layout", "substitution", "missing_factor",
        "missing_term", "shape", "not_equivalent", "syntax",
    ):  # fmt: skip
        assert kind in kinds, kind
    formats = {c.get("format", "expression") for c in cases if c["verdict"] == "correct"}
    assert formats == {"expression", "latex"}


@pytest.mark.parametrize(("problem", "case"), CASES)
def test_corpus_answer(problem: dict[str, Any], case: dict[str, Any]) -> None:
    result = check(problem, case["answer"], case.get("format", "expression"))
    got = result.to_dict()
    assert result.verdict == case["verdict"], got["feedback"]
    assert result.correct == (case["verdict"] == "correct")
    if result.correct:
        assert result.score == 1.0 and not result.diagnosis
        assert got["evidence"]["draws"] >= 2 and len(got["evidence"]["sizes"]) >= 1
    else:
        assert result.score < 1.0
    if "kind" in case:
        assert result.diagnosis and result.diagnosis[0].kind == case["kind"], got["feedback"]
    assert got["feedback"]
