"""Numbers supplied by a user, checked against the declarations before anything is allocated.

Values arrive as JSON-like data (numbers, flat lists, nested lists). Each is checked for the
declared kind (scalar, vector, matrix), for size against the limits (before an array is built),
for finiteness, and its symbolic dimensions are bound so that W = (n, m) and x = (m,) must agree
on m. Every refusal is a ``ChainruleError(kind="value")`` naming the variable and the fix.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

import numpy as np
import sympy as sp

from ..errors import ChainruleError
from ..expr import shapes as S
from ..expr.nodes import Var
from ..expr.shapes import Shape
from ..limits import DEFAULT_LIMITS, Limits

Value = float | np.ndarray


def kind_of(shape: Shape) -> str:
    """'scalar', 'column', 'row' or 'matrix': how a value of this shape crosses the API."""
    if S.is_scalar(shape):
        return "scalar"
    if S.is_column(shape):
        return "column"
    if S.is_row(shape):
        return "row"
    return "matrix"


def max_entries(limits: Limits) -> int:
    """Per-array entry cap: 100 × max_numeric_dim (10⁶ entries, 8 MB, by default).

    The square of max_numeric_dim (10⁸ entries, 800 MB) would let one request exhaust memory.
    """
    return 100 * limits.max_numeric_dim


def _expected_ndim(kind: str) -> int:
    return {"scalar": 0, "column": 1, "row": 1, "matrix": 2}[kind]


def _describe_kind(kind: str) -> str:
    return {"scalar": "a number", "column": "a flat list", "row": "a flat list"}.get(
        kind, "a nested list of rows"
    )


def bind_dims(declared: Mapping[str, Shape], shapes: Mapping[str, tuple[int, ...]]) -> dict:
    """Bind each symbolic dimension to a size, refusing values that disagree.

    ``shapes`` are the API shapes of the supplied values: () for a scalar, (k,) for a vector,
    (r, c) for a matrix. Returns {Symbol: int}.
    """
    env: dict[sp.Symbol, int] = {}
    source: dict[sp.Symbol, str] = {}
    for name, shape in declared.items():
        if name not in shapes:
            continue
        kind = kind_of(shape)
        got = tuple(shapes[name])
        if len(got) != _expected_ndim(kind):
            raise ChainruleError(
                "value",
                f"{name} is declared as {S.describe(shape)} but its value has "
                f"{len(got)} dimension{'s' * (len(got) != 1)} (shape {list(got)})",
                hint=f"give {name} {_describe_kind(kind)}",
                details={"variable": name, "declared": S.user_shape(shape), "got": list(got)},
            )
        dims = (
            [] if kind == "scalar" else [S.vector_length(shape)] if len(got) == 1 else list(shape)
        )
        for axis, (dim, size) in enumerate(zip(dims, got, strict=True)):
            where = ("rows", "columns")[axis] if kind == "matrix" else "length"
            if isinstance(dim, sp.Symbol):
                if dim not in env:
                    env[dim] = int(size)
                    source[dim] = f"the {where} of {name}"
                    continue
                want = env[dim]  # no subs: this runs on every engine call
            elif dim.is_Integer:
                want = int(dim)
            else:
                want = dim.subs(env)
                if want.free_symbols:
                    continue  # a compound dimension not yet determined
            if int(want) != size:
                origin = f" ({dim} = {want} from {source[dim]})" if dim in source else ""
                declared = f"{want}" if dim.is_Integer else f"{dim} = {want}"
                raise ChainruleError(
                    "value",
                    f"{name} has {where} {size} but its declaration needs {declared}{origin}",
                    hint=f"make the {where} of {name} equal {want}, or resize the other values",
                    details={
                        "variable": name,
                        "dimension": str(dim),
                        "expected": int(want),
                        "got": size,
                    },
                )
    return env


def _number(name: str, raw: object, where: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, numbers.Real):
        raise ChainruleError(
            "value",
            f"{name}{where} is {type(raw).__name__} {raw!r}, not a number",
            hint="values are numbers, flat lists of numbers (vectors) or lists of rows (matrices)",
            details={"variable": name},
        )
    try:
        value = float(raw)
    except OverflowError:
        value = math.inf
    if not math.isfinite(value):
        raise ChainruleError(
            "value",
            f"{name}{where} is not finite ({raw!r})",
            hint="give finite numbers: NaN and infinities have no derivative to trace",
            details={"variable": name},
        )
    return value


def _check_size(name: str, sizes: list[int], limits: Limits) -> None:
    for size in sizes:
        if size > limits.max_numeric_dim:
            raise ChainruleError.limit(
                "max_numeric_dim",
                limits.max_numeric_dim,
                f"{name} has a dimension of {size}; the limit is {limits.max_numeric_dim}",
                "trace a smaller example: the derivation does not depend on the size",
            )
    if math.prod(sizes) > max_entries(limits):
        raise ChainruleError.limit(
            "max_entries",
            max_entries(limits),
            f"{name} has {math.prod(sizes)} entries; the limit is {max_entries(limits)}",
            "trace a smaller example: the derivation does not depend on the size",
        )


def coerce_value(name: str, shape: Shape, raw: object, limits: Limits = DEFAULT_LIMITS) -> Value:
    """One user value as a float (scalar), 1-D array (vector) or 2-D array (matrix)."""
    kind = kind_of(shape)
    if isinstance(raw, np.ndarray):
        raw = raw.tolist()
    if kind == "scalar":
        if isinstance(raw, list | tuple):
            raise ChainruleError(
                "value",
                f"{name} is declared as a scalar but its value is a list of {len(raw)}",
                hint=f"give {name} a single number, or declare it as a vector",
                details={"variable": name},
            )
        return _number(name, raw, "")
    if not isinstance(raw, list | tuple) or not raw:
        what = "an empty list" if isinstance(raw, list | tuple) else f"{raw!r}"
        raise ChainruleError(
            "value",
            f"{name} is declared as {S.describe(shape)} but its value is {what}",
            hint=f"give {name} {_describe_kind(kind)}",
            details={"variable": name},
        )
    if kind in ("column", "row"):
        _check_size(name, [len(raw)], limits)
        if any(isinstance(v, list | tuple) for v in raw):
            raise ChainruleError(
                "value",
                f"{name} is declared as {S.describe(shape)} but its value is nested",
                hint=f"give {name} a flat list of numbers, e.g. [1, 2, 3]",
                details={"variable": name},
            )
        return np.array([_number(name, v, f"[{i}]") for i, v in enumerate(raw)])
    # a matrix: a list of equally long rows
    if not all(isinstance(row, list | tuple) for row in raw):
        raise ChainruleError(
            "value",
            f"{name} is declared as {S.describe(shape)} but its value is not a list of rows",
            hint=f"give {name} as rows, e.g. [[1, 2], [3, 4]]",
            details={"variable": name},
        )
    widths = {len(row) for row in raw}
    if len(widths) != 1 or 0 in widths:
        raise ChainruleError(
            "value",
            f"the rows of {name} have different or zero lengths {sorted(widths)}",
            hint=f"every row of {name} needs the same number of entries",
            details={"variable": name},
        )
    _check_size(name, [len(raw), len(raw[0])], limits)
    return np.array(
        [[_number(name, v, f"[{i}][{j}]") for j, v in enumerate(row)] for i, row in enumerate(raw)]
    )


def coerce_values(
    inputs: Mapping[str, Var], values: object, limits: Limits = DEFAULT_LIMITS
) -> tuple[dict[str, Value], dict]:
    """All values, checked against the declared inputs; returns (arrays, {dim symbol: size})."""
    if not isinstance(values, Mapping):
        raise ChainruleError(
            "value",
            "values must map variable names to numbers or lists",
            hint='e.g. {"x": 1, "v": [1, 2], "W": [[1, 2], [3, 4]]}',
        )
    missing = [n for n in inputs if n not in values]
    extra = [n for n in values if n not in inputs]
    if missing:
        raise ChainruleError(
            "value",
            f"no value given for {', '.join(missing)}",
            hint="give a value for every declared variable, e.g. --at " + f"{missing[0]}=1",
            details={"missing": missing},
        )
    if extra:
        raise ChainruleError(
            "value",
            f"values given for undeclared variable{'s' * (len(extra) > 1)} {', '.join(map(str, extra))}",
            hint="declare them (--var) or drop their values",
            details={"extra": [str(e) for e in extra]},
        )
    arrays = {
        name: coerce_value(name, var.shape, values[name], limits) for name, var in inputs.items()
    }
    env = bind_dims(
        {n: v.shape for n, v in inputs.items()}, {n: np.shape(a) for n, a in arrays.items()}
    )
    return arrays, env
