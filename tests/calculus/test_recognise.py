"""The lecture's functions are recognised wherever they are written, and the code stays stable."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derivations import derive
from derivations.engine.compile import compile_program
from derivations.verify.numeric import load_module
from derivations.verify.run import engine_check, finite_difference_check
from derivations.verify.sampling import choose_sizes, draw_inputs

V = {"x": ("n",), "a": ("n",), "y": ("n",)}


def _output(program: str, variables: dict = V) -> str:
    return derive(program, variables, verify=False).to_dict()["output"]["latex"]


@pytest.mark.parametrize(
    ("program", "expected"),
    [
        ("1/(1+exp(-x))", r"\sigma\left(x\right)"),
        ("exp(a)/(1+exp(a))", r"\sigma\left(a\right)"),
        ("exp(a)/(exp(a)+1)", r"\sigma\left(a\right)"),
        ("1/(1+exp(a))", r"\sigma\left(-a\right)"),
        ("sum(log(1+exp(x)))", r"\sum \operatorname{softplus}\left(x\right)"),
        ("sum(log(1 - sigmoid(a)))", r"\sum \log\left(\sigma\left(-a\right)\right)"),
        ("exp(x)/sum(exp(x))", r"\operatorname{softmax}\left(x\right)"),
        ("log(sum(exp(x)))", r"\operatorname{logsumexp}\left(x\right)"),
        ("(exp(x) - exp(-x))/(exp(x) + exp(-x))", r"\tanh\left(x\right)"),
        (
            "sum(log(1 + exp(-y * x)))",
            r"\sum \operatorname{softplus}\left(\left(-y\right) \circ x\right)",
        ),
    ],
)
def test_functions_are_recognised(program: str, expected: str) -> None:
    assert _output(program) == expected
    assert derive(program, V).to_dict()["verification"]["passed"]


def test_logistic_loss_gradient_and_hessian_in_textbook_form() -> None:
    r = derive(
        "sum(log(1 + exp(-y * (X @ w))))",
        {"X": ("N", "d"), "w": ("d",), "y": ("N",)},
        wrt=["w"],
        hessian=True,
    )
    d = r.to_dict()
    assert d["verification"]["passed"]
    grad, hess = (x["latex"] for x in d["derivatives"])
    assert grad == r"-X^{T} \left(\sigma\left(-y \circ \left(X w\right)\right) \circ y\right)"
    assert "exp" not in hess and r"\sigma" in hess


STABLE_FORMS = [
    "sum(log(1 + exp(X @ w)))",
    "sum(log(exp(X @ w) + 1))",
    "sum(softplus(X @ w))",
    "sum(log1p(exp(X @ w)))",
    "-sum(log(1 / (1 + exp(X @ w))))",
    "-sum(log(sigmoid(-(X @ w))))",
    "-sum(log(1 - sigmoid(X @ w)))",
]


@pytest.mark.parametrize("program", STABLE_FORMS)
def test_generated_code_is_stable_at_large_logits(program: str) -> None:
    """log(1 + e^{Xw}) at Xw ≈ 800: value ≈ Xw, gradient Xᵀσ(Xw) ≈ Xᵀ𝟏, Hessian ≈ 0."""
    r = derive(program, {"X": ("N", "d"), "w": ("d",)}, wrt=["w"], hessian=True, verify=False)
    module = load_module(r.code["numpy"])
    X = np.array([[400.0, 400.0], [1.0, -1.0], [-400.0, -400.5]])
    w = np.array([1.0, 1.0])
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        value, grads = module["value_and_grad"](X=X, w=w)
        hess = module["hessian"](X=X, w=w)["w"]
    z = X @ w
    want_value = np.sum(np.logaddexp(0.0, z))
    sig = 0.5 * (1 + np.tanh(z / 2))
    assert np.isclose(value, want_value, rtol=1e-12)
    assert np.allclose(grads["w"], X.T @ sig, rtol=1e-12)
    assert np.allclose(hess, X.T @ np.diag(sig * (1 - sig)) @ X, rtol=1e-9, atol=1e-12)


def patterns(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds(lambda e: f"1/(1 + exp({e}))", inner),
        st.builds(lambda e: f"1/(1 + exp(-{e}))", inner),
        st.builds(lambda e: f"exp({e})/(1 + exp({e}))", inner),
        st.builds(lambda e: f"3 * x/(exp({e}) + 1)", inner),
        st.builds(lambda e: f"log(1 + exp({e}))", inner),
        st.builds(lambda e: f"log1p(exp({e}))", inner),
        st.builds(lambda e: f"log(1 - sigmoid({e}))", inner),
        st.builds(lambda e: f"exp({e})/sum(exp({e}))", inner),
        st.builds(lambda e: f"(exp({e}) - exp(-{e}))/(exp({e}) + exp(-{e}))", inner),
    )


LEAVES = st.sampled_from(["x", "y", "(a * x)", "(x * y)", "(-y * x)", "(x - 1)"])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(patterns(st.one_of(LEAVES, patterns(LEAVES))), st.sampled_from(["sum", "y.T @ "]))
def test_recognition_never_changes_a_value_or_a_derivative(body: str, reduce: str) -> None:
    """The recognised program against the written one: value, engine gradient, FD."""
    program = f"{reduce}({body})"
    variables = {"x": ("n",), "y": ("n",), "a": ()}
    result = derive(program, variables, verify=False)
    derivation = result.derivation
    written = derivation.program.as_written
    module = load_module(result.code["numpy"])
    sizes = choose_sizes(written)
    inputs, _ = draw_inputs(written, sizes, np.random.default_rng(0), module["value"])
    assert inputs is not None
    with np.errstate(all="ignore"):
        value, _ = compile_program(written).backward(inputs, ["x"])
        assert np.isclose(module["value"](**inputs), value, rtol=1e-9, atol=1e-12)
        assert finite_difference_check(derivation, module, inputs, sizes, False)["passed"]
        assert engine_check(derivation, module, inputs, sizes, False)["passed"]


@pytest.mark.parametrize(
    ("program", "variables"),
    [
        ("sum(exp(A)/sum(exp(A)))", {"A": ("n", "m")}),
        ("u.T @ (exp(A)/sum(exp(A))) @ v", {"A": ("n", "m"), "u": ("n",), "v": ("m",)}),
        ("exp(x.T)/sum(exp(x.T)) @ u", {"x": ("n",), "u": ("n",)}),
    ],
)
def test_softmax_is_recognised_only_for_a_column(program: str, variables: dict) -> None:
    """e^{A}/Σe^{A} over a matrix or a row is not the column softmax (it crashed the rule)."""
    d = derive(program, variables).to_dict()
    assert d["verification"]["passed"]
    assert "softmax" not in d["output"]["latex"]
