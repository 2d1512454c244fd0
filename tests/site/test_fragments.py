"""The HTML the served site's script asks for: a derivation and an answer's verdict."""

from __future__ import annotations

import pytest

from derivations.api import derive
from derivations.errors import ChainruleError
from derivations.grading.check import check
from derivations.site.fragments import check_fragment, derivation_fragment, inline_markdown

PROBLEM = {"catalog_id": "one-hidden-layer", "wrt": "W"}


def test_derivation_fragment_is_the_entry_sections() -> None:
    d = derive("u.T @ tanh(W @ x + b)", {"W": ["n", "m"], "x": ["m"], "b": ["n"], "u": ["n"]})
    html = derivation_fragment(d.to_dict())
    for ident in ("program", "definitions", "steps", "derivatives", "code", "verification"):
        assert f'id="{ident}"' in html
    assert 'id="d-gradient-W"' in html and "\\" not in html.split("<pre>")[0]


def test_derivation_fragment_refuses_what_is_not_a_result() -> None:
    with pytest.raises(ChainruleError, match="not a result this page can render"):
        derivation_fragment({"expression": "x"})
    bad = derive("x.T @ x", {"x": ["n"]}).to_dict()
    bad["derivatives"][0]["equation"] = r"\text{<img src=x onerror=alert(1)>}"
    with pytest.raises(ChainruleError, match="cannot render the formula"):
        derivation_fragment(bad)


@pytest.mark.parametrize(
    ("answer", "fmt", "verdict", "words"),
    [
        ("delta @ x.T", "expression", "correct", "Correct"),
        (r"\delta x^T", "latex", "correct", "Correct"),
        ("x @ delta.T", "expression", "incorrect", "transpose"),
        ("delta @@ x", "expression", "invalid", "^"),
    ],
)
def test_check_fragment_renders_the_verdict(
    answer: str, fmt: str, verdict: str, words: str
) -> None:
    result = check(PROBLEM, answer, fmt)
    html = check_fragment(result.to_dict())
    assert f'class="badge {verdict}"' in html and words in html
    assert "$" not in html and "**" not in html  # the Markdown is rendered, math as MathML
    if verdict != "invalid":
        assert "<math" in html
    assert result._repr_html_() == html and result._repr_markdown_() == result.feedback


def test_inline_markdown_escapes_everything_else() -> None:
    out = inline_markdown("**a** <b> $x^{T}$ `c` $\\nosuch$", "test")
    assert out.startswith("<strong>a</strong> &lt;b&gt; <math")
    assert "<code>c</code>" in out and "<code>\\nosuch</code>" in out
