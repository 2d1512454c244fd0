"""Each optimizer against the textbook rule written independently as a plain-Python scalar loop."""

from __future__ import annotations

import math

import numpy as np
import pytest

from derivations.catalog.techniques.optimizers import SGD, Adagrad, Adam, Momentum, RMSprop

TARGET = [1.5, -2.0, 0.25, 3.0]
START = [0.0, 1.0, -1.0, 0.5]
STEPS = 25
LR = 0.05


def rel_err(a: float, n: float) -> float:
    return abs(a - n) / max(abs(a), abs(n), 1e-12)


def grad(theta: float, c: float) -> float:
    return 2.0 * (theta - c) + math.sin(theta)  # a non-quadratic loss so steps differ


def reference(rule: str) -> list[float]:
    out = []
    for theta, c in zip(START, TARGET, strict=True):
        m = v = s = G = 0.0
        for t in range(1, STEPS + 1):
            g = grad(theta, c)
            if rule == "sgd":
                theta = theta - LR * g
            elif rule == "momentum":
                v = 0.9 * v + g
                theta = theta - LR * v
            elif rule == "adagrad":
                G = G + g * g
                theta = theta - LR * g / (math.sqrt(G) + 1e-8)
            elif rule == "rmsprop":
                s = 0.9 * s + 0.1 * g * g
                theta = theta - LR * g / (math.sqrt(s) + 1e-8)
            elif rule == "adam":
                m = 0.9 * m + 0.1 * g
                v = 0.999 * v + 0.001 * g * g
                mh = m / (1 - 0.9**t)
                vh = v / (1 - 0.999**t)
                theta = theta - LR * mh / (math.sqrt(vh) + 1e-8)
        out.append(theta)
    return out


@pytest.mark.parametrize(
    ("rule", "make"),
    [
        ("sgd", SGD),
        ("momentum", Momentum),
        ("adagrad", Adagrad),
        ("rmsprop", RMSprop),
        ("adam", Adam),
    ],
)
def test_matches_textbook_rule(rule: str, make: type) -> None:
    opt = make()
    params = {"w": np.array(START, dtype=np.float64)}
    c = np.array(TARGET)
    for _ in range(STEPS):
        g = 2.0 * (params["w"] - c) + np.sin(params["w"])
        opt.step(params, {"w": g}, LR)
    expected = reference(rule)
    assert params["w"].dtype == np.float64
    for a, n in zip(params["w"], expected, strict=True):
        assert rel_err(a, n) < 1e-12, (rule, a, n)


def test_matrix_and_scalar_parameters_update_independently() -> None:
    opt = Adam()
    params = {"W": np.ones((2, 3)), "lam": 1.0}
    opt.step(params, {"W": np.full((2, 3), 2.0), "lam": -1.0}, 0.1)
    # The first bias-corrected Adam step moves every coordinate by lr * sign(g).
    assert np.allclose(params["W"], 0.9, rtol=0, atol=1e-7)
    assert abs(params["lam"] - 1.1) < 1e-7
