"""Assignments: a TOML file of questions, graded against one submission's answers.

    title = "Homework 2"
    [[questions]]
    id = "dW"
    points = 2
    program = "z = W @ x + b; h = tanh(z); s = u.T @ h"
    variables = { W = ["n", "m"], x = ["m"], b = ["n"], u = ["n"] }
    wrt = "W"
    answer_format = "latex"            # or "expression" (default), or "numpy"
    credit = { transpose = 0.25 }
    [[questions.known_wrong]]
    answer = "u @ x.T"
    feedback = "You forgot f'(z)."

A question may name a catalog entry instead (``catalog_id = "one-hidden-layer"``). Answers are a
JSON or TOML mapping from question id to the answer text (or ``{answer, format}``); a NumPy
question reads the function ``function`` (default ``grad_<wrt>``) from the submitted ``file``.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..declared import Declaration
from ..errors import ChainruleError
from ..limits import DEFAULT_LIMITS
from .check import as_problem, check_in, context
from .problem import KnownWrong, Problem
from .result import CheckResult

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    points: float = Field(gt=0)
    title: str | None = None
    program: str | None = None
    variables: dict[str, Declaration] | None = None
    catalog_id: str | None = None
    wrt: str | None = None
    kind: Literal["gradient", "jacobian"] = "gradient"
    names: list[str] | None = None
    definitions: dict[str, str] | None = None
    reveal_reference: bool = False
    known_wrong: list[KnownWrong] = Field(default_factory=list)
    credit: dict[str, float] = Field(default_factory=dict)
    answer_format: Literal["expression", "latex", "numpy"] = "expression"
    function: str | None = None
    file: str = "gradients.py"

    @model_validator(mode="after")
    def _source(self) -> Question:
        if not _ID.fullmatch(self.id):
            raise ValueError(f"question id {self.id!r} must be letters, digits, '_', '-' or '.'")
        if self.catalog_id is None and (self.program is None or self.variables is None):
            raise ValueError(f"question {self.id!r} needs program and variables, or catalog_id")
        if self.catalog_id is None and self.wrt is None:
            raise ValueError(f"question {self.id!r} needs wrt")
        return self

    def problem(self) -> Problem:
        fields = {
            "kind": self.kind,
            "names": self.names,
            "definitions": self.definitions,
            "reveal_reference": self.reveal_reference,
            "known_wrong": [k.model_dump() for k in self.known_wrong],
            "credit": self.credit,
        }
        if self.catalog_id is not None:
            return as_problem({"catalog_id": self.catalog_id, "wrt": self.wrt, **fields})
        return as_problem(
            {"program": self.program, "variables": self.variables, "wrt": self.wrt, **fields}
        )

    @property
    def function_name(self) -> str:
        return self.function or f"grad_{self.problem().wrt}"


class Assignment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = "Assignment"
    questions: list[Question] = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _unique(self) -> Assignment:
        ids = [q.id for q in self.questions]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"question ids {twice} appear more than once")
        return self

    @property
    def max_points(self) -> float:
        return sum(q.points for q in self.questions)


def _read_mapping(path: Path, what: str) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ChainruleError(
            "assignment", f"cannot read the {what} {str(path)!r}: {exc.strerror}"
        ) from None
    try:
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ChainruleError(
            "assignment",
            f"the {what} {path.name} is not valid {'JSON' if path.suffix == '.json' else 'TOML'}: {exc}",
        ) from None
    if not isinstance(data, dict):
        raise ChainruleError("assignment", f"the {what} {path.name} must be a mapping")
    return data


def load_assignment(path: str | Path) -> Assignment:
    data = _read_mapping(Path(path), "assignment")
    try:
        return Assignment.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ChainruleError(
            "assignment",
            f"{Path(path).name}: {where}: {first['msg']}",
            hint="see `chainrule grade --help` for the assignment format",
        ) from None


def load_answers(path: str | Path) -> dict[str, Any]:
    """``{question id: answer text or {answer, format}}`` from JSON or TOML."""
    return _read_mapping(Path(path), "answers file")


@dataclass
class Graded:
    question: Question
    points: float
    result: CheckResult | None
    message: str  # Markdown: the feedback, or why nothing was graded

    @property
    def score(self) -> float:
        return self.points / self.question.points


@dataclass
class GradedSubmission:
    assignment: Assignment
    questions: list[Graded]

    @property
    def points(self) -> float:
        return sum(g.points for g in self.questions)

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.assignment.title,
            "score": round(self.points, 6),
            "max_score": self.assignment.max_points,
            "questions": [
                {
                    "id": g.question.id,
                    "points": round(g.points, 6),
                    "max_points": g.question.points,
                    "feedback": g.message,
                    "result": g.result.to_dict() if g.result else None,
                }
                for g in self.questions
            ],
        }


def _answer_of(raw: Any, question: Question) -> tuple[str, str]:
    if isinstance(raw, str):
        return raw, question.answer_format
    if isinstance(raw, dict) and isinstance(raw.get("answer"), str):
        fmt = raw.get("format", question.answer_format)
        return raw["answer"], fmt if isinstance(fmt, str) else question.answer_format
    raise ChainruleError(
        "assignment",
        f"the answer to {question.id!r} must be text or {{answer, format}}",
        hint='e.g. "dW" = "delta @ x.T"',
    )


def grade_question(
    question: Question, answers: dict[str, Any], submission_dir: Path | None
) -> Graded:
    if question.answer_format == "numpy":
        from .numpy_answers import check_function

        base = submission_dir or Path.cwd()
        path = base / question.file
        if not path.is_file():
            return Graded(question, 0.0, None, f"No file `{question.file}` was submitted.")
        result = check_function(question.problem(), path, question.function_name)
    else:
        if question.id not in answers:
            return Graded(question, 0.0, None, "No answer was given.")
        text, fmt = _answer_of(answers[question.id], question)
        ctx = context(question.problem())
        result = check_in(ctx, text, fmt, DEFAULT_LIMITS)
    return Graded(question, result.score * question.points, result, result.feedback)


def grade_submission(
    assignment: Assignment, answers: dict[str, Any], submission_dir: Path | None = None
) -> GradedSubmission:
    """Every question graded; an invalid question (an instructor's error) raises."""
    return GradedSubmission(
        assignment, [grade_question(q, answers, submission_dir) for q in assignment.questions]
    )
