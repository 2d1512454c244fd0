"""Vectorization: one matrix product over a batch instead of a Python loop over examples.

The lecture's point is speed: W @ X for a batch X (d × N) does the same arithmetic as N products
W @ x_i, but in one call into optimized BLAS instead of N interpreted iterations. The two
functions below compute the same scores; ``bench/vectorization.py`` times them.
"""

from __future__ import annotations

import numpy as np


def scores_loop(W: np.ndarray, xs: list[np.ndarray]) -> np.ndarray:
    """C × N scores, one window at a time: what the vectorized version replaces."""
    return np.stack([W @ x for x in xs], axis=1)


def scores_batched(W: np.ndarray, X: np.ndarray) -> np.ndarray:
    """C × N scores in one matrix product: the columns of X are the N windows."""
    return W @ X
