"""The gates of the Kronecker product, matrix powers, the variance and the layer norm (the ops of
``derivations/ops/products.py`` and ``normalization.py``), hand-written like every gate in
``gates.py`` and independent of their rules; ``gates.py`` adds them to ``GATES``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..expr import nodes as N
from ..ops.normalization import LayerNorm, Variance
from ..ops.products import Kron, KronShare, MatPow
from .gates import Array, Gate, Grads


def _blocks(g: Array, small: tuple[int, ...], big: tuple[int, ...]) -> Array:
    """G of A ⊗ B (A ``small``, B ``big``) as G4[i, k, j, l] = G[i r + k, j s + l]."""
    return g.reshape(small[0], big[0], small[1], big[1])


def _kron_backward(params, g, out, ins, needs) -> Grads:
    a, b = ins
    g4 = _blocks(g, a.shape, b.shape)
    return [
        np.einsum("ikjl,kl->ij", g4, b) if needs[0] else None,  # ⟨G_(ij), B⟩
        np.einsum("ikjl,ij->kl", g4, a) if needs[1] else None,  # Σ A_ij G_(ij)
    ]


def _share_shapes(params: tuple, g: Array, x: Array) -> tuple[tuple, tuple]:
    """(A's shape, B's shape) of the product G came from, X being the given factor."""
    other = (g.shape[0] // x.shape[0], g.shape[1] // x.shape[1])
    return (other, x.shape) if params[0] == "left" else (x.shape, other)


def _share_forward(params: tuple, ins: Sequence[Array]) -> Array:
    g, x = ins
    small, big = _share_shapes(params, g, x)
    spec = "ikjl,kl->ij" if params[0] == "left" else "ikjl,ij->kl"
    return np.einsum(spec, _blocks(g, small, big), x)


def _share_backward(params, g, out, ins, needs) -> Grads:
    big_g, x = ins
    small, big = _share_shapes(params, big_g, x)
    g4 = _blocks(big_g, small, big)
    if params[0] == "left":  # out = [⟨G_(ij), B⟩]: dG = H ⊗ B, dB = Σ H_ij G_(ij)
        return [
            np.kron(g, x) if needs[0] else None,
            np.einsum("ikjl,ij->kl", g4, g) if needs[1] else None,
        ]
    return [  # out = Σ A_ij G_(ij): dG = A ⊗ H, dA = [⟨G_(ij), H⟩]
        np.kron(x, g) if needs[0] else None,
        np.einsum("ikjl,kl->ij", g4, g) if needs[1] else None,
    ]


def _matpow_backward(params, g, out, ins, needs) -> Grads:
    (x,) = ins
    k = params[0]
    powers = [np.eye(x.shape[0])]
    for _ in range(k - 1):
        powers.append(powers[-1] @ x)
    # d(Xᵏ) = Σᵢ Xⁱ dX Xᵏ⁻¹⁻ⁱ  =>  dX = Σᵢ (Xⁱ)ᵀ G (Xᵏ⁻¹⁻ⁱ)ᵀ
    return [sum(powers[i].T @ g @ powers[k - 1 - i].T for i in range(k))]


def _layernorm_forward(params: tuple, ins: Sequence[Array]) -> Array:
    c = ins[0] - np.mean(ins[0])
    return c / np.sqrt(np.mean(c * c) + float(params[0]))


def _layernorm_backward(params, g, out, ins, needs) -> Grads:
    # y = c/σ: dy = (dx − mean(dx) − y mean(y ∘ dx))/σ, a symmetric map, so the same for g.
    c = ins[0] - np.mean(ins[0])
    sigma = np.sqrt(np.mean(c * c) + float(params[0]))
    return [(g - np.mean(g) - out * np.mean(out * g)) / sigma]


def _variance_backward(params, g, out, ins, needs) -> Grads:
    x = ins[0]
    return [g * 2.0 * (x - np.mean(x)) / x.size]


PRODUCT_GATES: dict[type[N.Node], Gate] = {
    Kron: Gate(lambda p, ins: np.kron(ins[0], ins[1]), _kron_backward),
    KronShare: Gate(_share_forward, _share_backward),
    MatPow: Gate(lambda p, ins: np.linalg.matrix_power(ins[0], p[0]), _matpow_backward),
    Variance: Gate(lambda p, ins: np.var(ins[0]).reshape(1, 1), _variance_backward),
    LayerNorm: Gate(_layernorm_forward, _layernorm_backward),
}
