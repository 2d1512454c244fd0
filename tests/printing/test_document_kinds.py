"""LaTeX documents of programs with kinds, data and labels compile, and state the assumptions."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from derivations import derive

PROGRAMS = [
    ("J = -y.T @ log_softmax(z)", {"z": ["k"], "y": {"shape": ["k"], "kind": "onehot"}}),
    ("x.T @ A @ x", {"x": ["n"], "A": {"shape": ["n", "n"], "kind": "symmetric"}}),
    (
        "z = W @ x + b; J = cross_entropy(z, y)",
        {"W": ["k", "m"], "x": ["m"], "b": ["k"], "y": {"kind": "label", "classes": "k"}},
    ),
    ("x[0] * x[-1] + sum(W[:, 1])", {"x": ["n"], "W": ["n", "m"]}),
]


def test_the_document_states_the_facts_used() -> None:
    doc = derive(*PROGRAMS[0]).latex_document()
    assert r"Assumed: $\sum y = 1$ (\texttt{y} is onehot)." in doc


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
@pytest.mark.parametrize(("program", "variables"), PROGRAMS)
def test_documents_with_kinds_and_indices_compile(program, variables, tmp_path: Path) -> None:
    (tmp_path / "d.tex").write_text(derive(program, variables, hessian=True).latex_document())
    done = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "d.tex"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:]
