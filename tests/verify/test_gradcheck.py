"""The gradient-check toolkit catches planted mistakes and flags kinks instead of failing them."""

from __future__ import annotations

import numpy as np
import pytest

from derivations.engine import compile_program
from derivations.language.elaborate import elaborate
from derivations.verify.gradcheck import (
    check_gradient,
    complex_step_gradient,
    directional_check,
    near_kink,
    numeric_gradient,
    program_kinks,
    relative_error,
    verdict,
)

RNG = np.random.default_rng(0)
W = RNG.normal(size=(3, 4))  # distinct sizes: a transposed gradient cannot hide
X = RNG.normal(size=4)
U = RNG.normal(size=3)
INPUTS = {"W": W, "x": X, "u": U}
METHODS = ["central", "directional", "complex_step"]


def layer(v: dict) -> float:
    """uᵀ tanh(W x): analytic along every path, so all three methods apply."""
    return v["u"] @ np.tanh(v["W"] @ v["x"])


def layer_grads(v: dict) -> dict:
    delta = v["u"] * (1 - np.tanh(v["W"] @ v["x"]) ** 2)
    return {"W": np.outer(delta, v["x"]), "x": v["W"].T @ delta, "u": np.tanh(v["W"] @ v["x"])}


@pytest.mark.parametrize("method", METHODS)
def test_a_correct_gradient_passes(method: str) -> None:
    report = check_gradient(layer, layer_grads(INPUTS), INPUTS, method, rng=1)
    assert report.passed, str(report)
    assert report.verdict in ("good", "ok for kinked/float functions")


@pytest.mark.parametrize("method", METHODS)
def test_a_transposed_gradient_is_caught(method: str) -> None:
    grads = layer_grads(INPUTS)
    grads["W"] = grads["W"].T
    report = check_gradient(layer, grads, INPUTS, method, rng=1)
    assert not report.passed and report.verdict == "probably wrong"
    assert report.worst is not None and report.worst[0] == "W"
    assert "transposed" in str(report)


@pytest.mark.parametrize("method", METHODS)
def test_a_transposed_square_gradient_is_caught_by_value(method: str) -> None:
    sq = {"A": RNG.normal(size=(3, 3)), "x": RNG.normal(size=3), "u": RNG.normal(size=3)}

    def f(v: dict) -> float:
        return v["u"] @ np.sin(v["A"] @ v["x"])

    wrong = {"A": np.outer(sq["u"] * np.cos(sq["A"] @ sq["x"]), sq["x"]).T}
    report = check_gradient(f, wrong, sq, method, rng=2)
    assert not report.passed and report.max_rel_error > 1e-2


@pytest.mark.parametrize("method", METHODS)
def test_a_missing_factor_of_two_is_caught(method: str) -> None:
    def f(v: dict) -> float:
        return np.sum(v["x"] ** 2)

    report = check_gradient(f, {"x": X}, {"x": X}, method, rng=3)  # should be 2x
    assert not report.passed and report.verdict == "probably wrong"
    assert report.max_rel_error == pytest.approx(0.5, rel=1e-3)


@pytest.mark.parametrize("method", METHODS)
def test_a_sign_error_is_caught(method: str) -> None:
    def f(v: dict) -> float:
        return np.sum(np.sin(v["x"])) * v["c"]

    inputs = {"x": X, "c": 1.5}
    report = check_gradient(
        f, {"x": -1.5 * np.cos(X), "c": np.sum(np.sin(X))}, inputs, method, rng=4
    )
    assert not report.passed and report.verdict == "probably wrong"
    if method != "directional":  # |a - (-a)| / |a| = 2
        assert report.worst[0] == "x" and report.max_rel_error == pytest.approx(2.0)


def test_kinks_are_flagged_not_failed() -> None:
    x = np.array([1.0, -0.5, 3e-8, 2.0])  # the third entry sits on relu's kink

    def f(v: dict) -> float:
        return float(np.sum(np.maximum(v["x"], 0.0)))

    grads = {"x": (x > 0).astype(float)}
    blind = check_gradient(f, grads, {"x": x})
    assert not blind.passed and blind.worst == ("x", (2,))
    report = check_gradient(f, grads, {"x": x}, kink_ops=lambda v: v["x"])
    assert report.passed and report.flagged_kinks == [("x", (2,))]
    # a real mistake elsewhere is still caught next to a flagged kink
    grads["x"][0] = 2.0
    assert not check_gradient(f, grads, {"x": x}, kink_ops=lambda v: v["x"]).passed


def test_directional_kinks_are_flagged() -> None:
    x = np.array([1.0, 2e-8])

    def f(v: dict) -> float:
        return float(np.sum(np.abs(v["x"])))

    report = directional_check(f, {"x": np.sign(x)}, {"x": x}, 4, rng=0, kink_ops=lambda v: v["x"])
    assert report.passed and len(report.flagged_kinks) == 4


def test_program_kinks_and_near_kink_use_the_engine() -> None:
    program = elaborate(
        "sum(relu(W @ x)) + sum(max(x, y))", {"W": ("n", "m"), "x": ("m",), "y": ("m",)}
    )
    graph = compile_program(program)
    w = np.array([[1.0, -1.0], [0.5, 2.0]])
    far = {"W": w, "x": np.array([1.0, 0.2]), "y": np.array([0.3, 0.9])}
    tie = {**far, "y": np.array([1.0, 0.5])}  # x[0] == y[0]
    on_relu = {**far, "x": np.array([1.0, 1.0])}  # (W @ x)[0] == 0
    assert not near_kink(program, far)
    assert near_kink(program, tie) and near_kink(program, on_relu)
    kinks = program_kinks(program)

    def f(v: dict) -> float:
        return graph.forward(v)

    _, grads = graph.backward(on_relu, ["W", "x", "y"])
    report = check_gradient(f, grads, on_relu, kink_ops=kinks)
    assert report.passed and ("W", (0, 0)) in report.flagged_kinks
    assert (
        check_gradient(
            f, graph.backward(far, ["W", "x", "y"])[1], far, kink_ops=kinks
        ).flagged_kinks
        == []
    )


def test_relative_error_and_bands() -> None:
    result = relative_error([1.0, 2.0, 0.0], [1.0, 2.2, 0.0])
    assert result.worst_index == (1,) and result.max_rel_error == pytest.approx(0.2 / 2.2)
    assert result.errors[2] == 0.0  # 0 vs 0 is no error thanks to the floor
    assert result.verdict == "probably wrong"
    assert [verdict(e) for e in (0.5, 1e-3, 1e-5, 1e-9, float("nan"))] == [
        "probably wrong",
        "suspicious",
        "ok for kinked/float functions",
        "good",
        "probably wrong",
    ]


def test_numeric_and_complex_step_gradients_agree_with_the_formula() -> None:
    expected = layer_grads(INPUTS)
    central = numeric_gradient(layer, INPUTS)
    complex_step = complex_step_gradient(layer, INPUTS, ["W", "x"])
    for name in ("W", "x"):
        np.testing.assert_allclose(central[name], expected[name], rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(complex_step[name], expected[name], rtol=1e-13, atol=1e-15)


def test_scalar_inputs_stay_scalars() -> None:
    grads = numeric_gradient(lambda v: v["a"] ** 3 * v["b"], {"a": 2.0, "b": 0.5})
    assert isinstance(grads["a"], float) and grads["a"] == pytest.approx(6.0)


def test_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown method"):
        check_gradient(layer, layer_grads(INPUTS), INPUTS, "forward")
