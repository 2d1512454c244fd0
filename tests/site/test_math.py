"""Math rendering: MathML or a build failure that names the formula's origin, never raw LaTeX."""

from __future__ import annotations

import pytest

from derivations.site.math import MathRenderError, render_math


def test_textbook_latex_becomes_mathml() -> None:
    out = render_math(r"\frac{\partial s}{\partial W} = \delta x^{T}", "entry one", display=True)
    assert out.startswith("<math") and 'display="block"' in out
    assert "<mfrac>" in out and "\\" not in out


@pytest.mark.parametrize(
    ("latex", "problem"),
    [
        (r"\foo{x}", "raw LaTeX"),  # latex2mathml passes unknown commands through as <mi>\foo</mi>
        (r"\frac{a}", "missing argument"),  # and accepts a fraction with one part
        ("x^{", "MissingSuperScriptOrSubscriptError"),
        (r"\text{<script>alert(1)</script>}", "unexpected element <script>"),
        ("a & b", "not well-formed"),
        (r'\text{<!DOCTYPE m [<!ENTITY a "aa">]>}', "markup declarations"),
        ("  ", "empty"),
    ],
)
def test_what_cannot_be_rendered_fails_naming_where(latex: str, problem: str) -> None:
    with pytest.raises(MathRenderError) as info:
        render_math(latex, "entry softmax: definition z")
    message = str(info.value)
    assert "entry softmax: definition z" in message and problem in message
    assert info.value.details["where"] == "entry softmax: definition z"
