"""The declaration form with a role and a kind, as a typed dict that pydantic can validate.

Problems, assignment files, catalog entries and the REST requests all accept a variable either
as its shape (``["k"]``) or as ``{"shape": ["k"], "role": "data", "kind": "onehot"}``. A
``TypedDict`` keeps the validated value a plain dict, which is what ``derive`` reads, so the
same declaration passes unchanged from a request to the library.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Discriminator, Tag
from typing_extensions import TypedDict  # pydantic needs it below Python 3.12

from .expr.kinds import KINDS

KindName = Literal[tuple(KINDS)]  # type: ignore[valid-type]
Dims = list[str | int]


class Declared(TypedDict, total=False):
    """A variable with its shape, and optionally its role and its kind (``expr/kinds.py``)."""

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]

    shape: Dims  # required, except for a label (a scalar)
    role: Literal["parameter", "data"]
    kind: KindName
    classes: str | int  # a label's number of classes
    axis: int  # a one-hot or probability matrix: 1, every row; 0, every column (as softmax's)


def _form(value: object) -> str:
    return "declared" if isinstance(value, dict) else "shape"


# Tagged by form, so that an error names the field of the form that was written, once.
Declaration = Annotated[
    Annotated[Dims, Tag("shape")] | Annotated[Declared, Tag("declared")],
    Discriminator(_form),
]


def shape_of(declaration: Declaration) -> Dims:
    """The dimensions of either form."""
    if isinstance(declaration, dict):
        return list(declaration.get("shape", []))
    return list(declaration)


Frozen = tuple[str, tuple]


def freeze(variables: dict[str, Declaration]) -> tuple[Frozen, ...]:
    """A hashable form of the declarations (derivations are cached by their input)."""
    out = []
    for name, declaration in variables.items():
        if isinstance(declaration, dict):
            shape = tuple(declaration.get("shape", ()))
            fields = tuple(declaration.get(k) for k in ("role", "kind", "classes", "axis"))
            out.append((name, ("declared", shape, *fields)))
        else:
            out.append((name, tuple(declaration)))
    return tuple(out)


def thaw(frozen: tuple[Frozen, ...]) -> dict[str, Declaration]:
    """The declarations ``freeze`` was given."""
    out: dict[str, Declaration] = {}
    for name, value in frozen:
        if len(value) == 6 and value[0] == "declared" and isinstance(value[1], tuple):
            declared: dict[str, object] = {"shape": list(value[1])}
            for key, field_value in zip(
                ("role", "kind", "classes", "axis"), value[2:], strict=True
            ):
                if field_value is not None:
                    declared[key] = field_value
            out[name] = declared  # type: ignore[assignment]
        else:
            out[name] = list(value)
    return out
