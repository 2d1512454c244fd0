"""The terminal rendering of chainrule's own LaTeX."""

from __future__ import annotations

import pytest

from derivations.printing.unicode import to_unicode


@pytest.mark.parametrize(
    ("latex", "text"),
    [
        (r"\frac{\partial s}{\partial W} = \delta x^{T}", "∂s/∂W = δ xᵀ"),
        (r"u \circ \left(1 - \tanh^{2}\left(z\right)\right)", "u ∘ (1 - tanh²(z))"),
        (r"-X^{-T} a b^{T} X^{-T}", "-X⁻ᵀ a bᵀ X⁻ᵀ"),
        (r"\frac{\partial z_{i}}{\partial W_{jk}} = \delta_{ij} x_{k}", "∂z_i/∂W_jk = δ_ij x_k"),
        (r"W_{1}^{T} \delta_{1}", "W₁ᵀ δ₁"),
        (r"\sum_{k=1}^{n} \delta_{k} W_{ki}", "Σ[k=1..n] δ_k W_ki"),
        (r"\mathbb{1}\left[z > 0\right]", "𝟙[z > 0]"),
        (r"\frac{x}{\left\lVert x \right\rVert_{2}}", "x/‖x‖₂"),
        (r"\operatorname{diag}\left(\sigma\left(z\right)\right)", "diag(σ(z))"),
    ],
)
def test_to_unicode(latex: str, text: str) -> None:
    assert to_unicode(latex) == text
