"""The class-label gradient in textbook form: δ = ŷ − e_y, ∂J/∂W = δ xᵀ, and Tip 3's two cases.

Three rewrites, each checked here by finite differences, the engine and the exact check:
- terms with a common right factor are factored with their signs, so softmax(W x) xᵀ − e_y xᵀ
  reads (softmax(W x) − e_y) xᵀ (calculus/algebra.py);
- a subexpression used twice (the scores z in logsumexp(z) − z_y) sums its adjoints before
  passing them on, so its δ is softmax(z) − e_y, one name (calculus/reverse.py);
- log(softmax(z)[y]) is recognised as log_softmax(z)[y] (expr/recognise.py).
"""

from __future__ import annotations

import pytest
import sympy as sp

from derivations import derive
from derivations.calculus import algebra as A
from derivations.expr import nodes as N
from derivations.expr import shapes as S

LABEL = {"kind": "label", "classes": "k"}
X_DATA = {"shape": ["n"], "role": "data"}


def _passed_all(result) -> None:
    checks = {c["method"]: c for c in result.verification["checks"]}
    assert result.verification["passed"], result.verification
    for method in ("finite_differences", "backprop_engine", "exact_componentwise"):
        assert checks[method]["passed"] and not checks[method]["skipped"], checks[method]


def _gradient(d: dict, wrt: str) -> dict:
    return next(i for i in d["derivatives"] if i["kind"] == "gradient" and i["wrt"] == wrt)


SOFTMAX_WX = r"\operatorname{softmax}\left(W x\right)"
FACTORED = rf"\left({SOFTMAX_WX} - \mathbf{{e}}_{{y}}\right) x^{{T}}"


@pytest.mark.parametrize(
    "program",
    [
        "J = cross_entropy(W @ x, y)",
        "J = -log(softmax(W @ x)[y])",
        "J = -log_softmax(W @ x)[y]",
        "J = logsumexp(W @ x) - (W @ x)[y]",
    ],
)
def test_the_label_gradient_is_delta_x_transposed(program: str) -> None:
    result = derive(program, {"W": ["k", "n"], "x": X_DATA, "y": LABEL})
    _passed_all(result)
    item = _gradient(result.to_dict(), "W")
    assert item["latex"] == FACTORED
    whens = [c["when"] for c in item["cases"]]
    assert whens == ["i = y + 1", r"i \neq y + 1"]
    correct, other = (c["latex"] for c in item["cases"])
    # Tip 3: ŷ_i − 1 for the correct class, ŷ_i for the others, times x_j.
    assert correct.endswith(
        r"= \left(\operatorname{softmax}\left(W x\right)_{i} - 1\right) x_{j}"
    ), correct
    assert other.endswith(r"= \operatorname{softmax}\left(W x\right)_{i} x_{j}"), other


def test_a_repeated_delta_is_named_once() -> None:
    result = derive("J = cross_entropy(W @ x + b, y)", {"W": ["k", "n"], "x": X_DATA,
                    "b": ["k"], "y": LABEL})  # fmt: skip
    _passed_all(result)
    d = result.to_dict()
    (delta,) = [x for x in d["definitions"] if x["role"] == "adjoint"]
    assert delta["latex"] == (r"\operatorname{softmax}\left(W x + b\right) - \mathbf{e}_{y}")
    assert [c["when"] for c in delta["cases"]] == ["i = y + 1", r"i \neq y + 1"]
    assert _gradient(d, "W")["latex"] == r"\delta x^{T}"
    assert _gradient(d, "b")["latex"] == r"\delta"


def test_the_hidden_layer_variant() -> None:
    result = derive(
        "h = tanh(W @ x); J = cross_entropy(U @ h, y)",
        {"W": ["n", "m"], "x": {"shape": ["m"], "role": "data"}, "U": ["k", "n"], "y": LABEL},
    )
    _passed_all(result)
    d = result.to_dict()
    (delta,) = [x for x in d["definitions"] if x["role"] == "adjoint"]
    assert delta["latex"] == r"\operatorname{softmax}\left(U h\right) - \mathbf{e}_{y}"
    assert _gradient(d, "U")["latex"] == rf"{delta['symbol']} h^{{T}}"
    assert _gradient(d, "W")["latex"].startswith(rf"\left(\left(U^{{T}} {delta['symbol']}\right)")


def test_the_catalog_entry_reads_delta_equals_yhat_minus_e_y() -> None:
    from derivations.catalog.loader import catalog

    entry = catalog()["softmax-cross-entropy-label"]
    result = derive(entry.program, dict(entry.variables), wrt=list(entry.wrt))
    _passed_all(result)
    d = result.to_dict()
    (delta,) = [x for x in d["definitions"] if x["role"] == "adjoint"]
    assert delta["latex"] == r"\operatorname{softmax}\left(z\right) - \mathbf{e}_{y}"
    assert _gradient(d, "W")["latex"] == r"\delta x^{T}"


def test_a_shared_subexpression_sums_its_adjoints_once() -> None:
    """logsumexp(A x) + Σ A x: both uses of A x send their adjoints to one δ = 𝟏 + softmax(A x)
    (it was δ = softmax(A x), with ∂J/∂x = Aᵀ 𝟏 + Aᵀ δ)."""
    result = derive("J = logsumexp(A @ x) + sum(A @ x)", {"A": ["n", "m"], "x": ["m"]})
    _passed_all(result)
    d = result.to_dict()
    (delta,) = [x for x in d["definitions"] if x["role"] == "adjoint"]
    assert delta["latex"] == r"\mathbf{1} + \operatorname{softmax}\left(A x\right)"
    assert _gradient(d, "A")["latex"] == r"\delta x^{T}"
    assert _gradient(d, "x")["latex"] == r"A^{T} \delta"


def test_common_right_factors_are_pulled_out_with_their_signs() -> None:
    n, m = S.dim("n"), S.dim("m")
    a, b = N.Var("a", S.column(n)), N.Var("b", S.column(n))
    x = N.Var("x", S.column(m))
    xt = N.Transpose(x)
    total = A.add(A.matmul(a, xt), A.neg(A.matmul(b, xt)))
    assert total == A.matmul(A.add(a, A.neg(b)), xt)
    total = A.add(A.scale(sp.Integer(2), A.matmul(a, xt)), A.scale(sp.Integer(-3), A.matmul(b, xt)))
    assert isinstance(total, N.MatMul) and total.children[1] == xt
    # Different right factors stay apart.
    y = N.Var("y", S.column(m))
    apart = A.add(A.matmul(a, xt), A.neg(A.matmul(b, N.Transpose(y))))
    assert isinstance(apart, N.Add)
