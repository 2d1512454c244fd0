"""Displayed results read like the textbook: the ones matrix, coefficients, named constants.

Each test pins a form a review found wrong (a bare 𝟏 for a matrix of ones, 1/n 𝟏 𝟏ᵀ read as
1/(n 𝟏 𝟏ᵀ), ...) and derives with verification on, so the form is also checked against finite
differences, the backprop engine, the exact check and the LaTeX reader.
"""

from __future__ import annotations

import sympy as sp

from derivations import derive
from derivations.expr import nodes as N
from derivations.printing.latex import latex
from derivations.printing.unicode import to_unicode

B = sp.Symbol("B", integer=True, positive=True)
n = sp.Symbol("n", integer=True, positive=True)


def _verified(program: str, variables: dict, **kw):
    result = derive(program, variables, **kw)
    d = result.to_dict()
    assert d["verification"]["passed"], d["verification"]
    return d


def _grad(d: dict, wrt: str) -> str:
    return next(x["latex"] for x in d["derivatives"] if x["wrt"] == wrt)


def test_a_ones_matrix_prints_as_the_outer_product() -> None:
    ones = N.Ones((n, B))
    assert latex(ones) == r"\mathbf{1} \mathbf{1}^{T}"
    assert latex(N.Mul(N.Const(2), ones)) == r"2 \mathbf{1} \mathbf{1}^{T}"  # no (𝟏 𝟏ᵀ)
    x = N.Var("X", (B, n))
    assert latex(N.MatMul(x, ones)) == r"X \mathbf{1} \mathbf{1}^{T}"
    assert latex(N.Ones((n, sp.Integer(1)))) == r"\mathbf{1}"  # a ones vector stays 𝟏
    d = _verified("s = sum(X)", {"X": ("n", "B")})
    assert _grad(d, "X") == r"\mathbf{1} \mathbf{1}^{T}"


def test_centering_gradient_cancels_to_zero() -> None:
    # ∂/∂X Σ(X − mean_row(X) 𝟏ᵀ) = 𝟏𝟏ᵀ − 𝟏𝟏ᵀ: it was printed 𝟏 − 𝟏 𝟏ᵀ.
    d = _verified("s = sum(X - mean(X, axis=1))", {"X": ("n", "B")})
    assert _grad(d, "X") == "0"


def test_a_row_mean_reads_as_a_scaled_product() -> None:
    d = _verified("s = sum(X * (X - mean(X, axis=1)))", {"X": ("n", "B")})
    assert to_unicode(d["output"]["latex"]) == "Σ (X ∘ (X - (1/B) X 𝟏 𝟏ᵀ))"
    assert to_unicode(_grad(d, "X")) == "2 X - (2/B) X 𝟏 𝟏ᵀ"


def test_unicode_brackets_a_fraction_that_scales_what_follows() -> None:
    assert to_unicode(r"I - \frac{1}{n} \mathbf{1} \mathbf{1}^{T}") == "I - (1/n) 𝟏 𝟏ᵀ"
    assert to_unicode(r"\frac{a}{b} + c") == "a/b + c"
    assert to_unicode(r"\frac{a}{b} \circ c") == "a/b ∘ c"
    assert to_unicode(r"\frac{\partial s}{\partial x} = 1") == "∂s/∂x = 1"
    assert to_unicode(r"\frac{\partial f}{\partial q}\frac{\partial q}{\partial x}") == (
        "∂f/∂q ∂q/∂x"
    )
