"""Issue 10's display escapes: an index-printer mutant, applied to a temporary copy of the
package, makes verification fail (the index forms, the steps' included, are read back).

The last run of ``bench/mutants.py`` before index forms were read let three through:
``index-transpose-unswapped`` on softmax and its Jacobian, and ``index-negation-dropped`` on a
two-layer network (its step ∂h₂ᵢ/∂W₂ⱼₗ = 𝟙[i = j] σ′(…) h₁ₗ).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from derivations import derive
from derivations.language.latex_reader import parse_latex
from derivations.verify.displayed import check_displayed
from derivations.verify.index_values import evaluate_index_form

ROOT = Path(__file__).resolve().parents[2]
INDEX = "printing/index.py"
TRANSPOSE = (
    "return self.entry(node.children[0], c, r)",
    "return self.entry(node.children[0], r, c)",
)
NEGATION = ("return -self._at(node.children[0], r, c)", "return self._at(node.children[0], r, c)")
TWO_LAYER = (
    "h1 = relu(W1 @ x + b1); h2 = sigmoid(W2 @ h1); s = u.T @ h2",
    {"W1": ["n", "m"], "x": ["m"], "b1": ["n"], "W2": ["k", "n"], "u": ["k"]},
)
RUN = """
import json, sys
from derivations import derive
program, variables = json.loads(sys.argv[1])
v = derive(program, variables).verification
print(json.dumps({"passed": v["passed"],
                  "failed": [c["method"] for c in v["checks"] if not c["passed"]]}))
"""


def _verify_mutated(
    tmp_path: Path, edit: tuple[str, str], program: str, variables: dict, where: str = INDEX
) -> dict:
    copy = tmp_path / "derivations"
    shutil.copytree(ROOT / "derivations", copy, ignore=shutil.ignore_patterns("__pycache__"))
    path = copy / where
    text = path.read_text(encoding="utf-8")
    assert text.count(edit[0]) == 1, edit[0]  # the mutant still applies to the code
    path.write_text(text.replace(*edit), encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-c", RUN, json.dumps([program, variables])],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        cwd=tmp_path,
        timeout=600,
        check=True,
    )
    return json.loads(out.stdout)


@pytest.mark.parametrize(
    ("edit", "program", "variables"),
    [
        (TRANSPOSE, "sum(softmax(x) * y)", {"x": ["n"], "y": ["n"]}),
        (TRANSPOSE, "softmax(x)", {"x": ["n"]}),
        (NEGATION, *TWO_LAYER),
    ],
    ids=["transpose-softmax", "transpose-jacobian-softmax", "negation-two-layer"],
)
def test_an_index_printer_mutant_fails_verification(tmp_path, edit, program, variables) -> None:
    assert derive(program, variables).verification_passed  # unmutated: passes
    verdict = _verify_mutated(tmp_path, edit, program, variables)
    assert verdict["passed"] is False
    assert verdict["failed"] == ["displayed_form"]  # only the display changed


def test_every_step_of_the_two_layer_network_is_read() -> None:
    check = check_displayed(derive(*TWO_LAYER, verify=False))
    assert check["passed"] and check["not_read"] == []


def test_the_kronecker_delta_reads_only_as_an_indicator() -> None:
    """𝟙[i = j] is the Kronecker delta; δ_ij is an entry of δ (the error signal), never 1[i = j]."""
    tree = parse_latex(r"\mathbb{1}\left[i = j\right]", names=set(), indices=["i", "j"])
    value = evaluate_index_form(tree.statements[0].value, {}, ["i", "j"], (3, 3))
    assert (value == [[1, 0, 0], [0, 1, 0], [0, 0, 1]]).all()
    delta = parse_latex(r"\delta_{ij}", names={"delta"}, indices=["i", "j"]).statements[0].value
    matrix = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]
    entries = evaluate_index_form(delta, {"delta": np.array(matrix)}, ["i", "j"], (3, 3))
    assert (entries == np.array(matrix)).all()


ONEHOT = (
    'else sp.latex(pick[1] + 1)\n    return rf"\\mathbf{{e}}',
    'else sp.latex(2 - pick[1])\n    return rf"\\mathbf{{e}}',
)


def test_a_basis_vector_printed_at_the_wrong_entry_fails_verification(tmp_path) -> None:
    """e_{k} and [x]_{k} are read back now: printing x[0]'s e₁ as e₂ is caught."""
    program, variables = "x[0] * x[1] ** 2", {"x": ["n"]}
    assert derive(program, variables).verification_passed
    verdict = _verify_mutated(tmp_path, ONEHOT, program, variables, "ops/indexing.py")
    assert verdict["passed"] is False
    assert verdict["failed"] == ["displayed_form"]
