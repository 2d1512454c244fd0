"""Learning-rate schedules against independent references."""

from __future__ import annotations

import math

import numpy as np
import pytest

from derivations.catalog.techniques.schedules import (
    constant,
    cyclic_triangular,
    exponential_decay,
    step_decay,
)


def rel_err(a: float, n: float) -> float:
    return abs(a - n) / max(abs(a), abs(n), 1e-12)


def test_step_decay_halves_every_k_epochs() -> None:
    lr = 0.8
    for t in range(40):
        if t > 0 and t % 7 == 0:
            lr /= 2
        assert rel_err(step_decay(0.8, t, k=7), lr) < 1e-12


def test_exponential_decay() -> None:
    for t in range(30):
        assert rel_err(exponential_decay(0.3, t, k=0.1), 0.3 * math.exp(-0.1 * t)) < 1e-12


def test_constant() -> None:
    assert [constant(0.01, t) for t in range(5)] == [0.01] * 5


@pytest.mark.parametrize("step_size", [1, 3, 5])
def test_cyclic_is_a_triangle_wave(step_size: int) -> None:
    base, top = 0.001, 0.01
    for t in range(6 * step_size + 1):
        phase = t % (2 * step_size)
        ref = np.interp(phase, [0, step_size, 2 * step_size], [base, top, base])
        assert rel_err(cyclic_triangular(base, t, max_lr=top, step_size=step_size), ref) < 1e-12


def test_bad_schedule_arguments_are_rejected() -> None:
    with pytest.raises(ValueError, match="k must be"):
        step_decay(0.1, 3, k=0)
    with pytest.raises(ValueError, match="step_size"):
        cyclic_triangular(0.1, 3, step_size=0)
