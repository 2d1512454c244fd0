"""The terminal renderer on the constructs the catalog's formulas use, and its verbatim fallback:
an unknown command never prints mangled (issue 15: ``\\mathcalU``, ``\\tfrac6``, ``\\beginbmatrix``)."""

from __future__ import annotations

import pytest

from derivations.printing.unicode import to_unicode
from derivations.result import to_unicode_lines


@pytest.mark.parametrize(
    ("latex", "text"),
    [
        (r"W_{ij} \sim \mathcal{U}(-r, r)", "W_ij ∼ 𝒰(-r, r)"),
        (r"\sqrt{\tfrac{6}{n}}", "√(6/n)"),
        (r"\dfrac{a}{b}", "a/b"),
        (r"\begin{bmatrix} x \\ y_{1} \end{bmatrix}", "[x; y₁]"),
        (r"\begin{bmatrix} a & b \\ c & d \end{bmatrix}", "[a, b; c, d]"),
        (r"\begin{bmatrix} \begin{bmatrix} a \\ b \end{bmatrix} \\ c \end{bmatrix}", "[[a; b]; c]"),
        (r"\left\lfloor 1 + t \right\rfloor", "⌊1 + t⌋"),
        (r"\left|x\right|", "|x|"),
        (r"\hat m = \frac{m}{1-\beta_1^t}", "m̂ = m/(1-β₁ᵗ)"),
        (
            r"\operatorname{Var}(W_{ij}) = \frac{2}{n_{in} + n_{out}}",
            "Var(W_ij) = 2/(n_in + n_out)",
        ),
        (r"\frac{a + b}{c}", "(a + b)/c"),
        (r"\hat{v} + \bar y", "v̂ + ȳ"),
        (r"\theta \leftarrow \theta - \alpha \nabla_\theta J", "θ ← θ - α ∇_θ J"),
        (r"g \odot g, \; 1 \cdot y \approx 2 \times 3", "g ⊙ g, 1 · y ≈ 2 × 3"),
        (r"\frac{\partial f}{\partial q}\frac{\partial q}{\partial x}", "∂f/∂q ∂q/∂x"),
        (r"x^\top", "xᵀ"),
        (r"\sigma^{-1}(\bar y)", "σ⁻¹(ȳ)"),
        (r"w_1, \ldots, w_K", "w₁, …, w_K"),
    ],
)
def test_catalog_constructs(latex: str, text: str) -> None:
    assert to_unicode(latex) == text


@pytest.mark.parametrize(
    "latex",
    [
        r"\mathfrak{g} + x",  # an unknown command
        r"\int_0^1 f",  # \in must not match the start of \int
        r"\frac{1}{\mathfrak{g}}",  # unknown inside a group: the whole formula stays LaTeX
        r"\begin{cases} a \end{cases}",  # an environment it does not know
        r"\alphabet",  # \alpha must not match the start of a longer command
    ],
)
def test_unknown_commands_print_the_latex_verbatim(latex: str) -> None:
    assert to_unicode(latex) == latex


def test_report_lines_use_the_same_fallback() -> None:
    text = "x = \\begin{bmatrix} a \\\\ b \\end{bmatrix}\n  y = \\mathfrak{g}\nplain {line}"
    assert to_unicode_lines(text).splitlines() == [
        "x = [a; b]",
        "  y = \\mathfrak{g}",
        "plain {line}",
    ]
