"""Softmax, log-softmax and logsumexp, with their backward passes, accurate when saturated.

The textbook backward of p = softmax(z) is p ∘ (g − Σ g∘p) and that of log-softmax is
g − p Σ g. Both are right, but when one probability p_j is close to 1 they subtract two nearly
equal numbers: g_j − Σ_k p_k g_k ≈ g_j − g_j, and 1 − p_j, computed from p_j, has an absolute
error of one rounding unit, so the relative error of the result is about 1e-16 / (1 − p_j).
At attention scores that saturate a row (1 − p_j ≈ 3e-6, seen in the transformer block) that is
1e-10 in dS and 1e-7 after the weight gradient's matrix products: the engine, which checks the
generated code to 1e-9, was the least accurate of the three gradients compared.

The forms here are the same formulas rearranged so that no difference cancels (``axis=None``
means the whole array, for the vector ops):
- logsumexp(z) = m + log1p(Σ_{k≠j} e^{z_k − m}), m = z_j the first largest entry, and
  log-softmax = (z − m) − log1p(…), so log p_j = −log1p(…) is exact to rounding, not 1e-16/(1-p_j);
- softmax's backward shifts g by its value c = g_j at the most probable entry before weighting:
  p ∘ ((g − c) − Σ p (g − c)) equals the textbook form because Σ p = 1, and at j it is
  −p_j Σ_{k≠j} p_k (g_k − g_j), a sum of small terms instead of a difference of large ones;
- log-softmax's backward at j is g_j (1 − p_j) − p_j Σ_{k≠j} g_k with 1 − p_j = −expm1(log p_j).
"""

from __future__ import annotations

import numpy as np

Array = np.ndarray


def first_max_mask(x: Array, axis: int | None) -> Array:
    """1 at the first largest entry along ``axis`` (of the whole array for None), 0 elsewhere."""
    mask = np.zeros_like(x)
    if axis is None:
        mask.flat[int(np.argmax(x))] = 1.0
    else:
        np.put_along_axis(mask, np.argmax(x, axis=axis, keepdims=True), 1.0, axis=axis)
    return mask


def _shift(x: Array, axis: int | None) -> tuple[Array, Array, Array]:
    """(z − m, log1p(Σ_{k≠j} e^{z_k − m}), mask of j) with m = z_j the first maximum."""
    mask = first_max_mask(x, axis)
    shifted = x - np.max(x, axis=axis, keepdims=True)
    rest = np.sum(np.exp(shifted) * (1.0 - mask), axis=axis, keepdims=True)
    return shifted, np.log1p(rest), mask


def logsumexp(x: Array, axis: int | None) -> Array:
    """log Σ e^z along ``axis``, keeping the axis with length 1."""
    _, tail, _ = _shift(x, axis)
    return np.max(x, axis=axis, keepdims=True) + tail


def log_softmax(x: Array, axis: int | None) -> Array:
    shifted, tail, _ = _shift(x, axis)
    return shifted - tail


def softmax(x: Array, axis: int | None) -> Array:
    return np.exp(log_softmax(x, axis))


def softmax_backward(p: Array, g: Array, axis: int | None) -> Array:
    """gᵀ ∂softmax: p ∘ ((g − c) − Σ p ∘ (g − c)), c = g at the most probable entry."""
    c = np.sum(g * first_max_mask(p, axis), axis=axis, keepdims=True)
    h = g - c
    return p * (h - np.sum(h * p, axis=axis, keepdims=True))


def log_softmax_backward(log_p: Array, g: Array, axis: int | None) -> Array:
    """gᵀ ∂log-softmax: g − p Σ g, with the most probable entry's g_j (1 − p_j) taken whole."""
    mask = first_max_mask(log_p, axis)
    p = np.exp(log_p)
    top = np.sum(g * mask, axis=axis, keepdims=True)
    others = np.sum(g * (1.0 - mask), axis=axis, keepdims=True)
    at_top = top * -np.expm1(log_p) - p * others
    return np.where(mask > 0, at_top, g - p * (top + others))
