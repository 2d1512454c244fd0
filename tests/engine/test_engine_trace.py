"""trace(): the lecture's example, the to_dict/table formats, and every refusal of bad values."""

from __future__ import annotations

import json

import pytest

from derivations.engine.trace import trace
from derivations.engine.values import coerce_values
from derivations.errors import ChainruleError
from derivations.language.elaborate import elaborate
from derivations.limits import Limits

SCALARS = {"x": (), "y": (), "z": ()}
LAYER = {"W": ("n", "m"), "x": ("m",), "b": ("n",), "u": ("n",)}


def test_lecture_example_comes_out_exactly() -> None:
    result = trace("(x + y) * max(y, z)", SCALARS, {"x": 1, "y": 2, "z": 0})
    out = result.to_dict()
    assert out["value"] == 6 and out["gradients"] == {"x": 2, "y": 5, "z": 0}
    by_label = {node["label"]: node for node in out["nodes"]}
    assert by_label["x + y"]["value"] == 3 and by_label["x + y"]["grad"] == 2
    assert by_label["max(y, z)"]["value"] == 2 and by_label["max(y, z)"]["grad"] == 3
    assert by_label["(x + y) * max(y, z)"]["grad"] == 1
    assert [n["op"] for n in out["nodes"]] == ["input", "input", "input", "add", "max", "mul"]
    ids = [n["id"] for n in out["nodes"]]
    assert all(i < node["id"] for node in out["nodes"] for i in node["inputs"]) and ids == sorted(
        ids
    )
    json.dumps(out)  # JSON-ready


def test_intermediates_are_named_nodes_with_shapes() -> None:
    values = {"W": [[1, 2], [3, 4], [5, 6]], "x": [0.1, 0.2], "b": [0, 0, 1], "u": [1, -1, 0.5]}
    out = trace("z = W @ x + b; h = tanh(z); s = u.T @ h", LAYER, values).to_dict()
    by_label = {node["label"]: node for node in out["nodes"]}
    assert {"W", "x", "b", "u", "W @ x", "z", "h", "s"} <= set(by_label)
    assert by_label["z"]["shape"] == [3] and by_label["W"]["shape"] == [3, 2]
    assert by_label["z"]["value"] == pytest.approx([0.5, 1.1, 2.7])
    assert by_label["h"]["grad"] == pytest.approx([1, -1, 0.5])  # d s / d h = u
    assert out["gradients"]["W"][0] == pytest.approx(
        [0.1 * by_label["z"]["grad"][0], 0.2 * by_label["z"]["grad"][0]]
    )


def test_table_lists_every_node() -> None:
    table = trace("(x + y) * max(y, z)", SCALARS, {"x": 1, "y": 2, "z": 0}).table()
    lines = table.splitlines()
    assert lines[0].split() == ["id", "node", "op", "inputs", "value", "gradient"]
    assert any(
        line.split()[1:3] == ["max(y,", "z)"] and line.split()[-2:] == ["2", "3"] for line in lines
    )


def test_non_scalar_output_is_seeded_with_ones() -> None:
    result = trace("h = tanh(x)", {"x": ("n",)}, {"x": [0.0, 1.0]})
    assert result.seed == "ones" and "sum of its entries" in result.table()
    assert result.to_dict()["gradients"]["x"] == pytest.approx([1.0, 1 - 0.7615941559557649**2])


@pytest.mark.parametrize(
    ("values", "match"),
    [
        (
            {"W": [[1, 2], [3, 4]], "x": [1, 2, 3], "b": [1, 2], "u": [1, 2]},
            "x has length 3 but its declaration needs m = 2",
        ),
        ({"W": [[1, 2], [3, 4]], "x": [1, 2], "b": [1, 2, 3], "u": [1, 2]}, "b has length 3"),
        ({"W": [[1, 2], [3, 4]], "x": [1, 2], "b": [1, 2]}, "no value given for u"),
        (
            {"W": [[1, 2], [3, 4]], "x": [1, 2], "b": [1, 2], "u": [1, 2], "q": 1},
            "undeclared variable q",
        ),
        ({"W": [1, 2], "x": [1, 2], "b": [1, 2], "u": [1, 2]}, "not a list of rows"),
        ({"W": [[1, 2], [3]], "x": [1, 2], "b": [1, 2], "u": [1, 2]}, "different or zero lengths"),
        ({"W": [[1, 2], [3, 4]], "x": [[1], [2]], "b": [1, 2], "u": [1, 2]}, "nested"),
        ({"W": [[1, 2], [3, 4]], "x": 3, "b": [1, 2], "u": [1, 2]}, "its value is 3"),
        ({"W": [[1, 2], [3, "a"]], "x": [1, 2], "b": [1, 2], "u": [1, 2]}, r"W\[1\]\[1\] is str"),
        ({"W": [[1, 2], [3, float("nan")]], "x": [1, 2], "b": [1, 2], "u": [1, 2]}, "not finite"),
        ({"W": [[1, 2], [3, 4]], "x": [1, True], "b": [1, 2], "u": [1, 2]}, "not a number"),
        ({"W": [[1, 2], [3, 4]], "x": [], "b": [1, 2], "u": [1, 2]}, "empty list"),
    ],
)
def test_bad_values_are_refused_with_a_hint(values: dict, match: str) -> None:
    with pytest.raises(ChainruleError, match=match) as info:
        trace("z = W @ x + b; s = u.T @ tanh(z)", LAYER, values)
    assert info.value.kind == "value" and info.value.hint


def test_scalar_given_a_list_is_refused() -> None:
    with pytest.raises(ChainruleError, match="declared as a scalar"):
        trace("x * y", {"x": (), "y": ()}, {"x": [1, 2], "y": 1})


def test_size_limits_are_checked_before_allocating() -> None:
    small = Limits(max_numeric_dim=4)
    with pytest.raises(ChainruleError, match="limit") as info:
        coerce_values(elaborate("sum(x)", {"x": ("n",)}).inputs, {"x": [0.0] * 5}, small)
    assert info.value.kind == "limit"
    # inputs within the cap whose outer product would not be: refused before running
    with pytest.raises(ChainruleError, match="entries") as info:
        trace("sum(outer(x, y))", {"x": ("n",), "y": ("m",)}, {"x": [1.0] * 150, "y": [1.0] * 150},
              Limits(max_numeric_dim=200))  # fmt: skip
    assert info.value.kind == "limit"


def test_domain_errors_and_singular_matrices_name_the_node() -> None:
    with pytest.raises(ChainruleError, match="log"):
        trace("log(x)", {"x": ()}, {"x": -1})
    with pytest.raises(ChainruleError, match="singular"):
        trace("logdet(A)", {"A": ("n", "n")}, {"A": [[1, 2], [2, 4]]})
    with pytest.raises(ChainruleError, match="gradient at"):
        trace("sqrt(x)", {"x": ()}, {"x": 0})
