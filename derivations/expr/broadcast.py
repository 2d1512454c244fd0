"""Broadcasting a vector against a matrix, as NumPy does it in the column convention.

A column vector b (n,) meets a matrix (n, B) column by column, a row vector c.T (1, B) meets it
row by row. The elaborator makes the broadcast explicit with the ones vector 𝟏 the calculus
already knows: b becomes b 𝟏ᵀ and cᵀ becomes 𝟏 cᵀ. Why not a broadcast op: with 𝟏 the rules,
the engine, the exact check and the printers need nothing new, the gradient of b comes out as
the textbook writes it (Δ 𝟏, the sum of Δ's columns), and the value reads W X + b 𝟏ᵀ. The code
printer turns these products with 𝟏 back into NumPy broadcasting (``b[:, None]``) and axis sums.

Only a vector meets a matrix: a column (n,) and a row (1, m) are not broadcast into an n × m
matrix (NumPy would do it silently; here it is almost always a forgotten transpose).
"""

from __future__ import annotations

from . import nodes as N
from . import shapes as S
from .shapes import Shape


def spread_rows(v: N.Node, cols: S.Dim) -> N.Node:
    """A column v (n, 1) repeated as the B columns of an (n, B) matrix: v 𝟏ᵀ."""
    return N.MatMul(v, N.Ones((S.ONE, cols)))


def spread_columns(r: N.Node, rows: S.Dim) -> N.Node:
    """A row r (1, B) repeated as the n rows of an (n, B) matrix: 𝟏 r."""
    return N.MatMul(N.Ones((rows, S.ONE)), r)


def broadcast_to(node: N.Node, shape: Shape) -> N.Node | None:
    """``node`` spread to the matrix ``shape``, or None if it does not broadcast there."""
    if node.shape == shape or node.is_scalar or not S.is_matrix(shape):
        return node if node.shape == shape or node.is_scalar else None
    if S.is_column(node.shape) and node.shape[0] == shape[0]:
        return spread_rows(node, shape[1])
    if S.is_row(node.shape) and node.shape[1] == shape[1]:
        return spread_columns(node, shape[0])
    return None


def broadcast_pair(a: N.Node, b: N.Node) -> tuple[N.Node, N.Node] | None:
    """Both operands of an elementwise operator at one shape, or None if they do not fit.

    Scalars are left alone (every op already scales by a scalar); equal shapes are unchanged.
    """
    if a.is_scalar or b.is_scalar or a.shape == b.shape:
        return a, b
    if S.is_matrix(a.shape) and S.is_vector(b.shape):
        spread = broadcast_to(b, a.shape)
        return None if spread is None else (a, spread)
    if S.is_matrix(b.shape) and S.is_vector(a.shape):
        spread = broadcast_to(a, b.shape)
        return None if spread is None else (spread, b)
    return None


def mismatch_detail(a: Shape, b: Shape) -> tuple[str, str | None]:
    """Which axis failed, in words, and a hint for the usual slip (a vector of the wrong side)."""
    if S.is_matrix(a) and S.is_vector(b) or S.is_matrix(b) and S.is_vector(a):
        matrix, vector = (a, b) if S.is_matrix(a) else (b, a)
        if S.is_column(vector):
            axis = f"axis 0: the vector has {vector[0]} entries, the matrix {matrix[0]} rows"
            hint = "a vector (n,) broadcasts over the columns of an (n, B) matrix"
            if vector[0] == matrix[1]:
                hint += ": for one entry per column, transpose the vector (b.T)"
            return axis, hint
        axis = f"axis 1: the row vector has {vector[1]} entries, the matrix {matrix[1]} columns"
        hint = "a row vector (1, B) broadcasts over the rows of an (n, B) matrix"
        if vector[1] == matrix[0]:
            hint += ": for one entry per row, drop the transpose"
        return axis, hint
    if S.is_matrix(a) and S.is_matrix(b):
        failed = [
            f"axis {k} ({a[k]} and {b[k]})" for k in (0, 1) if a[k] != b[k]
        ]  # both may differ
        return " and ".join(failed) + " differ", None
    return "", None


def spread_of(node: N.Node) -> tuple[N.Node | None, str]:
    """The vector of a broadcast (b 𝟏ᵀ or 𝟏 cᵀ) and which way it spreads ("spread_rows" for
    a column over columns, "spread_columns" for a row over rows); (None, "") for anything else."""
    if isinstance(node, N.MatMul) and S.is_matrix(node.shape):
        a, b = node.children
        if isinstance(b, N.Ones) and S.is_column(a.shape):
            return a, "spread_rows"
        if isinstance(a, N.Ones) and S.is_row(b.shape):
            return b, "spread_columns"
    return None, ""


def unspread(node: N.Node) -> N.Node:
    """The vector under a broadcast, else the node: its entries are the same numbers."""
    vector, _ = spread_of(node)
    return node if vector is None else vector
