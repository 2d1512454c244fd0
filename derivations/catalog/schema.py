"""The shape of a catalog entry, checked by pydantic so a typo in a TOML file fails loudly.

Entries are data that students and graders read, so the schema is strict: unknown keys are
rejected (a misspelt ``note`` would otherwise vanish silently), ids are slugs (they appear in
URLs and CLI arguments) and every name in ``wrt`` must be a declared variable.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..declared import Declaration

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")  # applied with fullmatch

Dims = list[str | int]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Technique(_Strict):
    """A training technique: its rule in LaTeX and where the tested NumPy code lives."""

    formula: str = Field(min_length=1)
    implementation: str = Field(pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


class Training(_Strict):
    """How ``train-code`` turns the entry into a runnable script.

    ``program`` overrides the entry's program when the entry shows a score but training needs a
    loss; ``variables`` adds declarations for it. ``data`` says how to synthesize each data
    input: ``normal`` features, or ``onehot`` labels produced by a random teacher so that the
    task is learnable.
    """

    program: str | None = None
    variables: dict[str, Dims] = Field(default_factory=dict)
    parameters: list[str] = Field(min_length=1)
    biases: list[str] = Field(default_factory=list)
    data: dict[str, Literal["normal", "onehot"]] = Field(default_factory=dict)
    sizes: dict[str, int] = Field(default_factory=dict)
    samples: int = Field(default=64, ge=1, le=10_000)
    batch_size: int = Field(default=8, ge=1)

    @model_validator(mode="after")
    def _check(self) -> Training:
        overlap = set(self.parameters) & set(self.data)
        if overlap:
            raise ValueError(f"{sorted(overlap)} listed as both parameters and data")
        stray = set(self.biases) - set(self.parameters)
        if stray:
            raise ValueError(f"biases {sorted(stray)} are not listed in parameters")
        return self


class TraceExpect(_Strict):
    """The values a worked example must reproduce (what a homework checker grades against)."""

    value: float
    gradients: dict[str, float | list[float] | list[list[float]]] = Field(default_factory=dict)


class Entry(_Strict):
    id: str
    title: str = Field(min_length=1)
    summary: str = Field(min_length=1)
    tags: list[str] = Field(min_length=1)
    program: str = Field(min_length=1)
    variables: dict[str, Declaration] = Field(min_length=1)
    wrt: list[str] = Field(min_length=1)
    notes: list[str] = Field(min_length=1)
    trace_at: dict[str, Any] | None = None
    trace_expect: TraceExpect | None = None
    technique: Technique | None = None
    training: Training | None = None

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.fullmatch(value):
            raise ValueError(
                f"id {value!r} is not a slug: use lower-case letters, digits and single hyphens"
            )
        return value

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        for tag in value:
            if not SLUG.fullmatch(tag):
                raise ValueError(f"tag {tag!r} is not a slug (lower-case words joined by '-')")
        return value

    @model_validator(mode="after")
    def _names(self) -> Entry:
        unknown = [w for w in self.wrt if w not in self.variables]
        if unknown:
            raise ValueError(f"wrt names {unknown} are not declared in variables")
        if self.trace_at is not None:
            missing = sorted(set(self.variables) - set(self.trace_at))
            if missing:
                raise ValueError(f"trace_at gives no value for {missing}")
        if self.trace_expect is not None and self.trace_at is None:
            raise ValueError("trace_expect needs trace_at (the point the values belong to)")
        if self.training is not None:
            declared = {**self.variables, **self.training.variables}
            named = [*self.training.parameters, *self.training.data]
            unknown = [n for n in named if n not in declared]
            if unknown:
                raise ValueError(f"training names {unknown} are not declared variables")
        return self
