"""Displayed results read like the textbook: the ones matrix, coefficients, named constants.

Each test pins a form a review found wrong (a bare 𝟏 for a matrix of ones, 1/n 𝟏 𝟏ᵀ read as
1/(n 𝟏 𝟏ᵀ), ...) and derives with verification on, so the form is also checked against finite
differences, the backprop engine, the exact check and the LaTeX reader.
"""

from __future__ import annotations

import sympy as sp

from derivations import derive
from derivations.expr import nodes as N
from derivations.printing.latex import latex
from derivations.printing.unicode import to_unicode

B = sp.Symbol("B", integer=True, positive=True)
n = sp.Symbol("n", integer=True, positive=True)


def _verified(program: str, variables: dict, **kw):
    result = derive(program, variables, **kw)
    d = result.to_dict()
    assert d["verification"]["passed"], d["verification"]
    return d


def _grad(d: dict, wrt: str) -> str:
    return next(x["latex"] for x in d["derivatives"] if x["wrt"] == wrt)


def test_a_ones_matrix_prints_as_the_outer_product() -> None:
    ones = N.Ones((n, B))
    assert latex(ones) == r"\mathbf{1} \mathbf{1}^{T}"
    assert latex(N.Mul(N.Const(2), ones)) == r"2 \mathbf{1} \mathbf{1}^{T}"  # no (𝟏 𝟏ᵀ)
    x = N.Var("X", (B, n))
    assert latex(N.MatMul(x, ones)) == r"X \mathbf{1} \mathbf{1}^{T}"
    assert latex(N.Ones((n, sp.Integer(1)))) == r"\mathbf{1}"  # a ones vector stays 𝟏
    d = _verified("s = sum(X)", {"X": ("n", "B")})
    assert _grad(d, "X") == r"\mathbf{1} \mathbf{1}^{T}"


def test_centering_gradient_cancels_to_zero() -> None:
    # ∂/∂X Σ(X − mean_row(X) 𝟏ᵀ) = 𝟏𝟏ᵀ − 𝟏𝟏ᵀ: it was printed 𝟏 − 𝟏 𝟏ᵀ.
    d = _verified("s = sum(X - mean(X, axis=1))", {"X": ("n", "B")})
    assert _grad(d, "X") == "0"


def test_a_row_mean_reads_as_a_scaled_product() -> None:
    d = _verified("s = sum(X * (X - mean(X, axis=1)))", {"X": ("n", "B")})
    assert to_unicode(d["output"]["latex"]) == "Σ (X ∘ (X - (1/B) X 𝟏 𝟏ᵀ))"
    assert to_unicode(_grad(d, "X")) == "2 X - (2/B) X 𝟏 𝟏ᵀ"


def test_unicode_brackets_a_fraction_that_scales_what_follows() -> None:
    assert to_unicode(r"I - \frac{1}{n} \mathbf{1} \mathbf{1}^{T}") == "I - (1/n) 𝟏 𝟏ᵀ"
    assert to_unicode(r"\frac{a}{b} + c") == "a/b + c"
    assert to_unicode(r"\frac{a}{b} \circ c") == "a/b ∘ c"
    assert to_unicode(r"\frac{\partial s}{\partial x} = 1") == "∂s/∂x = 1"
    assert to_unicode(r"\frac{\partial f}{\partial q}\frac{\partial q}{\partial x}") == (
        "∂f/∂q ∂q/∂x"
    )


def test_a_constant_adjoint_is_never_a_definition() -> None:
    from types import SimpleNamespace

    from derivations.calculus.reverse import Backward
    from derivations.calculus.tidy import inline_deltas
    from derivations.expr.program import Definition

    one = sp.Integer(1)
    delta = N.Var("delta", (one, one), "adjoint")
    y = N.Var("y", (one, one))
    bw = Backward(
        definitions=[Definition("delta", N.Const(1)), Definition("delta2", N.Add(y, N.Const(1)))],
        adjoints={"x": N.Mul(N.Var("delta2", (one, one), "adjoint"), y)},
    )
    inline_deltas(bw, SimpleNamespace(definitions=[]))  # type: ignore[arg-type]
    assert all(N.free_vars(d.node) for d in bw.definitions), bw.definitions
    assert delta not in N.walk(bw.adjoints["x"])


def test_names_tie_together_and_never_version_the_output() -> None:
    # c = 1 − σ(x), s₂ = σ(√x²), r = √x², s₃ = σ(x) before: √(x²) is |x|, σ's names are not
    # s₂, s₃ next to the output s, and no body repeats a name given elsewhere.
    d = _verified("s = sigmoid(sqrt(x**2)) + (1 - sigmoid(x))*sigmoid(x)", {"x": ()})
    assert "|x|" in to_unicode(d["output"]["latex"])
    defs = {to_unicode(x["symbol"]): to_unicode(x["latex"]) for x in d["definitions"]}
    assert not any(name.startswith("s") for name in defs), defs
    assert "√" not in " ".join(defs.values())
    named = {body: name for name, body in defs.items()}
    for name, body in defs.items():
        for other, value in defs.items():
            if other != name and len(value) > 1:
                assert value not in body or body == value, (name, body, other)
    assert named  # σ(x) and σ(|x|) are still named: each recurs


def test_introduced_bodies_use_the_smaller_names() -> None:
    d = _verified(
        "h = sigmoid(W @ x); s = sum(h) / sqrt(sum(x*x)) + sum(x) / sqrt(sum(x*x))",
        {"x": ("n",), "W": ("n", "n")},
    )
    intro = [
        (to_unicode(x["symbol"]), to_unicode(x["latex"]))
        for x in d["definitions"]
        if x["role"] == "introduced"
    ]
    names = [n for n, _ in intro]
    for k, (_, body) in enumerate(intro):  # each uses only names defined before it
        assert not any(other in body.split() for other in names[k + 1 :]), intro
    bodies = [body for _, body in intro]
    for body in bodies:  # no body spells out another introduced body: it uses that name
        assert not any(other != body and other in body for other in bodies), intro
    assert "σ" not in names  # σ means the logistic function here


def test_layer_norm_names_sigma_and_epsilon() -> None:
    d = _verified("s = sum(layernorm(x) * u)", {"x": ("n",), "u": ("n",)})
    defs = {to_unicode(x["symbol"]): to_unicode(x["latex"]) for x in d["definitions"]}
    assert defs["ε"] == "10⁻⁵" and defs["σ"] == "√(var(x) + ε)", defs
    assert list(defs).index("ε") < list(defs).index("σ")  # ε is stated before it is used
    grad = to_unicode(_grad(d, "x"))
    assert "100000" not in grad and "√" not in grad, grad
    assert grad.startswith("((I - (1/n) 𝟏 𝟏ᵀ - (1/n) ")  # (1/n) scales what follows it
    index = to_unicode(next(x["index_latex"] for x in d["derivatives"] if x["wrt"] == "x"))
    # One sum over the shared denominator, not Σ −u_k/(n σ) + Σ −u_k v_i v_k/(n σ) + u_i/σ.
    assert index.endswith("= (u_i - (Σ[k=1..n] (v_i v_k + 1) u_k)/n)/σ"), index


def test_std_is_not_sigma_next_to_a_sigmoid() -> None:
    d = _verified("s = sum(layernorm(x) * sigmoid(u))", {"x": ("n",), "u": ("n",)})
    names = {to_unicode(x["symbol"]): to_unicode(x["latex"]) for x in d["definitions"]}
    assert "σ" not in names, names  # σ(u) is the sigmoid here
    assert names.get("std") == "√(var(x) + ε)", names


def test_numbers_with_a_power_of_ten_denominator() -> None:
    assert latex(N.Const(sp.Rational(1, 10**5))) == "10^{-5}"
    assert to_unicode("10^{-5}") == "10⁻⁵"
    assert latex(N.Const(sp.Rational(1, 100))) == r"\frac{1}{100}"  # small ones stay fractions


def test_a_contracted_index_is_never_summed_again() -> None:
    # Σ_k Σ_l 𝟙[i = k] a_k (𝟙[j = l] + b_l) = a_i + a_i Σ_l b_l: the delta on k is used first,
    # then the bracket is expanded for l; k was summed over n once more (the layer-norm
    # Hessian's index form read back 1.08 off).
    from derivations.printing.index import contract_sum

    i, j, k, l_ = sp.symbols("i j k l", integer=True)
    a, b = sp.Function("a"), sp.Function("b")
    body = sp.KroneckerDelta(i, k) * a(k) * (sp.KroneckerDelta(j, l_) + b(l_))
    out = contract_sum(body, [(k, 1, n), (l_, 1, n)])
    expected = a(i) + a(i) * sp.Sum(b(l_), (l_, 1, n))
    assert sp.simplify((out - expected).doit()) == 0, out


def test_layer_norm_hessian_index_form_reads_back() -> None:
    d = _verified("s = sum(layernorm(x) * u)", {"x": ("n",), "u": ("n",)}, hessian=True)
    check = next(c for c in d["verification"]["checks"] if c["method"] == "displayed_form")
    assert check["passed"], check


def test_cumsum_jacobian_and_adjoint_use_the_lower_triangular_ones() -> None:
    d = _verified("y = cumsum(x)", {"x": ("n",)})
    (defn,) = [x for x in d["definitions"] if x["role"] == "introduced"]
    assert (to_unicode(defn["symbol"]), to_unicode(defn["entries"])) == ("L", "L_ij = 𝟙[i ≥ j]")
    jac = next(x for x in d["derivatives"] if x["kind"] == "jacobian")
    assert jac["latex"] == "L" and "cumsum" not in jac["latex"]
    assert to_unicode(jac["index_latex"]).endswith("= 𝟙[i ≥ j]")
    d = _verified("s = sum(cumsum(x) * u)", {"x": ("n",), "u": ("n",)})
    grad = next(x for x in d["derivatives"] if x["wrt"] == "x")
    assert to_unicode(grad["latex"]) == "Lᵀ u"  # was (Σ u) 𝟏 + u − cumsum(u)
    assert to_unicode(grad["index_latex"]).endswith("= Σ[k=1..n] 𝟙[k ≥ i] u_k")  # from the end


def test_a_partial_by_a_subscripted_entry_is_one_term() -> None:
    assert to_unicode(r"\frac{\partial J}{\partial W_{q,ij}}") == "∂J/∂W_(q,ij)"


def test_a_summation_index_never_repeats_a_names_subscript() -> None:
    # ∂J/∂W_(k,ij) = Σ_k X_ki Δ_(K,kj) read k as both W_k's subscript and the summed index.
    program = "S = (X @ W_q) @ (X @ W_k).T; J = sum(tanh(S))"
    sizes = {"X": ["T", "e"], "W_q": ["e", "d"], "W_k": ["e", "d"]}
    d = _verified(program, sizes, wrt=["W_k"])
    index = next(x["index_latex"] for x in d["derivatives"] if x["wrt"] == "W_k")
    lhs, rhs = index.split(" = ", 1)
    assert "W_{k,ij}" in lhs
    assert not any(f"{k} \\leq" in rhs or f"{{{k}=" in rhs for k in ("k", "q")), rhs
