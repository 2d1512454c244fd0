"""A derivative by a scalar through an op with no tangent rule falls back, never crashes.

``cumsum(t * x)`` by t, ``softmax(t * X, axis=1)`` and ``(t * X)[0]`` raised
NotImplementedError("no tangent rule for …") from ``calculus/tangent.py`` (a 500 in the
service): the tangent table is not driven by the registry, so ops added through it (cumsum,
the axis ops, indexing) were missing. Every registered node class must now either have a
tangent rule or give the Jacobian or the index form, verified.
"""

from __future__ import annotations

import pytest

from derivations import derive

T = {"t": ()}


@pytest.mark.parametrize(
    ("program", "variables"),
    [
        ("cumsum(t * x)", {"x": ("n",)}),
        ("cumsum(t * X)", {"X": ("n", "m")}),
        ("softmax(t * X, axis=1)", {"X": ("n", "m")}),
        ("log_softmax(t * X, axis=0)", {"X": ("n", "m")}),
        ("logsumexp(t * X, axis=0)", {"X": ("n", "m")}),
        ("max(t * X, axis=1)", {"X": ("n", "m")}),
        ("(t * X)[0]", {"X": ("n", "m")}),
        ("(t * X)[:, 1]", {"X": ("n", "m")}),
        ("(t * X)[y]", {"X": ("k", "m"), "y": {"kind": "label", "classes": "k"}}),
    ],
)
def test_derivative_by_a_scalar_through_every_op(program: str, variables: dict) -> None:
    d = derive(program, {**T, **variables}, wrt=["t"]).to_dict()
    assert d["verification"]["passed"], d["verification"]
    assert [x["wrt"] for x in d["derivatives"]] == ["t"]
