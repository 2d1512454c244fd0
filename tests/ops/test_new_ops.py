"""The two ops added through the registry (log1p, cumsum): what their parametrised coverage
does not say, and the registry's errors for a missing piece."""

from __future__ import annotations

import numpy as np
import pytest

from derivations import derive
from derivations.calculus.elementwise import sympy_function
from derivations.calculus.rules import vjp
from derivations.errors import ChainruleError
from derivations.expr import nodes as N
from derivations.expr import shapes as S
from derivations.language.latex_reader import parse_latex
from derivations.ops.registry import MissingOp, function_spec, node_spec
from derivations.verify.numeric import load_module

NET = {"u": ["n"], "W": ["n", "m"], "x": ["m"], "b": ["n"]}


def test_log1p_layer_derives_with_every_form() -> None:
    """The program that once crashed the index printer with a KeyError (a 500 in the service)."""
    r = derive("u.T @ log1p(W @ x + b)", NET)
    assert r.verification_passed, r.verification
    d = r.to_dict()
    (delta,) = d["definitions"]
    assert delta["latex"] == r"\frac{u}{W x + b + 1}"
    assert all(x["index_latex"] for x in d["derivatives"])
    assert "np.log1p(" in r.code["numpy"] and "torch.log1p(" in r.code["torch"]


def test_log1p_reads_back_from_latex() -> None:
    (statement,) = parse_latex(r"\operatorname{log1p}\left(x\right)").statements
    assert statement.value.func == "log1p"


def test_cumsum_gradient_is_the_running_sum_from_the_end() -> None:
    r = derive("u.T @ cumsum(x)", {"u": ["n"], "x": ["n"]})
    assert r.verification_passed
    grad = {x["wrt"]: x for x in r.to_dict()["derivatives"]}["x"]
    assert grad["latex"] == r"L^{T} u"  # L = cumsum(I), the lower-triangular ones
    module = load_module(r.code["numpy"])
    u, x = np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0, 2.0])
    _, grads = module["value_and_grad"](u, x)
    np.testing.assert_allclose(grads["x"], [6.0, 5.0, 3.0])


def test_cumsum_jacobian_is_lower_triangular_ones() -> None:
    r = derive("cumsum(x)", {"x": ["n"]})
    assert r.verification_passed
    (jac,) = r.to_dict()["derivatives"]
    assert jac["latex"] == "L"
    (lower,) = [d for d in r.to_dict()["definitions"] if d["name"] == "L"]
    assert lower["latex"] == r"\operatorname{cumsum}\left(I\right)"
    assert jac["index_latex"].endswith(r"\mathbb{1}\left[i \geq j\right]")


@pytest.mark.parametrize(("shape", "what"), [([], "a scalar"), (["n", "m"], None)])
def test_cumsum_needs_a_column_or_a_matrix(shape: list, what: str | None) -> None:
    if what is None:  # a matrix: cumsum runs down each column
        assert derive("sum(cumsum(A))", {"A": shape}).verification_passed
        return
    with pytest.raises(ChainruleError, match="cumsum needs a column vector or a matrix"):
        derive("cumsum(a)", {"a": shape})


def test_cumsum_of_a_row_is_refused_with_a_hint() -> None:
    with pytest.raises(ChainruleError) as info:
        derive("sum(cumsum(x.T))", {"x": ["n"]})
    assert "no transpose" in (info.value.hint or "")


# -- a missing piece is an error naming the op ----------------------------------------------------


class _Unregistered(N.Unary):
    __slots__ = ()


def test_an_unregistered_op_is_named_by_every_layer() -> None:
    node = _Unregistered(N.Var("x", S.column(S.dim("n"))))
    with pytest.raises(MissingOp, match="_Unregistered.*ops/nodeops.py"):
        node_spec(node)
    with pytest.raises(MissingOp, match="'frobnicate'.*ops/functions.py"):
        function_spec("frobnicate")
    with pytest.raises(NotImplementedError, match="_Unregistered.*calculus/rules.py"):
        vjp(node, node)
    with pytest.raises(NotImplementedError, match="'frobnicate'.*calculus/elementwise.py"):
        sympy_function("frobnicate")
