"""Request and response models; the responses mirror ``Derivation.to_dict()`` and friends.

Requests are strict (unknown fields are rejected, dimensions are strings or integers, flags are
booleans) so that a typo such as ``"hesian"`` is an error rather than silently ignored. Responses
are declared for the OpenAPI document and the tests but not re-validated per request: the
worker's JSON bytes are sent as they are, and a test checks the library's output against these
models instead.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PlainValidator,
    StrictBool,
    StrictStr,
    Tag,
    model_validator,
)
from typing_extensions import TypedDict  # pydantic needs it below Python 3.12

from derivations.declared import KindName


def _dimension(value: object) -> int | str:
    # One validator instead of a union, so an error names the field once and plainly.
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError('a dimension is a name such as "n" or an integer such as 3')
    return value


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("expected a number")
    try:
        number = float(value)  # a 400-digit JSON integer overflows here, not in isfinite
    except OverflowError:
        raise ValueError("the number is too large for float64") from None
    if not math.isfinite(number):
        raise ValueError("numbers must be finite (no NaN or Infinity)")
    return number


def _values(value: object) -> float | list[float] | list[list[float]]:
    """A scalar, a vector (list) or a matrix (list of rows) of finite numbers."""
    if not isinstance(value, list):
        return _number(value)
    if all(not isinstance(v, list) for v in value):
        return [_number(v) for v in value]
    if all(isinstance(v, list) for v in value):
        return [[_number(x) for x in row] for row in value]
    raise ValueError("mixes numbers and rows: give a list of numbers or a list of rows")


Dimension = Annotated[int | str, PlainValidator(_dimension, json_schema_input_type=int | str)]
Shape = list[Dimension]
Values = Annotated[
    float | list[float] | list[list[float]],
    PlainValidator(_values, json_schema_input_type=float | list[float] | list[list[float]]),
]


class DeclaredVariable(TypedDict, total=False):
    """A variable with its shape and, optionally, its role and kind.

    ``role``: ``parameter`` (the default: differentiated) or ``data`` (not differentiated
    unless named in ``wrt``). ``kind``: ``onehot``, ``probability`` (Σ y = 1),
    ``symmetric``, ``spd``, ``diagonal`` (Aᵀ = A), ``positive`` (entries > 0), or ``label``
    (an integer class index, with ``classes``); the simplifier uses the kind's facts, and
    verification samples the kind. A one-hot or probability matrix gives ``axis``, as for
    softmax: 1, every row (Y 𝟏 = 𝟏); 0, every column (𝟏ᵀ Y = 𝟏ᵀ).
    """

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]

    shape: Shape  # required, except for a label (a single integer)
    role: Literal["parameter", "data"]
    kind: KindName
    classes: Dimension  # a label's number of classes: the scores' length
    axis: int  # a one-hot or probability matrix: 1, every row is one; 0, every column


# Union tags: they name no field, so error locations leave them out (problems.py).
FORM_TAGS = ("<shape>", "<declaration>")


def _form(value: object) -> str:
    return FORM_TAGS[1] if isinstance(value, dict) else FORM_TAGS[0]


# A shape (["n", "m"]) or a declaration ({"shape": ["k"], "role": "data", "kind": "onehot"}),
# told apart by form, so that an error is about the form that was written.
Variable = Annotated[
    Annotated[Shape, Tag(FORM_TAGS[0])] | Annotated[DeclaredVariable, Tag(FORM_TAGS[1])],
    Discriminator(_form),
]

_VARIABLES_EXAMPLE = {"W": ["n", "m"], "x": ["m"], "b": ["n"], "u": ["n"]}
_PROGRAM_EXAMPLE = "z = W @ x + b; h = tanh(z); s = u.T @ h"


def _surrogate_path(value: object, path: str) -> str | None:
    """Where a lone surrogate sits in decoded JSON, or None. JSON may spell one ("\\ud800") but
    it is not Unicode text: it cannot be encoded as UTF-8, so it is refused at the door."""
    if isinstance(value, str):
        return path if _SURROGATE.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if isinstance(key, str) and key.isprintable() else path
            if isinstance(key, str) and _SURROGATE.search(key):
                return f"{path} (a key)"
            found = _surrogate_path(item, where)
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, str | list | dict):
                found = _surrogate_path(item, f"{path}[{index}]")
                if found:
                    return found
    return None


_SURROGATE = re.compile("[\ud800-\udfff]")


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _valid_unicode(cls, data: Any) -> Any:
        where = _surrogate_path(data, "body")
        if where is not None:
            raise ValueError(
                f"{where} contains a lone UTF-16 surrogate (such as \\ud800), which is not"
                " valid Unicode; send UTF-8 text"
            )
        return data


class DeriveRequest(_Request):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"expression": _PROGRAM_EXAMPLE, "variables": _VARIABLES_EXAMPLE, "wrt": ["W", "b"]},
                {"expression": "0.5 * norm2(A @ x - y)", "variables": {"A": ["n", "m"], "x": ["m"], "y": ["n"]}, "hessian": True},
                {"expression": "J = -y.T @ log_softmax(W @ x)", "variables": {"W": ["k", "m"], "x": {"shape": ["m"], "role": "data"}, "y": {"shape": ["k"], "role": "data", "kind": "onehot"}}},
            ]
        },
    )  # fmt: skip

    expression: str = Field(description="the program: statements separated by ';' or newlines")
    variables: dict[str, Variable] = Field(
        description='shapes: [] scalar, ["n"] (column) vector, ["n", "m"] matrix; dims are names or integers;'
        ' or {"shape": [...], "role": "data", "kind": "onehot"}'
    )
    wrt: list[StrictStr] | None = Field(
        None, description="differentiate by these (default: every variable not declared as data)"
    )
    hessian: StrictBool = Field(False, description="also derive Hessians of a scalar output")
    verify: StrictBool = Field(True, description="check every result numerically and exactly")


class TraceRequest(_Request):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "expression": "z = W @ x; s = sum(tanh(z))",
                    "variables": {"W": [2, 2], "x": [2]},
                    "values": {"W": [[1, 2], [3, 4]], "x": [0.5, -1]},
                }
            ]
        },
    )

    expression: str
    variables: dict[str, Variable]
    values: dict[str, Values] = Field(
        description="a number per scalar, a list per vector, a list of rows per matrix"
    )


# ---------------------------------------------------------------- derive result


class _Result(BaseModel):
    # Unknown keys are tolerated so that the library can add fields without breaking clients.
    model_config = ConfigDict(extra="allow")


class Output(_Result):
    name: str | None
    shape: Shape
    latex: str


class DefinitionOut(_Result):
    name: str
    symbol: str
    shape: Shape
    latex: str
    role: Literal["intermediate", "introduced", "adjoint"]


class Derivative(_Result):
    wrt: str
    kind: Literal["gradient", "jacobian", "hessian", "partials"]
    shape: Shape
    layout: str
    latex: str
    index_latex: str
    numpy: str


class Check(_Result):
    method: Literal[
        "finite_differences",
        "backprop_engine",
        "source_reference",
        "exact_componentwise",
        "displayed_form",
    ]
    passed: bool
    max_rel_error: float | None = Field(description="null when not finite")
    sizes: dict[str, int]
    skipped: bool
    detail: str


class Verification(_Result):
    passed: bool | None = Field(
        description="null when verification was not requested or could not run (the reason is "
        "in skipped)"
    )
    checks: list[Check]
    skipped: str | None = Field(default=None, description="why verification did not run")


class Code(_Result):
    numpy: str = Field(description="a self-contained module importing only numpy")


class DeriveResponse(_Result):
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "expression": "s = u.T @ x",
                    "variables": {"u": ["n"], "x": ["n"]},
                    "output": {"name": "s", "shape": [], "latex": "u^{T} x"},
                    "definitions": [],
                    "derivatives": [
                        {
                            "wrt": "x",
                            "kind": "gradient",
                            "shape": ["n"],
                            "layout": "shape convention: the gradient has the variable's shape",
                            "latex": "u",
                            "matrix_form": True,
                            "equation": "\\frac{\\partial s}{\\partial x} = u",
                            "index_latex": "\\frac{\\partial s}{\\partial x_{i}} = u_{i}",
                            "numpy": "u",
                        }
                    ],
                    "steps": {
                        "x": [
                            "\\frac{\\partial s}{\\partial x} = u \\quad "
                            "\\text{(shape convention: the shape of } x)"
                        ]
                    },
                    "code": {"numpy": "import numpy as np\n..."},
                    "verification": {
                        "passed": True,
                        "checks": [
                            {
                                "method": "finite_differences",
                                "passed": True,
                                "max_rel_error": 3.6e-14,
                                "sizes": {"n": 3},
                                "size_sets": [{"n": 3}, {"n": 4}],
                                "skipped": False,
                                "detail": "five-point central differences, h = 1e-3 "
                                "(1e-4, 1e-5 if needed); at 2 sets of sizes",
                            }
                        ],
                    },
                }
            ]
        },
    )

    expression: str
    variables: dict[str, Shape]
    output: Output
    definitions: list[DefinitionOut]
    derivatives: list[Derivative]
    steps: dict[str, list[str]]
    code: Code
    verification: Verification


# ---------------------------------------------------------------- trace result

Numeric = float | list[float] | list[list[float]]


class TraceNode(_Result):
    id: int | str
    op: str
    label: str
    inputs: list[int | str]
    shape: Shape
    value: Numeric
    grad: Numeric | None


class TraceResponse(_Result):
    value: Numeric
    gradients: dict[str, Numeric]
    nodes: list[TraceNode]


# ---------------------------------------------------------------- catalog, health, problems


class CatalogSummary(_Result):
    id: str
    title: str
    tags: list[str]
    summary: str


class CatalogEntry(CatalogSummary):
    """The full entry; its further fields are the catalog's own (program, variables, notes...)."""


class WorkerStats(BaseModel):
    size: int
    alive: int
    idle: int
    busy: int
    restarts: int


class Health(BaseModel):
    status: Literal["ok", "starting"]
    version: str
    workers: WorkerStats


class Position(BaseModel):
    line: int
    column: int


class FieldError(BaseModel):
    field: str
    message: str
    type: str


class ProblemDetails(BaseModel):
    """An RFC 9457 problem; ``type`` is a URI relative to the service, e.g. /problems/syntax."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "/problems/shape-mismatch",
                    "title": "Shape mismatch",
                    "status": 422,
                    "detail": "cannot add a vector (n,) and a vector (m,)",
                    "kind": "shape_mismatch",
                    "position": {"line": 1, "column": 7},
                    "hint": "did you mean W @ x + b?",
                    "excerpt": "  W @ x + c\n        ^",
                }
            ]
        },
    )

    type: str
    title: str
    status: int
    detail: str
    kind: str
    position: Position | None = None
    hint: str | None = None
    excerpt: str | None = None
    details: dict[str, Any] | None = None
    errors: list[FieldError] | None = None
    request_id: str | None = None
