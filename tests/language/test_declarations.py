"""Declarations with a role and a kind, and what data means for the default wrt."""

from __future__ import annotations

import pytest

from derivations import ChainruleError, derive, trace
from derivations.expr.kinds import Declaration
from derivations.language.elaborate import elaborate
from tests.helpers import CE, CE_VARS


def test_both_forms_declare_the_same_shapes() -> None:
    typed = elaborate(CE, CE_VARS)
    plain = elaborate(CE, {"W": ["k", "m"], "b": ["k"], "x": ["m"], "y": ["k"]})
    assert typed.inputs == plain.inputs
    assert typed.declarations["y"] == Declaration("data", "onehot")
    assert typed.declarations["W"] == Declaration()
    assert typed.parameters == ["W", "b"]
    assert plain.parameters == ["W", "b", "x", "y"]


def test_onehot_is_data_unless_declared_otherwise() -> None:
    typed = elaborate("y.T @ z", {"z": ["k"], "y": {"shape": ["k"], "kind": "onehot"}})
    assert typed.declaration("y").is_data
    typed = elaborate(
        "y.T @ z", {"z": ["k"], "y": {"shape": ["k"], "kind": "onehot", "role": "parameter"}}
    )
    assert not typed.declaration("y").is_data


def test_data_is_not_differentiated_by_default() -> None:
    result = derive(CE, CE_VARS, verify=False)
    assert [i.wrt for i in result.derivation.items] == ["W", "b"]
    d = result.to_dict()
    assert d["declarations"] == {
        "x": {"role": "data"},
        "y": {"role": "data", "kind": "onehot"},
    }
    assert d["assumptions"] == {"y": ["\\sum y = 1"]}
    assert "x ('m',) [data]" in result.text()
    assert "assumed: Σ y = 1 (y is declared onehot)" in result.text()


def test_a_gradient_by_data_may_be_asked_for() -> None:
    """Allowed (a saliency map is ∂J/∂x), and it is the unconstrained gradient at the point."""
    result = derive(CE, CE_VARS, wrt=["x", "y"])
    assert result.verification["passed"]
    latex = {i["wrt"]: i["latex"] for i in result.to_dict()["derivatives"]}
    assert latex["x"] == r"W^{T} \left(\operatorname{softmax}\left(W x + b\right) - y\right)"
    assert latex["y"] == r"-\log \operatorname{softmax}\left(W x + b\right)"


def test_all_data_is_an_error_with_a_fix() -> None:
    with pytest.raises(ChainruleError) as e:
        derive("sum(x)", {"x": {"shape": ["n"], "role": "data"}})
    assert e.value.kind == "not_a_variable"
    assert "declared as data" in e.value.message and "wrt" in e.value.hint


@pytest.mark.parametrize(
    ("declaration", "words"),
    [
        ({"shape": ["k"], "kind": "onehat"}, ["'onehat' is not a kind", "did you mean 'onehot'"]),
        ({"shape": ["k"], "role": "label"}, ["'label' is not a role", "parameter, data"]),
        ({"shape": ["k"], "knid": "onehot"}, ["unknown field 'knid'", "did you mean 'kind'"]),
        ({"kind": "onehot"}, ["has no shape"]),
        ({"shape": ["k", "k"], "kind": "onehot"}, ["declared onehot", "which axis", "axis=1"]),
        ({"shape": ["k"], "kind": "symmetric"}, ["declared symmetric", "a square matrix"]),
        ({"shape": ["n", "m"], "kind": "diagonal"}, ["a matrix (n, m)", "a square matrix"]),
        ({"shape": ["k"], "kind": 3}, ["'int' is not a kind"]),
    ],
)
def test_bad_declarations_are_explained(declaration, words) -> None:
    with pytest.raises(ChainruleError) as e:
        elaborate("sum(y)", {"y": declaration})
    assert e.value.kind == "declaration"
    text = f"{e.value.message} {e.value.hint}"
    for word in words:
        assert word in text


def test_positive_applies_to_any_shape() -> None:
    for shape in ([], ["n"], ["n", "m"]):
        elaborate("sum(log(y))", {"y": {"shape": shape, "kind": "positive"}})


def test_large_numeric_sizes_keep_the_declaration() -> None:
    """Verification re-derives at reduced sizes; the kind must survive that."""
    result = derive(
        "x.T @ A @ x", {"x": [40], "A": {"shape": [40, 40], "kind": "symmetric"}}, wrt="x"
    )
    assert result.verification["passed"]
    assert "reduced sizes" in result.verification["note"]
    assert result.to_dict()["derivatives"][0]["latex"] == "2 A x"


@pytest.mark.parametrize(
    ("kind", "shape", "value"),
    [
        ("onehot", ["k"], [0, 1, 1]),
        ("onehot", ["k"], [0, 0.5, 0.5]),
        ("probability", ["k"], [0.2, 0.2, 0.2]),
        ("positive", ["k"], [1, 0, 2]),
        ("symmetric", ["k", "k"], [[1, 2, 0], [0, 1, 0], [0, 0, 1]]),
        ("diagonal", ["k", "k"], [[1, 0, 0], [0, 1, 1], [0, 1, 1]]),
        ("spd", ["k", "k"], [[1, 0, 0], [0, -1, 0], [0, 0, 1]]),
    ],
)
def test_trace_refuses_values_not_of_the_kind(kind, shape, value) -> None:
    variables = {"y": {"shape": shape, "kind": kind}, "z": ["k"]}
    program = "sum(y @ z)" if len(shape) == 2 else "y.T @ z"
    with pytest.raises(ChainruleError) as e:
        trace(program, variables, {"y": value, "z": [1, 2, 3]})
    assert e.value.kind == "value" and f"not {kind}" in e.value.message


def test_trace_accepts_values_of_the_kind() -> None:
    result = trace(
        "y.T @ log_softmax(z) + x.T @ A @ x",
        {
            "y": {"shape": ["k"], "kind": "onehot"},
            "z": ["k"],
            "x": ["k"],
            "A": {"shape": ["k", "k"], "kind": "spd"},
        },
        {"y": [0, 0, 1], "z": [1, 2, 3], "x": [1, 0, 1], "A": [[2, 1, 0], [1, 2, 0], [0, 0, 1]]},
    )
    assert result.to_dict()["nodes"]
