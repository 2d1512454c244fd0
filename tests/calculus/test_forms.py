"""The lecture network and the Matrix Cookbook identities come out in textbook form."""

from __future__ import annotations

import pytest

from derivations import derive

NET = {"W": ("n", "m"), "x": ("m",), "b": ("n",), "u": ("n",)}


def _latex(result, wrt: str, kind: str = "gradient") -> str:
    return next(
        d["latex"] for d in result.to_dict()["derivatives"] if d["wrt"] == wrt and d["kind"] == kind
    )


def test_lecture_network_named() -> None:
    r = derive("z = W @ x + b; h = tanh(z); s = u.T @ h", NET)
    d = r.to_dict()
    assert d["verification"]["passed"]
    delta = next(x for x in d["definitions"] if x["role"] == "adjoint")
    assert delta["symbol"] == r"\delta"
    assert delta["latex"] == r"u \circ \left(1 - \tanh^{2}\left(z\right)\right)"
    assert delta["meaning"] == r"\frac{\partial s}{\partial z}"
    assert _latex(r, "u") == "h"
    assert _latex(r, "W") == r"\delta x^{T}"
    assert _latex(r, "b") == r"\delta"
    assert _latex(r, "x") == r"W^{T} \delta"


def test_lecture_network_unnamed_gets_the_lecture_names() -> None:
    r = derive("u.T @ tanh(W @ x + b)", NET)
    d = r.to_dict()
    assert d["verification"]["passed"]
    assert d["program_latex"] == ["z = W x + b", r"h = \tanh\left(z\right)", "f = u^{T} h"]
    assert {x["name"]: x["role"] for x in d["definitions"]} == {
        "z": "introduced",
        "h": "introduced",
        "delta": "adjoint",
    }
    assert _latex(r, "u") == "h"
    assert _latex(r, "W") == r"\delta x^{T}"
    assert _latex(r, "x") == r"W^{T} \delta"


def test_unnamed_deep_network_gets_numbered_layers() -> None:
    r = derive(
        "u.T @ tanh(W2 @ tanh(W1 @ x + b1) + b2)",
        {"W1": ("n", "m"), "W2": ("n", "n"), "x": ("m",), "b1": ("n",), "b2": ("n",), "u": ("n",)},
    )
    d = r.to_dict()
    assert d["verification"]["passed"]
    assert d["program_latex"][:2] == ["z_{1} = W_{1} x + b_{1}", r"h_{1} = \tanh\left(z_{1}\right)"]
    assert _latex(r, "W2") == r"\delta_{2} h_{1}^{T}"


def test_expression_level_deltas_when_no_layer_pattern() -> None:
    r = derive(
        "sum(exp(x) * (A @ y + c))", {"x": ("n",), "A": ("n", "n"), "y": ("n",), "c": ("n",)}
    )
    d = r.to_dict()
    assert d["verification"]["passed"]
    adjoint = next(x for x in d["definitions"] if x["role"] == "adjoint")
    assert adjoint["meaning"] == r"\frac{\partial f}{\partial \left(A y + c\right)}"


def test_chain_rule_steps_read_like_the_lecture() -> None:
    r = derive("z = W @ x + b; h = tanh(z); s = u.T @ h", NET)
    steps = r.to_dict()["steps"]
    assert steps["b"][0] == (
        r"\frac{\partial s}{\partial b} = \frac{\partial s}{\partial h} \frac{\partial h}{\partial z} "
        r"\frac{\partial z}{\partial b} = u^{T} \operatorname{diag}\left(1 - \tanh^{2}\left(z\right)\right) I"
    )
    assert (
        r"\delta = \frac{\partial s}{\partial z} = u \circ \left(1 - \tanh^{2}\left(z\right)\right)"
        in steps["b"]
    )
    # The Kronecker delta is 𝟙[i = j]: δ_ij would read as an entry of the error signal δ.
    assert (
        r"\frac{\partial z_{i}}{\partial W_{jk}} = \mathbb{1}\left[i = j\right] x_{k}" in steps["W"]
    )


def test_delta_recursion_in_a_two_layer_net() -> None:
    r = derive(
        "z1 = W1 @ x; h1 = tanh(z1); z2 = W2 @ h1; h2 = tanh(z2); s = u.T @ h2",
        {"W1": ("n", "m"), "W2": ("k", "n"), "x": ("m",), "u": ("k",)},
    )
    d = r.to_dict()
    assert d["verification"]["passed"]
    adjoints = {x["symbol"]: x["latex"] for x in d["definitions"] if x["role"] == "adjoint"}
    assert adjoints[r"\delta_{2}"] == r"u \circ \left(1 - \tanh^{2}\left(z_{2}\right)\right)"
    assert (
        adjoints[r"\delta_{1}"]
        == r"\left(W_{2}^{T} \delta_{2}\right) \circ \left(1 - \tanh^{2}\left(z_{1}\right)\right)"
    )
    assert _latex(r, "W1") == r"\delta_{1} x^{T}"
    assert _latex(r, "W2") == r"\delta_{2} h_{1}^{T}"


@pytest.mark.parametrize(
    ("program", "variables", "wrt", "expected"),
    [
        ("x.T @ A @ x", {"x": ("n",), "A": ("n", "n")}, "x", r"\left(A + A^{T}\right) x"),
        ("a.T @ X @ b", {"a": ("n",), "X": ("n", "m"), "b": ("m",)}, "X", r"a b^{T}"),
        (
            "trace(A @ X @ B)",
            {"A": ("p", "n"), "X": ("n", "m"), "B": ("m", "p")},
            "X",
            r"A^{T} B^{T}",
        ),
        ("det(X)", {"X": ("n", "n")}, "X", r"\det\left(X\right) X^{-T}"),
        ("logdet(X)", {"X": ("n", "n")}, "X", r"X^{-T}"),
        (
            "a.T @ inv(X) @ b",
            {"a": ("n",), "X": ("n", "n"), "b": ("n",)},
            "X",
            r"-X^{-T} a b^{T} X^{-T}",
        ),
    ],
)
def test_matrix_cookbook_identities(program: str, variables: dict, wrt: str, expected: str) -> None:
    r = derive(program, variables, wrt=[wrt])
    assert r.to_dict()["verification"]["passed"]
    assert _latex(r, wrt) == expected


def test_jacobian_of_a_layer() -> None:
    r = derive("tanh(W @ x + b)", {"W": ("n", "m"), "x": ("m",), "b": ("n",)})
    d = r.to_dict()
    assert d["verification"]["passed"]
    jx = next(x for x in d["derivatives"] if x["wrt"] == "x")
    assert jx["kind"] == "jacobian" and jx["shape"] == ["n", "m"]
    assert jx["latex"] == r"\operatorname{diag}\left(1 - \tanh^{2}\left(z\right)\right) W"
    jw = next(x for x in d["derivatives"] if x["wrt"] == "W")
    assert jw["kind"] == "partials" and jw["shape"] == ["n", "n", "m"]


def test_affine_map_index_form() -> None:
    r = derive("W @ x + b", {"W": ("n", "m"), "x": ("m",), "b": ("n",)})
    jw = next(x for x in r.to_dict()["derivatives"] if x["wrt"] == "W")
    assert jw["index_latex"] == (
        r"\frac{\partial f_{i}}{\partial W_{jk}} = \mathbb{1}\left[i = j\right] x_{k}"
    )


def test_hessians_in_matrix_form() -> None:
    r = derive("x.T @ A @ x", {"x": ("n",), "A": ("n", "n")}, wrt=["x"], hessian=True)
    assert _latex(r, "x", "hessian") == r"A + A^{T}"
    r = derive("sum(softplus(X @ w))", {"X": ("N", "d"), "w": ("d",)}, wrt=["w"], hessian=True)
    assert r.to_dict()["verification"]["passed"]
    # σ(Xw) occurs twice, so it is named once (s = σ(Xw)), as the textbook form does.
    assert _latex(r, "w", "hessian") == (
        r"X^{T} \operatorname{diag}\left(s \circ \left(1 - s\right)\right) X"
    )
    named = {x["symbol"]: x["latex"] for x in r.to_dict()["definitions"]}
    assert named["s"] == r"\sigma\left(X w\right)"


def test_hessian_by_a_matrix_is_in_index_form() -> None:
    r = derive(
        "z = W @ x; s = sum(z ** 2)", {"W": ("n", "m"), "x": ("m",)}, wrt=["W"], hessian=True
    )
    d = r.to_dict()
    assert d["verification"]["passed"]
    h = next(x for x in d["derivatives"] if x["kind"] == "hessian")
    assert h["shape"] == ["n", "m", "n", "m"]
    assert (
        h["latex"]
        == r"\frac{\partial^{2} s}{\partial W_{ij} \, \partial W_{kl}} = 2 \mathbb{1}\left[i = k\right] x_{j} x_{l}"
    )


def test_simplifier_collects_and_cancels() -> None:
    r = derive("sum(x + x) + a * a - a * a", {"x": ("n",), "a": ()}, verify=False)
    assert _latex(r, "x") == r"2 \mathbf{1}"
    assert _latex(r, "a") == "0"
    r = derive("((x.T).T).T @ (-(-y))", {"x": ("n",), "y": ("n",)}, verify=False)
    assert _latex(r, "x") == "y"


def test_greek_and_subscripted_names() -> None:
    r = derive("J + lam * sum(W_1 ** 2)", {"J": (), "lam": (), "W_1": ("n", "m")}, verify=False)
    assert _latex(r, "W_1") == r"2 \lambda W_{1}"
    assert (
        r.to_dict()["output"]["latex"] == r"J + \lambda \sum W_{1}^{\circ 2}"
    )  # a matrix: the Hadamard power
