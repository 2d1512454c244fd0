"""Issue 10's holes, closed one by one: index forms the reader used to skip ("a sum needs an upper
limit", …) are read now, and a wrong displayed form of each shape fails ``displayed_form`` while
every other check passes (only the display changed).

Each mutant is planted in-process (monkeypatch): it changes what the index printer writes, never
the generated code, so finite differences, the engine and the exact check still pass.
"""

from __future__ import annotations

import numpy as np
import pytest

from derivations import derive
from derivations.language.latex_reader import parse_latex
from derivations.printing import index as index_printer
from derivations.verify.displayed import check_displayed
from derivations.verify.index_values import evaluate_index_form


def _failed_checks(program: str, variables: dict, **kw) -> list[str]:
    result = derive(program, variables, verify=True, **kw)
    return [c["method"] for c in result.verification["checks"] if not c["passed"]]


def _unswap_transposes(monkeypatch: pytest.MonkeyPatch) -> None:
    """(Xᵀ)_ik printed X_ik: a wrong index form, the matrix forms and code untouched."""
    monkeypatch.setattr(index_printer.IndexBuilder, "_e_Transpose",
                        lambda self, node, r, c: self.entry(node.children[0], r, c))  # fmt: skip


# -- a sum up to T: ^{T} is the size T, never a transpose ----------------------------------------

ROW_SOFTMAX = (
    "sum(softmax(X @ W, axis=1) * Y)",
    {"X": {"shape": ["T", "e"], "role": "data"}, "W": ["e", "c"],
     "Y": {"shape": ["T", "c"], "role": "data"}},
)  # fmt: skip


@pytest.mark.parametrize("limit", ["^{T}", "^T"])
def test_a_sum_up_to_T_reads_T_as_its_upper_limit(limit) -> None:
    tree = parse_latex(rf"\sum_{{k=1}}{limit} X_{{ki}}", names={"X", "T"}, indices=["i"])
    x = np.arange(6.0).reshape(3, 2)
    value = evaluate_index_form(tree.statements[0].value, {"X": x, "T": 3}, ["i"], (2,))
    assert value.tolist() == x.sum(axis=0).tolist()


def test_a_row_softmax_index_form_is_read() -> None:
    result = derive(*ROW_SOFTMAX, verify=False)
    assert r"\sum_{k=1}^{T}" in result.to_dict()["derivatives"][0]["index_latex"]
    check = check_displayed(result)
    assert check["passed"] and check["not_read"] == []


def test_a_wrong_sum_up_to_T_fails_only_displayed_form(monkeypatch) -> None:
    _unswap_transposes(monkeypatch)  # Σ_{k=1}^{T} … X_{ik} …, was X_{ki}
    assert r"X_{ik}" in derive(*ROW_SOFTMAX, verify=False).to_dict()["derivatives"][0]["index_latex"]  # fmt: skip
    assert _failed_checks(*ROW_SOFTMAX) == ["displayed_form"]
