"""Parameter initialization: small random weights break the symmetry, biases start at zero.

If every weight started equal, every hidden unit would compute the same thing and receive the
same gradient, so they would stay identical forever; random values make them differ. Xavier
(Glorot) scales the spread so that activations and back-propagated gradients keep roughly the
same variance from layer to layer: Var(W) = 2 / (n_in + n_out).
"""

from __future__ import annotations

import math

import numpy as np


def uniform_init(shape: tuple[int, ...], r: float, rng: np.random.Generator) -> np.ndarray:
    """Uniform(-r, r) entries: variance r**2 / 3, so r sets how far from zero weights start."""
    if not (math.isfinite(r) and r > 0):
        raise ValueError(f"the range r must be a positive finite number, got {r}")
    return rng.uniform(-r, r, size=shape)


def xavier_variance(n_in: int, n_out: int) -> float:
    """Glorot's compromise between keeping forward (n_in) and backward (n_out) variance."""
    return 2.0 / (n_in + n_out)


def xavier_uniform(n_out: int, n_in: int, rng: np.random.Generator) -> np.ndarray:
    """An (n_out, n_in) weight matrix with Var = 2/(n_in + n_out), drawn uniformly.

    Uniform(-r, r) has variance r**2/3, so r = sqrt(6 / (n_in + n_out)) hits the target.
    """
    r = np.sqrt(3.0 * xavier_variance(n_in, n_out))
    return rng.uniform(-r, r, size=(n_out, n_in))


def xavier_normal(n_out: int, n_in: int, rng: np.random.Generator) -> np.ndarray:
    """An (n_out, n_in) weight matrix with Var = 2/(n_in + n_out), drawn from a Gaussian."""
    return rng.normal(0.0, np.sqrt(xavier_variance(n_in, n_out)), size=(n_out, n_in))


def zeros_bias(n: int) -> np.ndarray:
    """Biases need no symmetry breaking: the random weights already make units differ."""
    return np.zeros(n)


def output_bias(targets: np.ndarray, output: str = "linear") -> np.ndarray:
    """The output-layer bias that makes the constant prediction optimal at the start.

    ``targets`` has one row per example. A linear output (squared error) starts at the mean
    target. A sigmoid output (0/1 targets, cross-entropy) starts at the inverse sigmoid of the
    mean, log(p / (1 - p)): sigmoid(b) = p is then the best constant, whereas b = p is not. A
    softmax output (one-hot targets) starts at the log class frequencies, so softmax(b) = p.
    """
    mean = np.mean(np.asarray(targets, dtype=float), axis=0)
    if output == "linear":
        return mean
    if output not in ("sigmoid", "softmax"):
        raise ValueError(f"unknown output {output!r}: choose linear, sigmoid or softmax")
    if np.any(mean <= 0) or np.any(mean >= 1):  # the logit of 0 or 1 is infinite
        raise ValueError(f"mean targets must lie strictly inside (0, 1) for a {output} output")
    if output == "sigmoid":
        return np.log(mean) - np.log1p(-mean)
    return np.log(mean)
