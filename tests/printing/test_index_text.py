"""Index notation that cannot be misread, derivatives by a scalar in matrix form, plain text."""

from __future__ import annotations

import re

import pytest

from derivations import derive, trace


def _item(result, wrt: str) -> dict:
    return next(x for x in result.to_dict()["derivatives"] if x["wrt"] == wrt)


def test_derivative_by_a_scalar_has_a_matrix_form() -> None:
    r = derive("sin(t) * A @ B @ x", {"t": (), "A": ("n", "m"), "B": ("m", "p"), "x": ("p",)})
    assert r.to_dict()["verification"]["passed"]
    item = _item(r, "t")
    assert item["matrix_form"] and item["latex"] == r"\cos\left(t\right) A B x"
    assert item["index_latex"].startswith(r"\frac{\partial f_{i}}{\partial t} = \sum")


def test_derivative_of_an_inverse_by_a_scalar() -> None:
    r = derive("inv(A + t * B)", {"t": (), "A": ("n", "n"), "B": ("n", "n")})
    assert r.to_dict()["verification"]["passed"]
    item = _item(r, "t")
    assert item["matrix_form"] and item["shape"] == ["n", "n"]
    assert item["index_latex"].startswith(r"\frac{\partial f_{ij}}{\partial t} = ")


@pytest.mark.parametrize(
    ("program", "variables"),
    [
        ("W @ x + b", {"W": ("n", "m"), "x": ("m",), "b": ("n",)}),
        ("z = W @ x; s = sum(z ** 2)", {"W": ("n", "m"), "x": ("m",)}),
        ("sum(tanh(x))", {"x": ("n",)}),
    ],
)
def test_no_kronecker_delta_that_looks_like_the_error_signal(program: str, variables: dict) -> None:
    d = derive(program, variables, hessian=not program.startswith("W"), verify=False).to_dict()
    for item in d["derivatives"]:
        assert not re.search(r"\\delta_\{[ijklpqrs]{2}\}", item["index_latex"]), item
    assert any(r"\mathbb{1}\left[" in x["index_latex"] for x in d["derivatives"])


def test_indices_never_reuse_a_variable_or_dimension_name() -> None:
    r = derive("sum(i * (A @ k))", {"i": ("l",), "A": ("l", "m"), "k": ("m",)}, verify=False)
    for item in r.to_dict()["derivatives"]:
        lhs, rhs = item["index_latex"].split(" = ", 1)
        free = re.findall(r"_\{([a-z]+)\}", lhs)
        summed = re.findall(r"\\sum_\{([a-z])=", rhs) + re.findall(r"\\leq ([a-z]) \\leq", rhs)
        for index in "".join(free) + "".join(summed):
            assert index not in {"i", "k", "l", "m", "A"}, item["index_latex"]


def test_unicode_never_leaks_latex() -> None:
    r = derive("sin(t) * A @ B @ x", {"t": (), "A": ("n", "m"), "B": ("m", "p"), "x": ("p",)})
    text = r.text()
    assert "\\" not in text and "substack" not in text
    assert "Σ[l=1..m, k=1..p]" in text or "Σ[k=1..m, l=1..p]" in text


def test_unicode_brackets_a_sum_over_a_fraction() -> None:
    r = derive("sum(x ** 2) / 2", {"x": ("n",)}, verify=False)
    assert "output: (Σ x²)/2" in r.text()


def test_round_off_prints_as_zero_in_the_trace_table() -> None:
    t = trace("x * 0.1 * 3 - x * 0.3", {"x": ()}, {"x": 1.0})
    last = t.table().splitlines()[-1].split()
    assert last[-2] == "0"
    assert t.to_dict()["value"] != 0.0  # the JSON keeps the float as computed


def test_a_symbolic_power_of_a_sum_brackets_the_sum() -> None:
    """(Σ sin(x))^{n−1} is the power of the whole sum: the index form must bracket it, as the
    matrix form does (n Σ sin(x)^{n−1} cos(x_i) reads as a sum of powers)."""
    r = derive("J = sum(sin(x)) ** n", {"x": ("n",)})
    assert r.to_dict()["verification"]["passed"]
    index = _item(r, "x")["index_latex"]
    assert r"\left(\sum \sin\left(x\right)\right)^{n - 1}" in index, index
    assert r"\sum \sin\left(x\right)^{" not in index
