"""Learning-rate schedules: the step size as a function of the epoch t (0-based).

A large rate early moves fast; a smaller one later settles into a minimum instead of bouncing
around it. Cyclic schedules instead sweep up and down, which can hop out of poor regions.
"""

from __future__ import annotations

import numpy as np


def constant(lr0: float, t: int) -> float:
    """No decay: the baseline to compare schedules against."""
    return float(lr0)


def step_decay(lr0: float, t: int, k: int = 10, factor: float = 0.5) -> float:
    """Multiply by ``factor`` (halve, by default) once every ``k`` epochs: lr0 * factor^floor(t/k)."""
    if k < 1:
        raise ValueError(f"the decay period k must be at least 1 epoch, got {k}")
    return float(lr0 * factor ** (t // k))


def exponential_decay(lr0: float, t: int, k: float = 0.1) -> float:
    """Smooth decay lr0 * exp(-k t): the same shrink ratio every epoch."""
    return float(lr0 * np.exp(-k * t))


def cyclic_triangular(lr0: float, t: int, max_lr: float | None = None, step_size: int = 5) -> float:
    """Triangular cycle: rise linearly from lr0 to max_lr over ``step_size`` epochs, then fall.

    The period is 2 * step_size; max_lr defaults to 4 * lr0. In Smith (2017) the LR range test
    gives both bounds; when no range test is run, his alternative rule of thumb sets the base rate
    to 1/3 to 1/4 of the maximum.
    """
    if step_size < 1:
        raise ValueError(f"step_size must be at least 1 epoch, got {step_size}")
    top = 4.0 * lr0 if max_lr is None else max_lr
    cycle = np.floor(1 + t / (2 * step_size))
    x = abs(t / step_size - 2 * cycle + 1)
    return float(lr0 + (top - lr0) * max(0.0, 1.0 - x))


SCHEDULES = {
    "constant": constant,
    "step": step_decay,
    "exponential": exponential_decay,
    "cyclic": cyclic_triangular,
}
