"""Identities the catalog's notes state, proved symbolically."""

from __future__ import annotations

import sympy as sp

from derivations.calculus.elementwise import sigmoid


def test_tanh_is_a_rescaled_sigmoid() -> None:
    x = sp.Symbol("x", real=True)
    difference = sp.tanh(x) - (2 * sigmoid.definition(2 * x) - 1)
    assert sp.simplify(difference.rewrite(sp.exp)) == 0


def test_sigmoid_derivative_and_softplus_link() -> None:
    x = sp.Symbol("x", real=True)
    s = sigmoid.definition(x)
    assert sp.simplify(sp.diff(s, x) - s * (1 - s)) == 0
    assert sp.simplify(sp.diff(sp.log(1 + sp.exp(x)), x) - s) == 0
