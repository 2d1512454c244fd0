"""The terminal rendering of chainrule's own LaTeX."""

from __future__ import annotations

import pytest

from derivations.api import derive
from derivations.printing.unicode import to_unicode
from tests.op_programs import USER_PROGRAMS


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
        # An accented letter is one term: batch norm's Δ_X̂/σ, not (Δ_X̂)/σ.
        (r"\frac{\Delta_{\hat{X}}}{\sigma}", "Δ_X̂/σ"),
        # A root of one symbol is bare, as printed (attention's 1/√d); a longer one bracketed.
        (r"\frac{S}{\sqrt{d}}", "S/√d"),
        (r"\sqrt{d + 1}", "√(d + 1)"),
    ],
)
def test_to_unicode(latex: str, text: str) -> None:
    assert to_unicode(latex) == text


def test_substack_sums_read_as_ranges() -> None:
    latex = r"\sum_{\substack{1 \leq l \leq n\\1 \leq k \leq n}} B_{ki} x_{l} A_{lk}"
    assert to_unicode(latex) == "Σ[l=1..n, k=1..n] B_ki x_l A_lk"
    assert to_unicode(r"\sum_{1 \leq k \leq n} x_{k}") == "Σ[k=1..n] x_k"


@pytest.mark.parametrize(
    ("program", "variables", "hessian"),
    [
        *((p, v, h) for _, p, v, h in USER_PROGRAMS),
        ("x.T @ A @ B @ y", {"x": ("n",), "A": ("n", "n"), "B": ("n", "n"), "y": ("n",)}, False),
    ],
)
def test_every_user_program_prints_without_latex(program: str, variables: dict, hessian: bool):
    """No line of the terminal text falls back to raw LaTeX (an unknown command)."""
    text = derive(program, variables, hessian=hessian, verify=False).text()
    assert "\\" not in text, [line for line in text.splitlines() if "\\" in line]
