"""Ops along an axis (issue 14): each verified four ways on both axes, printed, and refused well.

sum and mean along an axis are products with 𝟏 (X 𝟏, 𝟏ᵀ X); logsumexp, softmax, log_softmax
and max are ops of their own (``expr/axis_nodes.py``) with rules, gates, printers and exact
definitions; every one is held to finite differences, the engine, the parsed source, exact
SymPy and the displayed forms read back.
"""

from __future__ import annotations

import numpy as np
import pytest

from derivations import derive
from derivations.engine.axis_gates import first_max_mask
from derivations.errors import ChainruleError
from derivations.expr import axis_nodes as X
from derivations.language.elaborate import elaborate
from derivations.language.latex_reader import parse_latex
from derivations.printing.unicode import to_unicode
from tests.helpers import assert_verified

M = {"X": ("n", "B")}
MY = {"X": ("n", "B"), "Y": ("n", "B")}
LAYER = {"W": ("k", "m"), "X": ("m", "B"), "b": ("k",), "Y": ("k", "B")}

# (program, variables, hessian?) for each op on each axis; max without Hessians (its second
# derivative is zero off ties and undefined at them).
PROGRAMS: list[tuple[str, dict, bool]] = [
    *((f"sum(tanh(X) * sum(X, axis={k}))", M, True) for k in (0, 1)),
    *((f"sum(mean(X, axis={k}) ** 2)", M, True) for k in (0, 1)),
    ("sum(tanh(X - mean(X, axis=1)))", M, True),
    ("sum(sigmoid(X - mean(X, axis=0)))", M, False),
    *((f"sum(logsumexp(X, axis={k}))", M, True) for k in (0, 1)),
    ("u.T @ logsumexp(W @ X, axis=1)", {"W": ("n", "m"), "X": ("m", "B"), "u": ("n",)}, False),
    *((f"sum(softmax(X, axis={k}) * Y)", MY, True) for k in (0, 1)),
    *((f"sum(log_softmax(X, axis={k}) * Y)", MY, True) for k in (0, 1)),
    ("-sum(Y * log_softmax(W @ X + b, axis=0))", LAYER, False),
    ("-sum(Y * log(softmax(W @ X + b, axis=0)))", LAYER, False),
    ("sum(max(X, axis=1) * u)", {"X": ("n", "B"), "u": ("n",)}, False),
    ("max(X, axis=0) @ v", {"X": ("n", "B"), "v": ("B",)}, False),
    ("max(x, axis=0) * 2", {"x": ("n",)}, False),
    ("max(x.T, axis=-1) + sum(x)", {"x": ("n",)}, False),
    ("softmax(X, axis=1)", M, False),
    ("logsumexp(X, axis=0)", M, False),
    ("softmax(x, axis=0)", {"x": ("n",)}, False),
    ("A = softmax(Q @ K.T, axis=-1); s = sum(A @ V)", {k: ("T", "d") for k in "QKV"}, False),
]


@pytest.mark.parametrize(
    ("program", "variables", "hessian"), PROGRAMS, ids=[p for p, *_ in PROGRAMS]
)
def test_axis_ops_are_verified_four_ways(program: str, variables: dict, hessian: bool):
    assert_verified(derive(program, variables, hessian=hessian).to_dict()["verification"])


@pytest.mark.parametrize(
    ("program", "shape"),
    [
        ("sum(X, axis=0)", ("1", "B")),
        ("sum(X, axis=1)", ("n", "1")),
        ("mean(X, axis=-1)", ("n", "1")),
        ("logsumexp(X, axis=0)", ("1", "B")),
        ("max(X, axis=1)", ("n", "1")),
        ("softmax(X, axis=0)", ("n", "B")),
        ("log_softmax(X, axis=1)", ("n", "B")),
        ("sum(x, axis=0)", ("1", "1")),
    ],
)
def test_reductions_keep_the_reduced_axis(program: str, shape: tuple[str, str]):
    out = elaborate(program, {"X": ("n", "B"), "x": ("n",)}).output
    assert tuple(str(d) for d in out.shape) == shape


def test_sums_along_an_axis_are_products_with_ones():
    assert to_unicode(derive("sum(X, axis=1)", M, verify=False).to_dict()["output"]["latex"]) == (
        "X 𝟏"
    )
    r = derive("s = sum(X, axis=0) @ u", {"X": ("n", "B"), "u": ("B",)}, verify=False)
    assert "np.sum(X, axis=0) @ u" in r.code["numpy"]


def test_textbook_forms_name_the_axis():
    r = derive("A = softmax(Q @ K.T, axis=1); s = sum(A @ V)", {k: ("T", "d") for k in "QKV"})
    text = r.text()
    assert "A = softmax_row(Q Kᵀ)" in text
    assert "∂s/∂Q = Δ₁ K" in text
    r = derive("sum(max(X, axis=1) * u)", {"X": ("n", "B"), "u": ("n",)})
    assert "∂f/∂X = (u 𝟏ᵀ) ∘ 𝟙[X ≥ max_row(X)]" in r.text()
    assert "_argmax_mask(X, 1)" in r.code["numpy"]


@pytest.mark.parametrize("backend", ["numpy", "torch", "jax"])
def test_generated_code_uses_each_library_along_the_axis(backend: str):
    r = derive("-sum(Y * log_softmax(W @ X + b, axis=0))", LAYER, verify=False)
    code = r.code[backend]
    assert "_log_softmax_axis(" in code and "_softmax_axis(" in code
    assert "ones" not in code
    assert {"numpy": "np.", "torch": "torch.", "jax": "jnp."}[backend] + "sum(" in code


def test_generated_numpy_matches_numpy_along_each_axis():
    namespace: dict = {}
    program = (
        "-sum(Y * log_softmax(X, axis=0)) + sum(max(X, axis=1) * u) + sum(logsumexp(X, axis=1))"
    )
    r = derive(program, {"X": ("n", "B"), "Y": ("n", "B"), "u": ("n",)}, verify=False)
    exec(r.code["numpy"], namespace)  # our own generated module, not user input
    rng = np.random.default_rng(1)
    x, y, u = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.standard_normal(3)
    value, grads = namespace["value_and_grad"](x, y, u)
    lse0 = np.log(np.exp(x).sum(axis=0, keepdims=True))
    lse1 = np.log(np.exp(x).sum(axis=1))
    assert np.isclose(value, -(y * (x - lse0)).sum() + (x.max(axis=1) * u).sum() + lse1.sum())
    soft0 = np.exp(x - lse0)
    soft1 = np.exp(x - lse1[:, None])
    expected = soft0 * y.sum(axis=0) - y + u[:, None] * first_max_mask(x, 1) + soft1
    assert np.allclose(grads["X"], expected)


def test_max_routes_a_tie_to_the_first_maximum():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    assert first_max_mask(x, 1).tolist() == [[0, 1, 0], [1, 0, 0]]
    assert first_max_mask(x, 0).tolist() == [[0, 1, 1], [1, 0, 0]]
    code = derive("u.T @ max(X, axis=1)", {"X": ("n", "B"), "u": ("n",)}, verify=False)
    namespace: dict = {}
    exec(code.code["numpy"], namespace)  # our own generated module, not user input
    _, grads = namespace["value_and_grad"](x, np.array([1.0, 1.0]))
    assert grads["X"].tolist() == [[0, 1, 0], [1, 0, 0]]


def test_the_latex_reader_reads_the_axis_subscripts():
    call = parse_latex(r"\operatorname{softmax}_{\mathrm{row}}\left(X\right)").statements[0].value
    assert call.func == "softmax" and call.keyword("axis").value.text == "1"
    call = parse_latex(r"\max_{\mathrm{col}}\left(X\right)").statements[0].value
    assert call.func == "max" and call.keyword("axis").value.text == "0"


def test_log_of_an_axis_softmax_is_the_stable_log_softmax():
    out = elaborate("log(softmax(X, axis=1))", M).output
    assert isinstance(out, X.AxisLogSoftmax) and out.axis == 1


@pytest.mark.parametrize(
    ("program", "message", "hint"),
    [
        ("sum(X, axis=2)", "axis 2 is out of range: a matrix has axes 0 and 1", "axis=0 runs down"),
        ("sum(X, axis=-3)", "axis -3 is out of range", None),
        ("sum(X, axis=x)", "the axis must be the integer", None),
        ("sum(X, axis=0.5)", "the axis must be the integer", None),
        ("sum(x, axis=1)", "sum along axis 1 of a vector (n,): that axis has length 1", "axis=0"),
        ("softmax(x.T, axis=0)", "axis 0 of a row vector (1, n)", "axis=1"),
        ("sum(X, keepdims=1)", "sum has no keyword argument 'keepdims'", "always keeps the axis"),
        ("sum(X, out=Y)", "sum has no keyword argument 'out'", "the only keyword is axis"),
        ("softmax(X, dim=1)", "softmax has no keyword argument 'dim'", "PyTorch's dim is"),
        ("tanh(X, axis=0)", "tanh takes no keyword arguments", "axis= is taken by"),
        ("max(X, X, axis=0)", "max with an axis takes one array, got 2 arguments", "max(a, b)"),
        ("sum(a, axis=0)", "sum along an axis needs a vector or a matrix", "drop the axis"),
        ("sum(axis=0, X)", "a positional argument follows a keyword argument", "keyword last"),
        ("sum(X, axis=0, axis=1)", "the keyword 'axis' is given twice", None),
    ],
)
def test_bad_axes_are_explained_with_a_position(program: str, message: str, hint: str | None):
    with pytest.raises(ChainruleError) as info:
        elaborate(program, {"X": ("n", "B"), "x": ("n",), "a": ()})
    err = info.value
    assert message in err.message
    assert err.line == 1 and err.column is not None
    if hint is not None:
        assert hint in (err.hint or "")


def test_a_matrix_softmax_without_an_axis_asks_for_one():
    with pytest.raises(ChainruleError) as info:
        elaborate("softmax(X)", M)
    assert "axis=1" in (info.value.hint or "")
