"""Request and response models of /v1/check and /v1/check/batch (homework checking).

A problem is inline (``expression``, ``variables``, ``wrt``…) or a catalog entry
(``catalog_id``, ``wrt``?). Answers are text in the expression language or LaTeX; the NumPy
function format exists only in the CLI grader, so the service never runs student code.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

from .schemas import Shape, Variable, _Request

AnswerFormat = Literal["expression", "latex"]
Share = Annotated[float, Field(strict=True, ge=0.0, le=1.0)]
MAX_BATCH = 1000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KnownWrongIn(_Strict):
    answer: str = Field(min_length=1)
    format: AnswerFormat = "expression"
    feedback: str = Field(min_length=1)
    credit: Share = 0.0


class _Judging(_Strict):
    kind: Literal["gradient", "jacobian"] = "gradient"
    reveal_reference: StrictBool = False
    names: list[StrictStr] | None = None
    definitions: dict[str, StrictStr] | None = None
    known_wrong: list[KnownWrongIn] = Field(default_factory=list, max_length=100)
    credit: dict[str, Share] = Field(default_factory=dict)


class InlineProblem(_Judging):
    expression: str = Field(description="the program whose output is differentiated")
    variables: dict[str, Variable]
    wrt: StrictStr


class CatalogProblem(_Judging):
    catalog_id: StrictStr = Field(description="a catalog entry id, e.g. one-hidden-layer")
    wrt: StrictStr | None = Field(None, description="default: the entry's first variable")


_EXAMPLE_PROBLEM = {
    "expression": "z = W @ x + b; h = tanh(z); s = u.T @ h",
    "variables": {"W": ["n", "m"], "x": ["m"], "b": ["n"], "u": ["n"]},
    "wrt": "W",
}


class CheckRequest(_Request):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"problem": _EXAMPLE_PROBLEM, "answer": "x @ delta.T"},
                {"problem": {"catalog_id": "one-hidden-layer", "wrt": "W"}, "answer": "\\delta x^T", "answer_format": "latex"},
            ]
        },
    )  # fmt: skip

    problem: InlineProblem | CatalogProblem
    answer: str = Field(max_length=20_000)
    answer_format: AnswerFormat = "expression"


class BatchAnswer(_Strict):
    id: StrictStr | None = None
    answer: str = Field(max_length=20_000)
    answer_format: AnswerFormat = "expression"


class CheckBatchRequest(_Request):
    problem: InlineProblem | CatalogProblem
    answers: list[BatchAnswer] = Field(min_length=1, max_length=MAX_BATCH)


class DiagnosisOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    kind: str = Field(
        description="transpose, sign, scale, layout, substitution, missing_factor, missing_term, shape, not_equivalent, not_evaluable, known_wrong, syntax …"
    )
    message: str
    credit: float


class CheckResponse(BaseModel):
    model_config = ConfigDict(extra="allow")
    correct: bool
    score: float = Field(ge=0.0, le=1.0)
    verdict: Literal["correct", "incorrect", "invalid"]
    diagnosis: list[DiagnosisOut]
    expected_shape: Shape
    answer_shape: Shape | None
    answer_latex: str | None
    evidence: dict[str, Any]
    feedback: str = Field(description="Markdown for the student")
    reference_latex: str | None = Field(None, description="only when the problem reveals it")


class CheckBatchResponse(BaseModel):
    results: list[CheckResponse]


def problem_payload(problem: InlineProblem | CatalogProblem) -> dict[str, Any]:
    """The library's problem mapping (``derivations.grading.check.as_problem`` reads it)."""
    data = problem.model_dump(exclude_none=True)
    if "expression" in data:
        data["program"] = data.pop("expression")
    return data
