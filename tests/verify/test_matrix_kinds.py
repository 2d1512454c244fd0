"""Matrices of labels one-hot (or on the simplex) along an axis: Y 𝟏 = 𝟏 or 𝟏ᵀ Y = 𝟏ᵀ.

The axis means what it means for softmax(·, axis=…): axis 1, every row (a sequence of T
tokens, Y of shape T×c); axis 0, every column (the lecture's column batch, Y of shape k×B).
Every rewritten result is verified four ways on points of the kind, fails off the kind, and the
same program with the labels one-hot along the other axis is not simplified.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from derivations import ChainruleError, derive, trace
from derivations.cli import _declarations
from derivations.expr.kinds import Declaration, violation
from derivations.language.elaborate import elaborate
from derivations.limits import DEFAULT_LIMITS
from derivations.verify import exact as E
from derivations.verify.explicit import symbols_for
from derivations.verify.kinds import directions
from derivations.verify.run import verify_result
from tests.helpers import draw_for


def _labels(kind: str, axis: int, *shape: str) -> dict:
    return {"shape": list(shape), "kind": kind, "axis": axis}


ROWS = "J = -sum(Y * log_softmax(Z, axis=1))"
COLUMNS = "J = -sum(Y * log_softmax(Z, axis=0))"
BATCH = "J = -sum(Y * log(softmax(W @ X + b, axis=0)))"
BATCH_VARS = {"W": ["k", "m"], "X": {"shape": ["m", "B"], "role": "data"}, "b": ["k"]}
ROWS_BATCH = "J = -sum(Y * log_softmax(X @ W.T, axis=1))"  # tokens as rows: X (T×m), W (k×m)

CASES = [
    # (program, variables, wrt, hessian, {wrt: latex of the gradient or of δ}, facts)
    (ROWS, {"Z": ["T", "c"], "Y": _labels("onehot", 1, "T", "c")}, None, True,
     {"Z": r"\operatorname{softmax}_{\mathrm{row}}\left(Z\right) - Y"}, ["rows"]),
    (COLUMNS, {"Z": ["c", "B"], "Y": _labels("onehot", 0, "c", "B")}, None, True,
     {"Z": r"\operatorname{softmax}_{\mathrm{col}}\left(Z\right) - Y"}, ["columns"]),
    (ROWS, {"Z": ["T", "c"], "Y": _labels("probability", 1, "T", "c")}, ["Z", "Y"], True,
     {"Z": r"\operatorname{softmax}_{\mathrm{row}}\left(Z\right) - Y"}, ["rows"]),
    (BATCH, {**BATCH_VARS, "Y": _labels("onehot", 0, "k", "B")}, None, False,
     {"W": r"\Delta X^{T}", "b": r"\Delta \mathbf{1}"}, ["columns"]),
    (ROWS_BATCH, {"W": ["k", "m"], "X": {"shape": ["T", "m"], "role": "data"},
                  "Y": _labels("onehot", 1, "T", "k")}, None, False,
     {"W": r"\Delta^{T} X"}, ["rows"]),
    ("J = sum(Y) + mean(P) * sum(Z * Z)",
     {"Z": ["T", "c"], "Y": _labels("onehot", 1, "T", "c"), "P": _labels("probability", 0, "T", "c")},
     ["Z"], False, {"Z": r"\frac{2}{T} Z"}, ["columns"]),
]  # fmt: skip


def _passed_all(result) -> None:
    checks = {c["method"]: c for c in result.verification["checks"]}
    assert result.verification["passed"], result.verification
    for method in ("finite_differences", "backprop_engine", "exact_componentwise"):
        assert checks[method]["passed"] and not checks[method]["skipped"], checks[method]


def _gradient_or_delta(d: dict, wrt: str) -> str:
    return next(i["latex"] for i in d["derivatives"] if i["kind"] == "gradient" and i["wrt"] == wrt)


def _delta(d: dict) -> str | None:
    return next((x["latex"] for x in d["definitions"] if x["role"] == "adjoint"), None)


@pytest.mark.parametrize(("program", "variables", "wrt", "hessian", "forms", "facts"), CASES)
def test_labels_along_an_axis_give_yhat_minus_y(program, variables, wrt, hessian, forms, facts):
    result = derive(program, variables, wrt=wrt, hessian=hessian)
    _passed_all(result)
    d = result.to_dict()
    for w, latex in forms.items():
        assert _gradient_or_delta(d, w) == latex
    delta = _delta(d)
    if delta is not None:  # the batched networks: δ itself is Ŷ − Y
        assert delta.endswith(r"\right) - Y") and delta.count("Y") == 1, delta
    used = {k for keys in result.derivation.assumptions.values() for k in keys}
    assert set(facts) <= used


@pytest.mark.parametrize(("program", "variables", "wrt", "hessian", "forms", "facts"), CASES)
def test_the_same_results_fail_off_the_kind(program, variables, wrt, hessian, forms, facts):
    """Checked at labels that are not one-hot along the axis, the rewritten result is wrong:
    the agreement above is owed to the kind's sampling."""
    result = derive(program, variables, wrt=wrt, hessian=hessian, verify=False)
    typed = result.derivation.program
    for t in {id(typed): typed, id(typed.as_written): typed.as_written}.values():
        t.declarations = {n: v for n, v in t.declarations.items() if v.kind is None}
    plain = {k: (v["shape"] if "axis" in v else v) if isinstance(v, dict) else v
             for k, v in variables.items()}  # fmt: skip
    verdict = verify_result(result, plain, DEFAULT_LIMITS)
    assert not verdict["passed"]
    failed = {c["method"] for c in verdict["checks"] if not c["passed"] and not c["skipped"]}
    assert {"finite_differences", "backprop_engine"} <= failed, verdict


@pytest.mark.parametrize(
    ("program", "shape", "axis"),
    [(ROWS, ["T", "c"], 0), (COLUMNS, ["c", "B"], 1)],
)
def test_labels_along_the_other_axis_are_not_simplified(program, shape, axis) -> None:
    """Rows one-hot say nothing about 𝟏ᵀ Y, nor columns about Y 𝟏: the general form stays,
    and it is still verified (at labels one-hot along the declared axis)."""
    result = derive(program, {"Z": shape, "Y": _labels("onehot", axis, *shape)})
    _passed_all(result)
    latex = _gradient_or_delta(result.to_dict(), "Z")
    assert r"\mathbf{1}" in latex and latex.endswith("- Y"), latex
    assert result.derivation.assumptions == {}


# --- declarations -----------------------------------------------------------------------------


def test_the_axis_is_kept_and_shown() -> None:
    typed = elaborate(ROWS, {"Z": ["T", "c"], "Y": _labels("onehot", 1, "T", "c")})
    assert typed.declarations["Y"] == Declaration("data", "onehot", None, 1)
    assert typed.axes == {"Y": 1}
    result = derive(ROWS, {"Z": ["T", "c"], "Y": _labels("onehot", 1, "T", "c")}, verify=False)
    d = result.to_dict()
    assert d["declarations"]["Y"] == {"role": "data", "kind": "onehot", "axis": 1}
    assert d["assumptions"] == {"Y": [r"Y \mathbf{1} = \mathbf{1}"]}
    assert "Y ('T', 'c') [data, onehot(axis=1)]" in result.text()
    assert "assumed: Y 𝟏 = 𝟏 (Y is declared onehot(axis=1))" in result.text()


def test_a_vectors_only_axis_is_its_first() -> None:
    """onehot(axis=0) on a vector is the vector form, stored as one (no axis)."""
    typed = elaborate("y.T @ z", {"z": ["k"], "y": _labels("onehot", 0, "k")})
    assert typed.declarations["y"] == Declaration("data", "onehot")


@pytest.mark.parametrize(
    ("declaration", "words"),
    [
        ({"shape": ["T", "c"], "kind": "onehot"},
         ["declared onehot", "does not say which axis", '"axis": 1', "Y=T,c:onehot(axis=1)"]),
        (_labels("onehot", 2, "T", "c"), ["axis of 'Y' is 2", "axis=1: every row"]),
        (_labels("probability", "rows", "T", "c"), ["axis of 'Y' is 'rows'"]),
        (_labels("onehot", True, "T", "c"), ["axis of 'Y' is True"]),
        (_labels("onehot", 1, "c"), ["a vector (c,)", "no axis 1", "drop the axis"]),
        (_labels("symmetric", 1, "c", "c"), ["only a onehot or probability matrix"]),
        ({"shape": ["T", "c"], "axis": 1}, ["only a onehot or probability matrix"]),
        ({"shape": [], "kind": "onehot"}, ["a scalar", "a vector, or a matrix with an axis"]),
    ],
)  # fmt: skip
def test_bad_axes_are_explained(declaration, words) -> None:
    with pytest.raises(ChainruleError) as e:
        elaborate("sum(Y)", {"Y": declaration})
    assert e.value.kind == "declaration"
    text = f"{e.value.message} {e.value.hint}"
    for word in words:
        assert word in text, text


def test_the_command_line_declares_an_axis() -> None:
    assert _declarations(["Y=T,c:onehot(axis=1)", "P=k,B:probability( axis = 0 )"]) == {
        "Y": {"shape": ["T", "c"], "kind": "onehot", "axis": 1},
        "P": {"shape": ["k", "B"], "kind": "probability", "axis": 0},
    }
    assert _declarations(["y=k:onehot"]) == {"y": {"shape": ["k"], "kind": "onehot"}}
    with pytest.raises(ChainruleError) as e:
        _declarations(["Y=T,c:onehot(axis=rows)"])
    assert "not 0 or 1" in e.value.message and "onehot(axis=1)" in e.value.hint


@pytest.mark.parametrize(
    ("kind", "axis", "value", "ok"),
    [
        ("onehot", 1, [[0, 1, 0], [1, 0, 0]], True),
        ("onehot", 0, [[0, 1, 0], [1, 0, 1]], True),
        ("onehot", 1, [[0, 1, 0], [1, 0, 1]], False),
        ("onehot", 0, [[0, 1, 0], [1, 0, 0]], False),
        ("probability", 1, [[0.5, 0.25, 0.25], [0.1, 0.8, 0.1]], True),
        ("probability", 0, [[0.5, 0.25, 0.25], [0.1, 0.8, 0.1]], False),
    ],
)
def test_violations_follow_the_axis(kind, axis, value, ok) -> None:
    why = violation(kind, value, axis=axis)
    assert (why is None) == ok, why
    if not ok:
        assert f"every {'row' if axis == 1 else 'column'} of a" in why


def test_trace_checks_each_row() -> None:
    variables = {"Z": ["T", "c"], "Y": _labels("onehot", 1, "T", "c")}
    z = [[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]]
    trace(ROWS, variables, {"Z": z, "Y": [[0, 1, 0], [0, 0, 1]]})
    with pytest.raises(ChainruleError) as e:
        trace(ROWS, variables, {"Z": z, "Y": [[0, 1, 0], [0, 1, 1]]})
    assert "not onehot" in e.value.message and "every row" in e.value.hint


# --- sampling ---------------------------------------------------------------------------------

SAMPLED = {
    "Z": ["T", "c"],
    "Y": _labels("onehot", 1, "T", "c"),
    "C": _labels("onehot", 0, "T", "c"),
    "P": _labels("probability", 1, "T", "c"),
    "Q": _labels("probability", 0, "T", "c"),
}
SAMPLED_PROGRAM = "sum((Y + C + P + Q) * Z)"


def _check_lines(values: dict, tolerance: float) -> None:
    for name, axis in (("Y", 1), ("C", 0), ("P", 1), ("Q", 0)):
        a = np.asarray(values[name], dtype=float)
        assert np.all(np.abs(a.sum(axis=axis) - 1) <= tolerance), (name, a)
        if name in "YC":
            assert set(np.unique(a)) <= {0.0, 1.0}
        else:
            assert np.all(a > 0)


@pytest.mark.parametrize("seed", range(3))
def test_numeric_draws_are_one_hot_along_the_axis(seed: int) -> None:
    _check_lines(draw_for(SAMPLED_PROGRAM, SAMPLED, seed), 1e-12)


def test_exact_points_are_one_hot_along_the_axis() -> None:
    result = derive(SAMPLED_PROGRAM, SAMPLED, verify=False)
    program = result.derivation.program
    env = symbols_for(program.inputs, {"T": 2, "c": 3})
    symbols = [s for m in env.values() for s in m]
    kinds = [(kind, env[name], program.axes.get(name)) for name, kind in program.kinds.items()]
    for point in E._points(symbols, set(), [], random.Random(2), kinds):
        values = {
            name: [[point[m[i, j]] for j in range(m.shape[1])] for i in range(m.shape[0])]
            for name, m in env.items()
        }
        _check_lines(values, 1e-40)


def test_directions_keep_every_line_summing_to_one() -> None:
    rows = directions("onehot", (3, 4), 1)
    assert len(rows) == 3 * 3
    for d in rows:
        assert np.all(d.sum(axis=1) == 0) and np.count_nonzero(d) == 2
    columns = directions("probability", (3, 4), 0)
    assert len(columns) == 4 * 2
    for d in columns:
        assert np.all(d.sum(axis=0) == 0) and np.count_nonzero(d) == 2
    assert len(directions("onehot", (4,))) == 3
