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


# -- picked entries: x_{n}, W_{1,i}, z_{y + 1}, 𝟙[i = y + 1] take the draw's sizes and labels -----

PICKS = ("x[0] * x[-1] + sum(W[:, 1] * W[0, :]) + W[1, 2]", {"x": ["n"], "W": ["n", "n"]})
LABEL = ("z[y] - logsumexp(z)", {"z": ["k"], "y": {"kind": "label", "classes": "k"}})


@pytest.mark.parametrize("program", [PICKS, LABEL], ids=["integers", "label"])
def test_index_forms_with_picked_entries_are_read(program) -> None:
    check = check_displayed(derive(*program, hessian=True, verify=False))
    assert check["passed"], check["detail"]
    assert not [u for u in check["not_read"] if "index form" in u], check["not_read"]


def test_a_picked_entry_reads_its_position_from_one() -> None:
    """x_{n} is the last entry, W_{1,i} row 1, z_{y + 1} class y (a label counts from 0)."""
    x, w = np.array([1.0, 2.0, 5.0]), np.arange(9.0).reshape(3, 3)
    values = {"x": x, "W": w, "n": 3, "y": 1}
    for text, want in [("x_{n}", [5.0, 5.0, 5.0]), ("W_{1,i}", w[0]), ("x_{y + 1}", [2.0] * 3),
                       (r"\mathbb{1}\left[i = y + 1\right]", [0.0, 1.0, 0.0])]:  # fmt: skip
        tree = parse_latex(text, names=set(values), indices=["i"], positions={"n", "y"})
        got = evaluate_index_form(tree.statements[0].value, values, ["i"], (3,))
        assert got.tolist() == list(want), text
    tree = parse_latex("x_{n + 1}", names=set(values), indices=["i"], positions={"n"})
    with pytest.raises(ValueError, match="outside"):  # never NumPy's wrap-around
        evaluate_index_form(tree.statements[0].value, values, ["i"], (3,))


def _shift_picks(monkeypatch: pytest.MonkeyPatch, by: int) -> None:
    """Index forms print x[0] as x_{1 + by} and class y as y + 1 + by; nothing else changes."""
    from derivations.ops import indexing

    original = indexing._pick_symbol

    def shifted(b, pick, label, free):  # fmt: skip
        out = original(b, pick, label, free)
        return out + by if pick[0] in ("at", "label") else out

    monkeypatch.setattr(indexing, "_pick_symbol", shifted)


@pytest.mark.parametrize("program", [PICKS, LABEL], ids=["integers", "label"])
def test_a_wrong_picked_entry_fails_only_displayed_form(monkeypatch, program) -> None:
    _shift_picks(monkeypatch, 1)
    assert _failed_checks(*program) == ["displayed_form"]


# -- offsets: a block of a concatenation, δ_{x,2 d + i} ---------------------------------------------

WINDOW = (
    "x = concat(a, b, c); s = u.T @ tanh(W @ x)",
    {"a": ["d"], "b": ["d"], "c": ["d"], "W": ["n", "3*d"], "u": ["n"]},
)


def test_a_block_of_a_concatenation_is_read_at_its_offset() -> None:
    result = derive(*WINDOW, verify=False)
    shown = {d["wrt"]: d["index_latex"] for d in result.to_dict()["derivatives"]}
    assert "2 d + i" in shown["c"], shown["c"]
    check = check_displayed(result)
    assert check["passed"], check["detail"]
    assert not [u for u in check["not_read"] if "index form" in u], check["not_read"]


def test_a_wrong_offset_fails_only_displayed_form(monkeypatch) -> None:
    import dataclasses

    from derivations.expr import nodes as N
    from derivations.ops.registry import NODES

    spec = NODES[N.Slice]

    def off_by_one(b, node, r, c):  # fmt: skip
        return b.entry(node.children[0], r + node.params[0] + 1, c)  # [g]_{d+i+1}, was d+i

    monkeypatch.setitem(NODES, N.Slice, dataclasses.replace(spec, index=off_by_one))
    assert _failed_checks(*WINDOW) == ["displayed_form"]


def test_a_sum_over_a_shorter_range_is_not_contracted_away() -> None:
    """Σ_{k=1}^{2} 𝟙[k = j] is 𝟙[j ≤ 2] for j up to n, never 1: the Hessian of
    x₃ Σ x_{1:2} printed 𝟙[3 = i] for every j (found when picked entries were first read)."""
    import sympy as sp

    k, j, n = sp.Symbol("k", integer=True), sp.Symbol("j", integer=True), sp.Symbol("n")
    one = sp.Integer(1)
    assert index_printer.contract_sum(sp.KroneckerDelta(k, j), [(k, one, n)], {j: (one, n)}) == 1
    kept = index_printer.contract_sum(sp.KroneckerDelta(k, j), [(k, one, 2)], {j: (one, n)})
    assert isinstance(kept, sp.Sum)
    result = derive("x.T[2] * sum(x[0:2])", {"x": [5]}, hessian=True, verify=False)
    hessian = result.to_dict()["derivatives"][1]["index_latex"]
    assert r"\sum_{k=1}^{2} \mathbb{1}\left[j = k\right]" in hessian, hessian


# -- blocks: [δ_x]_{d + 1:2 d}, [W]_{:,2} read as the rows (or columns) they print -----------------


def test_blocks_of_a_value_are_read() -> None:
    check = check_displayed(derive(*WINDOW, verify=False))
    assert not [u for u in check["not_read"] if "slice" in u], check["not_read"]
    check = check_displayed(derive(*PICKS, hessian=True, verify=False))  # [W]_{:,2}, [W]_{1,:}
    assert check["passed"] and check["not_read"] == [], check


def test_a_block_reads_from_one_to_its_end() -> None:
    x, w = np.arange(1.0, 7.0), np.arange(12.0).reshape(3, 4)
    values = {"x": x, "W": w, "d": 2}
    reader = _reader(values)
    for text, want in [(r"\left[x\right]_{d + 1:2 d}", x[2:4]), (r"\left[W\right]_{:,2}", w[:, 1]),
                       (r"\left[W\right]_{1,:}^{T}", w[0]), (r"\left[W\right]_{2:3}", w[1:3])]:  # fmt: skip
        assert reader.value(text, np.shape(want)).tolist() == want.tolist(), text
    with pytest.raises(ValueError, match="outside"):
        reader.value(r"\left[x\right]_{0:d}", (3,))


def _reader(values: dict):
    from derivations.verify.displayed import _Reader

    reader = _Reader(values)
    reader.sizes = {"d"}
    return reader


def test_a_wrong_block_fails_only_displayed_form(monkeypatch) -> None:
    import dataclasses

    import sympy as sp

    from derivations.expr import nodes as N
    from derivations.ops.registry import NODES
    from derivations.ops.spec import ATOM

    def zero_based(p, node):  # [x]_{0:d}, [x]_{d:2 d}: the start printed from 0
        start, stop = node.params
        return rf"\left[{p.doprint(node.children[0])}\right]_{{{sp.latex(start)}:{sp.latex(stop)}}}", ATOM  # fmt: skip

    monkeypatch.setitem(NODES, N.Slice, dataclasses.replace(NODES[N.Slice], latex=zero_based))
    assert _failed_checks(*WINDOW) == ["displayed_form"]
