"""Initializers: the empirical variance matches the formula within the sampling error."""

from __future__ import annotations

import numpy as np
import pytest

from derivations.catalog.techniques.init import (
    uniform_init,
    xavier_normal,
    xavier_uniform,
    xavier_variance,
    zeros_bias,
)

# The sample variance of N draws has standard error sqrt((mu4 - sigma^4) / N); mu4 is the
# fourth central moment: 9/5 sigma^4 for a uniform, 3 sigma^4 for a Gaussian.
Z = 5.0


def check_moments(a: np.ndarray, var: float, kurtosis: float) -> None:
    n = a.size
    se_var = np.sqrt((kurtosis - 1.0) * var**2 / n)
    assert abs(a.var() - var) < Z * se_var, (a.var(), var)
    assert abs(a.mean()) < Z * np.sqrt(var / n)


def test_xavier_variance_formula() -> None:
    assert xavier_variance(300, 100) == 2.0 / 400


@pytest.mark.parametrize(("make", "kurtosis"), [(xavier_uniform, 9 / 5), (xavier_normal, 3.0)])
def test_xavier_empirical_variance(make, kurtosis: float) -> None:
    rng = np.random.default_rng(1)
    W = make(300, 500, rng)
    assert W.shape == (300, 500) and W.dtype == np.float64
    check_moments(W, 2.0 / 800, kurtosis)


def test_uniform_init_variance_and_range() -> None:
    rng = np.random.default_rng(2)
    W = uniform_init((400, 400), 0.1, rng)
    assert np.all(np.abs(W) <= 0.1)
    check_moments(W, 0.1**2 / 3, 9 / 5)


def test_uniform_init_rejects_non_positive_range() -> None:
    with pytest.raises(ValueError, match="positive"):
        uniform_init((2, 2), 0.0, np.random.default_rng(0))


def test_biases_start_at_zero() -> None:
    assert np.array_equal(zeros_bias(4), np.zeros(4))
