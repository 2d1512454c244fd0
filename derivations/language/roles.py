"""Declarations with a role and a kind: ``{"y": {"shape": ["k"], "role": "data", "kind": "onehot"}}``.

A variable is declared either by its shape alone (``["n", "m"]``, ``"n"``, ``3``, ``[]``), as
before, or by a mapping with ``shape`` and optionally ``role`` (``parameter``, the default, or
``data``) and ``kind`` (``expr/kinds.py``). This module reads the mapping form; the shape part
goes through the usual checks in ``elaborate.declare``.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ..errors import ChainruleError
from ..expr import nodes as N
from ..expr import shapes as S
from ..expr.kinds import KINDS, PARAMETER, ROLES, SUM_ONE, Declaration

FIELDS = ("shape", "role", "kind", "classes", "axis")


def _suggest(word: str, choices: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f"did you mean {close[0]!r}? " if close else ""


def _mapping(name: str, raw: Mapping[Any, Any]) -> Mapping[Any, Any]:
    unknown = [k for k in raw if k not in FIELDS]
    if unknown:
        key = unknown[0]
        raise ChainruleError(
            "declaration",
            f"the declaration of {name!r} has an unknown field {key!r}",
            hint=_suggest(str(key), FIELDS)
            + "a declaration has shape, role and kind (and classes for a label, axis for a"
            " one-hot or probability matrix)",
        )
    if raw.get("kind") == "label":
        if "classes" not in raw:
            raise ChainruleError(
                "declaration",
                f"the label {name!r} does not say how many classes there are",
                hint=f'e.g. "{name}": {{"kind": "label", "classes": "k"}} (k the scores\' length)',
            )
        return raw
    if "classes" in raw:
        raise ChainruleError(
            "declaration",
            f"{name!r} gives classes, which only a label has",
            hint=f'declare a class index as "{name}": {{"kind": "label", "classes": "k"}}',
        )
    if "shape" not in raw:
        raise ChainruleError(
            "declaration",
            f"the declaration of {name!r} has no shape",
            hint=f'e.g. "{name}": {{"shape": ["k"], "role": "data", "kind": "onehot"}}',
        )
    return raw


def declared_shape(name: str, raw: object) -> object:
    """The shape part of a declaration in either form (validated later by ``declare``)."""
    if isinstance(raw, Mapping):
        return _mapping(name, raw).get("shape", [])  # a label is a scalar: shape []
    return raw


def _choice(name: str, what: str, value: object, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        shown = value if isinstance(value, str) else type(value).__name__
        raise ChainruleError(
            "declaration",
            f"{shown!r} is not a {what} (the {what} of {name!r})",
            hint=_suggest(str(shown), choices) + f"a {what} is one of: " + ", ".join(choices),
        )
    return value


def declaration_of(name: str, raw: object) -> Declaration:
    """The role and kind of one declaration (the shape-only form is a plain parameter)."""
    if not isinstance(raw, Mapping):
        return PARAMETER
    raw = _mapping(name, raw)
    kind = raw.get("kind")
    if kind is not None:
        kind = _choice(name, "kind", kind, tuple(KINDS))
    default = KINDS[kind].default_role if kind else "parameter"
    role = _choice(name, "role", raw.get("role", default), ROLES)
    if kind == "label" and role != "data":
        raise ChainruleError(
            "declaration",
            f"the label {name!r} is declared as a parameter; a class index is data",
            hint="drop the role (a label is data) or declare a one-hot vector instead",
        )
    classes = raw.get("classes")
    axis = _axis(name, kind, raw["axis"]) if "axis" in raw else None
    return Declaration(role, kind, None if classes is None else str(classes), axis)


def _axis(name: str, kind: str | None, axis: object) -> int:
    """A declared axis: 0 or 1, and only on a kind whose lines sum to 1."""
    if kind not in SUM_ONE:
        raise ChainruleError(
            "declaration",
            f"{name!r} gives an axis, which only a onehot or probability matrix has",
            hint=f'drop the axis, or declare e.g. "{name}": {{"shape": ["T", "c"], "kind": "onehot",'
            ' "axis": 1}',
        )
    if isinstance(axis, bool) or axis not in (0, 1):
        raise ChainruleError(
            "declaration",
            f"the axis of {name!r} is {axis!r}; a matrix has axis 0 (its columns) and 1 (its rows)",
            hint=f"axis=1: every row of {name} is {kind} (as softmax(Z, axis=1) normalises rows);"
            f" axis=0: every column",
        )
    return int(axis)  # type: ignore[call-overload]


def _fits(shape: S.Shape, wanted: str) -> bool:
    if wanted == "scalar":
        return S.is_scalar(shape)
    if wanted == "vector":
        return S.is_column(shape)
    if wanted == "square":
        return S.is_matrix(shape) and shape[0] == shape[1]
    return True


_WANTED = {
    "vector": "a (column) vector",
    "square": "a square matrix",
    "any": "any shape",
    "scalar": "no shape (a single integer)",
    "axis": "a vector, or a matrix with an axis",
}


def check_kind(var: N.Var, declaration: Declaration) -> Declaration:
    """A kind applies to some shapes only: a symmetric vector, or a one-hot matrix that does
    not say which axis is one-hot, is an error. Returns the declaration with a vector's axis
    (0, its only one) dropped: one form per meaning."""
    if declaration.kind is None:
        return declaration
    kind = KINDS[declaration.kind]
    if kind.shapes == "axis":
        return _check_axis(var, declaration)
    if not _fits(var.shape, kind.shapes):
        raise ChainruleError(
            "declaration",
            f"{var.name!r} is declared {declaration.kind} but is {S.describe(var.shape)}; "
            f"{declaration.kind} needs {_WANTED[kind.shapes]}",
            hint=f"declare {var.name} with the shape a {declaration.kind} variable has, or drop the kind",
        )
    return declaration


def _check_axis(var: N.Var, declaration: Declaration) -> Declaration:
    kind, axis = declaration.kind, declaration.axis
    if S.is_column(var.shape):
        if axis == 1:
            raise ChainruleError(
                "declaration",
                f"{var.name!r} is {S.describe(var.shape)}, which has no axis 1",
                hint=f"drop the axis: a {kind} vector sums to 1 along its only axis, 0",
            )
        return replace(declaration, axis=None)
    if not S.is_matrix(var.shape):
        raise ChainruleError(
            "declaration",
            f"{var.name!r} is declared {kind} but is {S.describe(var.shape)}; {kind} needs a"
            " vector, or a matrix with an axis",
            hint=f"declare {var.name} as a vector (k,) or a matrix with an axis, or drop the kind",
        )
    if axis is None:
        cli = f"{var.name}={var.shape[0]},{var.shape[1]}:{kind}(axis=1)"
        raise ChainruleError(
            "declaration",
            f"{var.name!r} is declared {kind} and is {S.describe(var.shape)}, but does not say"
            f" which axis is {kind}",
            hint=f'give the axis that sums to 1, as for softmax: "{var.name}": {{"kind": "{kind}",'
            f' "axis": 1}} (every row; on the command line {cli}) or axis 0 (every column)',
        )
    return declaration


def declarations(
    variables: Mapping[str, object], inputs: Mapping[str, N.Var]
) -> dict[str, Declaration]:
    """Every declared variable's role and kind, checked against its typed shape."""
    out: dict[str, Declaration] = {}
    for name, raw in variables.items():
        declaration = check_kind(inputs[name], declaration_of(name, raw))
        if declaration.is_label:
            _check_classes(name, declaration.classes, inputs)
        out[name] = declaration
    return out


def _check_classes(name: str, classes: str | None, inputs: Mapping[str, N.Var]) -> None:
    """A label's classes is a size some vector has (the scores z), or an integer ≥ 2: the
    generated code reads k from a shape, and a label of one class would be a constant."""
    text = (classes or "").strip()
    if text.isdigit() and text.isascii():
        if int(text) >= 2:
            return
    else:
        sizes = {str(s) for var in inputs.values() for d in var.shape for s in d.free_symbols}
        if text in sizes:
            return
        raise ChainruleError(
            "declaration",
            f"the label {name!r} has {text!r} classes, which is no variable's dimension",
            hint=f"give classes as the length of the scores, e.g. z = (k,) and {name}: label(k)",
        )
    raise ChainruleError(
        "declaration",
        f"the label {name!r} has {text} classes; a label needs at least 2",
        hint="give classes as a dimension name (k) or an integer ≥ 2",
    )


def labels_of(variables: Mapping[str, object]) -> dict[str, str]:
    """The class labels among the declarations, with their number of classes."""
    out = {}
    for name, raw in variables.items():
        declaration = declaration_of(name, raw)
        if declaration.is_label:
            out[name] = str(declaration.classes)
    return out


def with_shape(raw: object, shape: list[Any]) -> object:
    """The same declaration with another shape (verification renames large numeric sizes)."""
    if isinstance(raw, Mapping):
        return {**raw, "shape": shape}
    return shape
