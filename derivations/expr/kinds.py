"""What a declaration may say about a variable besides its shape: its role and its kind.

A *role* says whether the variable is a parameter (differentiated by default) or data (an
input or a label: not differentiated unless asked). A *kind* is a set the variable's values lie
in, and each kind carries facts the simplifier may use (``calculus/assume.py``) and a way to
sample it honestly (``verify/sampling.py`` and the exact check's rational points):

- ``onehot``: one entry 1, the others 0; ``probability``: entries > 0 summing to 1. Both give
  Σ y = 1, which turns the cross-entropy gradient (Σ y) softmax(z) − y into ŷ − y. A matrix of
  labels is one-hot (or on the simplex) along an ``axis``, meaning what it means for
  ``softmax(·, axis=…)``: axis 1, every row (Y 𝟏 = 𝟏, the sequence convention Y (T×c)); axis 0,
  every column (𝟏ᵀ Y = 𝟏ᵀ, the column batch Y (k×B)). A vector's only axis is 0.
- ``symmetric`` (Aᵀ = A), ``spd`` (symmetric positive definite) and ``diagonal`` square
  matrices: Aᵀ = A, so xᵀAx has the gradient 2Ax and the Hessian 2A.
- ``positive``: every entry > 0, so |x| = relu(x) = x and sign(x) = 1.

The convention for derivatives (documented in the README): every derivative is the
*unconstrained* one (each entry of the variable perturbed on its own, as the backprop engine
and ``sympy.diff`` compute it), evaluated at a point of the declared kind. A kind only lets the
simplifier rewrite that derivative into a form equal to it on the kind's points.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

ROLES = ("parameter", "data")


@dataclass(frozen=True)
class Kind:
    """One kind: the shapes it applies to, what it means, the facts it gives."""

    name: str
    shapes: (
        str  # "vector" | "square" | "any" | "scalar" | "axis" (a vector, or a matrix along an axis)
    )
    meaning: str
    facts: tuple[str, ...]
    default_role: str = "parameter"
    # Equalities between entries (Σ y = 1, A_ij = A_ji, A_ij = 0): derivatives of results the
    # simplifier rewrote are compared along perturbations that keep them (see verify/run.py).
    constrained: bool = True


KINDS: dict[str, Kind] = {
    k.name: k
    for k in [
        Kind("onehot", "axis", "one entry is 1, the others 0", ("sum",), "data"),
        Kind("probability", "axis", "entries are positive and sum to 1", ("sum",)),
        Kind("symmetric", "square", "a symmetric matrix", ("transpose",)),
        Kind("spd", "square", "a symmetric positive-definite matrix", ("transpose",)),
        Kind("diagonal", "square", "a diagonal matrix", ("transpose", "diag")),
        Kind(
            "positive",
            "any",
            "every entry is positive",
            ("abs", "relu", "sign"),
            constrained=False,
        ),
        # An integer class index 0 … k − 1 (``classes`` names k): data, never differentiated.
        Kind("label", "scalar", "a class index 0 … k − 1", (), "data", constrained=False),
    ]
}

# The facts, as LaTeX over the variable's printed name (results list the ones they used).
FACTS = {
    "sum": r"\sum {v} = 1",
    # A matrix along an axis: its rows (axis 1) or its columns (axis 0) sum to 1.
    "rows": r"{v} \mathbf{{1}} = \mathbf{{1}}",
    "columns": r"\mathbf{{1}}^{{T}} {v} = \mathbf{{1}}^{{T}}",
    "transpose": "{v}^{{T}} = {v}",
    "abs": r"\left\lvert {v} \right\rvert = {v}",
    "relu": r"\operatorname{{relu}}\left({v}\right) = {v}",
    "sign": r"\operatorname{{sign}}\left({v}\right) = 1",
    "diag": r"\operatorname{{diag}}\left(\operatorname{{diag}}\left({v}\right)\right) = {v}",
}

SUM_ONE = frozenset({"onehot", "probability"})
SYMMETRIC = frozenset({"symmetric", "spd", "diagonal"})


@dataclass(frozen=True)
class Declaration:
    """A variable's role and kind (the shape lives in its typed ``Var``)."""

    role: str = "parameter"
    kind: str | None = None
    classes: str | None = None  # a label's number of classes: a dimension name or an integer
    axis: int | None = None  # a one-hot or probability matrix: the axis whose lines sum to 1

    @property
    def is_data(self) -> bool:
        return self.role == "data"

    def to_dict(self) -> dict[str, str | int]:
        out: dict[str, str | int] = {"role": self.role}
        if self.kind is not None:
            out["kind"] = self.kind
        if self.classes is not None:
            out["classes"] = self.classes
        if self.axis is not None:
            out["axis"] = self.axis
        return out

    @property
    def is_label(self) -> bool:
        return self.kind == "label"


PARAMETER = Declaration()


def lines(a: np.ndarray, axis: int | None) -> list[np.ndarray]:
    """The lines of ``a`` that a kind along ``axis`` constrains: a vector's entries together,
    a matrix's columns (axis 0) or rows (axis 1), as softmax(·, axis=…) normalises them."""
    if a.ndim < 2 or axis is None:
        return [a.reshape(-1)]
    return list(a.T if axis == 0 else a)


def _line(a: np.ndarray, axis: int | None, kind: str) -> str:
    if a.ndim < 2 or axis is None:
        return f"a {kind} vector"
    return f"every {'column' if axis == 0 else 'row'} of a {kind} matrix (axis={axis})"


def violation(
    kind: str, value: Any, classes: int | None = None, axis: int | None = None
) -> str | None:
    """Why a given value is not of ``kind`` (for values a user supplies, as in trace), or None;
    ``classes`` is a label's number of classes at these sizes, ``axis`` a matrix's axis."""
    a = np.asarray(value, dtype=float)
    if kind == "label":
        ok = a.size == 1 and float(a.reshape(())).is_integer()
        ok = ok and classes is not None and 0 <= int(a.reshape(())) < classes
        return (
            None
            if ok
            else f"a class label is an integer from 0 to {classes - 1 if classes else 'k − 1'}"
        )
    if kind == "onehot":
        ok = all(bool(np.all((v == 0) | (v == 1)) and np.sum(v) == 1) for v in lines(a, axis))
        return None if ok else f"{_line(a, axis, 'one-hot')} has one entry 1 and the others 0"
    if kind == "probability":
        ok = all(
            bool(np.all(v >= 0) and abs(float(np.sum(v)) - 1.0) <= 1e-9) for v in lines(a, axis)
        )
        return None if ok else f"{_line(a, axis, 'probability')} has entries ≥ 0 that sum to 1"
    if kind == "positive":
        return None if bool(np.all(a > 0)) else "every entry must be positive"
    scale = max(1.0, float(np.max(np.abs(a), initial=0.0)))
    if not np.allclose(a, a.T, rtol=0, atol=1e-12 * scale):
        return f"a {kind} matrix equals its transpose"
    if kind == "diagonal" and np.any(a[~np.eye(a.shape[0], dtype=bool)] != 0):
        return "a diagonal matrix is zero off the diagonal"
    if kind == "spd" and float(np.min(np.linalg.eigvalsh(a))) <= 0:
        return "a symmetric positive-definite matrix has positive eigenvalues"
    return None
