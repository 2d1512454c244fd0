"""Honest samples of each declared kind, for the numeric checks and for the exact check.

A result the simplifier rewrote with a kind's facts (Σ y = 1, Aᵀ = A) equals the unconstrained
derivative only on the kind's points, so every check draws there: one-hot vectors, points
inside the simplex, symmetric matrices (well-conditioned ones, of either determinant sign, under
inv/det/logdet), symmetric positive-definite matrices, diagonal matrices and positive entries.
A kind is never narrowed further than its definition and the program's domain need.

``directions`` gives the perturbations that keep a kind's equalities: finite differences of a
rewritten gradient (the Hessian check) are taken along them, since a rewritten gradient agrees
with the unconstrained one on the kind only (see ``expr/kinds.py``).
"""

from __future__ import annotations

import random
from fractions import Fraction
from typing import Any

import numpy as np

from ..expr.kinds import KINDS, SUM_ONE, SYMMETRIC


def _symmetric_copy(a: np.ndarray) -> np.ndarray:
    """The upper triangle mirrored: the entries keep the domain they were drawn in."""
    upper = np.triu(a)
    return upper + np.triu(a, 1).T


def _exactly_symmetric(a: np.ndarray) -> np.ndarray:
    """Q Λ Qᵀ is symmetric only up to rounding; a symmetric kind is symmetric to the bit."""
    return (a + a.T) / 2


def _spd(rng: np.random.Generator, n: int, positive_entries: bool) -> np.ndarray:
    if positive_entries:  # diagonally dominant with positive entries: still definite
        off = _symmetric_copy(rng.uniform(0.05, 0.3, size=(n, n)) / n)
        np.fill_diagonal(off, 0.0)
        return np.eye(n) * rng.uniform(0.8, 1.2, size=n) + off
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return _exactly_symmetric((q * rng.uniform(0.5, 2.0, size=n)) @ q.T)


def _conditioned_symmetric(rng: np.random.Generator, n: int, negative: bool) -> np.ndarray:
    """A well-conditioned symmetric matrix with the determinant's sign chosen."""
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    eigenvalues = rng.uniform(0.6, 1.4, size=n) * rng.choice([-1.0, 1.0], size=n)
    if (np.prod(eigenvalues) < 0) != negative:
        eigenvalues[0] = -eigenvalues[0]
    return _exactly_symmetric((q * eigenvalues) @ q.T)


def draw_kind(
    kind: str,
    values: np.ndarray,
    rng: np.random.Generator,
    conditioned: bool,
    negative_det: bool,
    positive: bool,
    axis: int | None = None,
) -> np.ndarray:
    """A draw of ``kind`` with the shape of ``values``, which were drawn in the program's domain
    (positive under log, nonzero under a division) and are reused where the kind allows; a
    matrix of labels is one-hot (or on the simplex) along each line of its ``axis``."""
    shape = values.shape
    if kind in SUM_ONE and len(shape) == 2:
        along = shape[axis or 0]  # each line has this many entries
        count = shape[1 - (axis or 0)]
        lines = [
            draw_kind(kind, np.zeros(along), rng, False, False, positive) for _ in range(count)
        ]
        stacked = np.stack(lines)  # one line per row
        return stacked if axis == 1 else stacked.T
    if kind == "onehot":
        out = np.zeros(shape)
        out[rng.integers(shape[0])] = 1.0
        return out
    if kind == "probability":
        weights = rng.uniform(0.5, 1.5, size=shape)
        return weights / weights.sum()
    if kind == "positive":
        return np.abs(values) if np.all(values != 0) else rng.uniform(0.5, 1.5, size=shape)
    n = shape[0]
    if kind == "spd":
        return _spd(rng, n, positive)
    if kind == "diagonal":
        diagonal = np.diag(values).copy()
        if conditioned:
            diagonal = rng.uniform(0.5, 1.5, size=n) * rng.choice([-1.0, 1.0], size=n)
            if (np.prod(diagonal) < 0) != negative_det:
                diagonal[0] = -diagonal[0]
        return np.diag(diagonal)
    assert kind == "symmetric", kind
    if conditioned:
        return _conditioned_symmetric(rng, n, negative_det)
    return _symmetric_copy(values)


def directions(
    kind: str | None, shape: tuple[int, ...], axis: int | None = None
) -> list[np.ndarray] | None:
    """Perturbations that keep the kind's equalities, or None for free (every entry alone):
    e_i − e_n within each line of a matrix of labels (its rows for axis 1, columns for 0)."""
    if kind is None or not KINDS[kind].constrained:
        return None
    out = []
    if kind in SUM_ONE:
        rows = shape[1 - (axis or 0)] if len(shape) == 2 else 1
        n = shape[axis or 0]
        for line in range(rows):
            for i in range(n - 1):
                d = np.zeros(shape)
                if len(shape) < 2:
                    d[i], d[n - 1] = 1.0, -1.0
                elif axis == 1:
                    d[line, i], d[line, n - 1] = 1.0, -1.0
                else:
                    d[i, line], d[n - 1, line] = 1.0, -1.0
                out.append(d)
        return out
    n = shape[0]
    assert kind in SYMMETRIC, kind
    for i in range(n):
        for j in range(i, n if kind != "diagonal" else i + 1):
            d = np.zeros(shape)
            d[i, j] = d[j, i] = 1.0
            out.append(d)
    return out


# --- the exact check's rational points -------------------------------------------------------


def exact_kind_values(
    kind: str,
    values: list[list[Fraction]],
    rng: random.Random,
    conditioned: bool,
    axis: int | None = None,
) -> list[list[Fraction]]:
    """Rational entries of ``kind`` (rows of a matrix; a vector is one column), reusing the
    drawn ``values`` (distinct magnitudes, positive where the domain needs) where possible; a
    matrix of labels is of its kind along each line of its ``axis``."""
    rows, cols = len(values), len(values[0])
    if kind in SUM_ONE and cols > 1:
        lines = values if axis == 1 else [list(c) for c in zip(*values, strict=True)]
        drawn = [exact_kind_values(kind, [[v] for v in line], rng, conditioned) for line in lines]
        by_line = [[v[0] for v in line] for line in drawn]
        return by_line if axis == 1 else [list(r) for r in zip(*by_line, strict=True)]
    if kind == "onehot":
        hot = rng.randrange(rows)
        return [[Fraction(int(i == hot))] for i in range(rows)]
    if kind == "probability":
        weights = [abs(v[0]) for v in values]
        total = sum(weights)
        return [[w / total] for w in weights]
    if kind == "positive":
        return [[abs(v) for v in row] for row in values]
    out = [[values[min(i, j)][max(i, j)] for j in range(cols)] for i in range(rows)]
    if kind == "diagonal":
        return [[out[i][j] if i == j else Fraction(0) for j in range(cols)] for i in range(rows)]
    if kind == "spd" and not conditioned:
        # Diagonally dominant with a positive diagonal: symmetric positive definite.
        scale = Fraction(1, 4 * rows)
        return [
            [abs(out[i][j]) + 1 if i == j else out[i][j] * scale for j in range(cols)]
            for i in range(rows)
        ]
    if kind == "spd":
        return [[abs(out[i][j]) if i == j else out[i][j] for j in range(cols)] for i in range(rows)]
    return out


def exact_on_kind(kind: str, m: Any, axis: int | None = None) -> Any:
    """A SymPy matrix made exactly of its kind: a float draw read back as rationals keeps
    symmetry and zeros, but a probability vector's rationals need not sum to exactly 1 (nor a
    probability matrix's rows, axis 1, or columns, axis 0)."""
    if kind == "probability" and m.shape[1] > 1 and axis == 1:
        return _rows_normalised(m)
    if kind == "probability" and m.shape[1] > 1:
        return _rows_normalised(m.T).T
    if kind == "probability":
        return m / sum(m)
    return m


def _rows_normalised(m: Any) -> Any:
    """Each row divided by its sum."""
    return m.__class__(m.shape[0], m.shape[1], lambda i, j: m[i, j] / sum(m.row(i)))
