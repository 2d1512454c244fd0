"""Variable declarations -> typed input variables, and the names and sizes they may use.

Declarations are checked before any program text is read: names (``fullmatch`` against ASCII
patterns, never Python keywords or the generated module's own names), shapes (scalars, vectors,
matrices), and dimensions (positive integers, names, or sums of products), each bounded before
it is converted.
"""

from __future__ import annotations

import keyword
import re
import unicodedata
from collections.abc import Mapping, Sequence

import sympy as sp

from ..errors import ChainruleError
from ..expr import nodes as N
from ..expr import shapes as S
from ..limits import DEFAULT_LIMITS, Limits
from ..ops.registry import CALLS
from .ast import Pos
from .roles import declared_shape

# Every pattern here is applied with fullmatch: '$' would also accept a trailing new line.
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Names users choose start with a letter: a leading '_' is kept for generated code.
_USER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_ASCII_INT = re.compile(r"[0-9]+")
# A dimension is at most this many digits long before it is converted (the limit is far below).
_MAX_DIM_DIGITS = 12

# Functions users may call, with how many arguments they take (None: one or more), from the
# op registry.
USER_FUNCTIONS: dict[str, int | None] = {name: spec.arity for name, spec in CALLS.items()}


def declare(
    variables: Mapping[str, Sequence[str | int] | str | int | None], limits: Limits
) -> dict[str, N.Var]:
    """Turn ``{"W": ("n", "m"), "x": ("m",), "lam": ()}`` into typed input variables."""
    if not isinstance(variables, Mapping):
        raise ChainruleError(
            "declaration",
            "variables must map names to shapes",
            hint='e.g. {"W": ["n", "m"], "x": ["m"]}',
        )
    if len(variables) > limits.max_variables:
        raise ChainruleError.limit(
            "max_variables",
            limits.max_variables,
            f"{len(variables)} variables are declared; the limit is {limits.max_variables}",
            "declare only the variables the program uses",
        )
    out: dict[str, N.Var] = {}
    for name, raw in variables.items():
        _check_name(name, "variable")
        raw = declared_shape(name, raw)  # the shape of {"shape": ..., "role": ..., "kind": ...}
        dims_raw: list[str | int]
        if raw is None:
            dims_raw = []
        elif isinstance(raw, str | int):
            dims_raw = [raw]
        elif isinstance(raw, list | tuple):
            dims_raw = list(raw)
        else:
            raise ChainruleError(
                "declaration",
                f"the shape of {name!r} must be a list of dimensions, not {type(raw).__name__}",
                hint='e.g. "W": ["n", "m"], "x": ["m"], "lam": []',
            )
        if len(dims_raw) > 2:
            raise ChainruleError(
                "declaration",
                f"variable {name!r} has {len(dims_raw)} dimensions; chainrule handles scalars, vectors and matrices",
                hint=f"declare {name} as () for a scalar, (n,) for a vector or (n, m) for a matrix",
            )
        dims = [_dimension(name, d, limits) for d in dims_raw]
        if len(dims) == 0:
            shape = S.SCALAR
        elif len(dims) == 1:
            if dims[0] == 1:
                raise ChainruleError(
                    "declaration",
                    f"variable {name!r} is declared as a vector of length 1",
                    hint=f"declare {name} as a scalar: ()",
                )
            shape = S.column(dims[0])
        else:
            if dims[0] == 1 or dims[1] == 1:
                raise ChainruleError(
                    "declaration",
                    f"variable {name!r} is declared as a matrix with a dimension of 1",
                    hint=f"declare a column vector as ({dims[0] if dims[1] == 1 else dims[1]},) and use .T for a row",
                )
            shape = (dims[0], dims[1])
        out[name] = N.Var(name, shape, "input")
    _check_readable_sizes(out, limits)
    sizes = {str(sym) for var in out.values() for d in var.shape for sym in d.free_symbols}
    clash = sorted(sizes & set(out))
    if clash:
        raise ChainruleError(
            "declaration",
            f"{clash[0]!r} names both a variable and a dimension",
            hint=f"rename the dimension, e.g. n_{clash[0]}, or the variable",
        )
    return out


# Names the generated module defines at the top level (the user's names are its functions'
# parameters, so they would shadow these). Every other name the module uses is chosen around the
# user's names, or starts with '_', which user names cannot.
_RESERVED = {"np", "value", "value_and_grad", "value_and_vjp", "jacobian", "hessian"}
# T may name a dimension (a sequence length), but not a variable: x ** T would print as x^{T},
# which reads as the transpose.
_NOT_VARIABLES = {"T"}


def _check_name(name: object, what: str, pos: Pos | None = None, source: str | None = None) -> None:
    if (
        not isinstance(name, str)
        or not _USER_NAME.fullmatch(name)
        or keyword.iskeyword(name)
        or name in _RESERVED
    ):
        raise ChainruleError(
            "declaration",
            f"{name!r} is not a valid {what} name",
            pos.line if pos else None,
            pos.column if pos else None,
            "names start with an ASCII letter and contain letters, digits and '_'"
            " (not a Python keyword, np, value, value_and_grad, value_and_vjp, jacobian, hessian)",
            source,
        )
    if name in _NOT_VARIABLES:
        raise ChainruleError(
            "declaration",
            f"{name!r} cannot name {'an' if what[0] in 'aeiou' else 'a'} {what}: x ** T would print"
            " as x^T, the transpose",
            pos.line if pos else None,
            pos.column if pos else None,
            f"choose another name, e.g. {name}_ or {name}1 (T is fine as a dimension name)",
            source,
        )
    if name in USER_FUNCTIONS:
        raise ChainruleError(
            "declaration",
            f"{name!r} is the name of a function and cannot name {'an' if what[0] in 'aeiou' else 'a'} {what}",
            pos.line if pos else None,
            pos.column if pos else None,
            f"choose another name, e.g. {name}_",
            source,
        )


def _dimension(var: str, raw: str | int, limits: Limits) -> sp.Expr:
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise ChainruleError(
            "declaration",
            f"dimension {raw!r} of {var!r} is neither a positive integer nor a name",
            hint='write dimensions as names ("n"), positive integers (3), or sums of products ("5*d")',
        )
    if isinstance(raw, str):
        raw = _dimension_text(var, raw, limits)
    if isinstance(raw, int):
        if raw < 1:
            raise ChainruleError(
                "declaration",
                f"dimension {raw} of {var!r} is not positive",
                hint="dimensions are positive integers or names like n",
            )
        if raw > limits.max_numeric_dim:
            raise ChainruleError.limit(
                "max_numeric_dim",
                limits.max_numeric_dim,
                f"dimension {raw} of {var!r} exceeds the limit of {limits.max_numeric_dim}",
                "use a symbolic dimension (a name like n): derivations do not depend on sizes",
            )
        return S.dim(raw)
    if _IDENT.fullmatch(raw):
        _check_dimension_name(var, raw)
        return S.dim(raw)
    if _DIM_EXPR.fullmatch(raw):
        return _dimension_expression(var, raw, limits)
    raise ChainruleError(
        "declaration",
        f"dimension {raw!r} of {var!r} is neither a positive integer nor a name",
        hint='write dimensions as names ("n"), positive integers (3), or sums of products ("5*d")',
    )


_DIM_EXPR = re.compile(r"[A-Za-z0-9_]+([ \t]*[*+][ \t]*[A-Za-z0-9_]+)*")


def _dimension_text(var: str, raw: str, limits: Limits) -> str | int:
    """A dimension as text: ASCII only (``²`` and ``٣`` are digits to str.isdigit, not to us),
    and an integer short enough to convert (Python refuses ints over 4300 digits)."""
    raw = raw.strip(" \t")
    odd = next((ch for ch in raw if not ch.isascii() or not ch.isprintable()), None)
    if odd is not None:
        value = unicodedata.digit(odd, None) if not 0xD800 <= ord(odd) <= 0xDFFF else None
        hint = (
            f"write the digit {value} in ASCII"
            if value is not None
            else "dimensions are ASCII names (n, d_model, T), integers (3) or sums of products (5*d)"
        )
        label = unicodedata.name(odd, f"U+{ord(odd):04X}")
        raise ChainruleError(
            "declaration",
            f"dimension {raw!r} of {var!r} contains {odd!r} ({label}): dimensions are printable"
            " ASCII",
            hint=hint,
        )
    if _ASCII_INT.fullmatch(raw):
        if len(raw.lstrip("0")) > _MAX_DIM_DIGITS:
            raise ChainruleError.limit(
                "max_numeric_dim",
                limits.max_numeric_dim,
                f"dimension {raw[:20]}... of {var!r} has {len(raw)} digits; the largest"
                f" numeric dimension is {limits.max_numeric_dim}",
                "use a symbolic dimension (a name like n): derivations do not depend on sizes",
            )
        return int(raw)
    return raw


def _check_readable_sizes(variables: dict[str, N.Var], limits: Limits) -> None:
    """Every size name must be readable from some input's shape, and no size may be huge.

    The generated code reads n from x.shape[0]; a size that only appears inside n + m, or in
    n·n, could not be recovered, and 10⁹·n would allocate without bound.
    """
    axes = [d for var in variables.values() for d in var.shape]
    for d in axes:
        coefficients = (
            [abs(c) for c in sp.Poly(d, *d.free_symbols).coeffs()] if d.free_symbols else [d]
        )
        if any(c > limits.max_numeric_dim for c in coefficients):
            raise ChainruleError.limit(
                "max_numeric_dim",
                limits.max_numeric_dim,
                f"the dimension {d} has a coefficient above {limits.max_numeric_dim}",
                "use a symbolic dimension without large factors",
            )
    for symbol in sorted({s for d in axes for s in d.free_symbols}, key=str):
        readable = any(
            d.free_symbols == {symbol} and sp.Poly(d, symbol).degree() == 1 for d in axes
        )
        if not readable:
            raise ChainruleError(
                "declaration",
                f"the size {symbol} cannot be read from any variable's shape",
                hint=f"declare some variable with {symbol} on its own (or k*{symbol}) as a dimension,"
                f" e.g. --var v={symbol}",
            )


def _check_dimension_name(var: str, name: str) -> None:
    """Sizes become Python names in the generated code, so they follow the variables' rules."""
    if not _USER_NAME.fullmatch(name) or keyword.iskeyword(name) or name in _RESERVED:
        raise ChainruleError(
            "declaration",
            f"{name!r} (a dimension of {var!r}) is not a valid dimension name",
            hint="dimension names start with a letter, e.g. n, m, d_model, T"
            " (not a Python keyword, np, value, jacobian, hessian)",
        )


def dimension_expression(text: str) -> sp.Expr:
    """Parse a declared dimension (``n``, ``3``, ``5*d``, ``d + k``) into a SymPy expression."""
    return _dimension("dimension", text, DEFAULT_LIMITS)


def _dimension_expression(var: str, text: str, limits: Limits) -> sp.Expr:
    """``5*d`` or ``d + k``: the size of a concatenation, built without sympify."""
    terms = []
    for term in text.split("+"):
        factors = []
        for factor in term.split("*"):
            factor = factor.strip()
            if _ASCII_INT.fullmatch(factor):
                number = _dimension_text(var, factor, limits)
                factors.append(sp.Integer(number))
            elif _IDENT.fullmatch(factor):
                _check_dimension_name(var, factor)
                factors.append(S.dim(factor))
            else:  # excluded by _DIM_EXPR; kept as a clear error rather than an assertion
                raise ChainruleError("declaration", f"bad dimension {text!r} of {var!r}")
        terms.append(sp.Mul(*factors))
    value = sp.Add(*terms)
    if value.is_Integer:
        return _dimension(var, int(value), limits)
    return value
