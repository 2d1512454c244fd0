"""The --latex document and the notebook reprs of a derivation."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from derivations.api import derive
from derivations.printing.document import tt

NET = (
    "z = W @ x + b; h = tanh(z); s = u.T @ h",
    {"W": ["n", "m"], "x": ["m"], "b": ["n"], "u": ["n"]},
)


@pytest.fixture(scope="module")
def result():
    return derive(*NET)


def test_document_has_headings_definitions_first_and_left_aligned_lines(result) -> None:
    doc = result.latex_document()
    assert r"\usepackage[fleqn]{amsmath}" in doc  # displayed equations flush left
    heads = re.findall(r"\\section\*\{([^}]*)\}", doc)
    assert heads == ["Program", "Definitions", "Derivatives", "Chain-rule steps", "Verification"]
    assert doc.index(r"\delta &= u \circ") < doc.index(r"\frac{\partial s}{\partial W} &=")
    for block in re.findall(r"\\begin\{align\*\}\n(.*?)\\end\{align\*\}", doc, re.S):
        for line in block.strip().split("\\\\\n"):
            assert "&" in line, line  # every line shares the alignment point


def test_program_text_is_escaped_for_texttt() -> None:
    assert tt("w_1 & x^2 {~}") == r"w\_1 \& x\^{}2 \{\~{}\}"


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_document_compiles_cleanly(result, tmp_path: Path) -> None:
    hessian = derive(
        "x.T @ A @ x + lam * sum(x_1 ** 2)",
        {"x": ["n"], "A": ["n", "n"], "lam": [], "x_1": ["n"]},
        hessian=True,
    )
    for k, doc in enumerate((result.latex_document(), hessian.latex_document())):
        (tmp_path / f"d{k}.tex").write_text(doc)
        done = subprocess.run(
            ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", f"d{k}.tex"],
            cwd=tmp_path, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout[-2000:]
        assert "Overfull" not in done.stdout or k == 1  # long Hessian lines may overflow


def test_notebook_reprs(result) -> None:
    html = result._repr_html_()
    assert html.count("<math") >= 8 and "passed" in html and "\\" not in html
    md = result._repr_markdown_()
    assert (
        md.startswith("**Program**") and r"$$\frac{\partial s}{\partial W} = \delta x^{T}$$" in md
    )
    latex = result._repr_latex_()
    assert latex.startswith("$$\\begin{aligned}") and latex.index(r"\delta &=") < latex.index(
        r"\partial W} &="
    )
