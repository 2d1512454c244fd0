"""Shapes as (rows, cols) pairs of SymPy dimensions.

Vectors are columns, as in the lecture: an n-vector is (n, 1), its transpose (1, n), and a
scalar (1, 1). Keeping every shape two-dimensional makes the matrix rules uniform; the printers
map vectors back to 1-D arrays. A declared matrix may not have a literal 1 as a dimension, so
(n, 1) always means "column vector" and never "matrix with one column".
"""

from __future__ import annotations

import sympy as sp

Dim = sp.Expr
Shape = tuple[sp.Expr, sp.Expr]

ONE = sp.Integer(1)
SCALAR: Shape = (ONE, ONE)


def dim(value: str | int) -> sp.Expr:
    """A dimension: a positive integer or a positive-integer symbol named by the user."""
    if isinstance(value, int):
        return sp.Integer(value)
    return sp.Symbol(value, integer=True, positive=True)


def is_scalar(shape: Shape) -> bool:
    return shape[0] == 1 and shape[1] == 1


def is_column(shape: Shape) -> bool:
    return shape[1] == 1 and shape[0] != 1


def is_row(shape: Shape) -> bool:
    return shape[0] == 1 and shape[1] != 1


def is_vector(shape: Shape) -> bool:
    return is_column(shape) or is_row(shape)


def is_matrix(shape: Shape) -> bool:
    return shape[0] != 1 and shape[1] != 1


def length(shape: Shape) -> sp.Expr:
    """Number of entries (a SymPy expression when dimensions are symbolic)."""
    return shape[0] * shape[1]


def vector_length(shape: Shape) -> sp.Expr:
    return shape[0] if shape[1] == 1 else shape[1]


def column(n: sp.Expr) -> Shape:
    return (n, ONE)


def transpose(shape: Shape) -> Shape:
    return (shape[1], shape[0])


def user_shape(shape: Shape) -> list[str]:
    """The shape as the user declares it: [] scalar, [n] vector (row or column), [n, m] matrix."""
    if is_scalar(shape):
        return []
    if is_vector(shape):
        return [str(vector_length(shape))]
    return [str(shape[0]), str(shape[1])]


def describe(shape: Shape) -> str:
    """Human wording for error messages: 'a scalar', 'an n-vector', 'a row n-vector', 'n×m'."""
    if is_scalar(shape):
        return "a scalar"
    if is_column(shape):
        return f"a vector ({shape[0]},)"
    if is_row(shape):
        return f"a row vector (1, {shape[1]})"
    return f"a matrix ({shape[0]}, {shape[1]})"


def free_dims(shapes: list[Shape]) -> list[sp.Symbol]:
    """Symbolic dimensions in order of first appearance."""
    seen: list[sp.Symbol] = []
    for shape in shapes:
        for d in shape:
            for s in sorted(d.free_symbols, key=str):
                if s not in seen:
                    seen.append(s)
    return seen
