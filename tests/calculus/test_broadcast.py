"""Broadcasting a vector against a matrix (issue 14): every rule verified, read, printed, refused.

The elaborator writes a column b (n,) against an (n, B) matrix as b 𝟏ᵀ and a row cᵀ as 𝟏 cᵀ
(``expr/broadcast.py``), so the calculus needs nothing new; these tests hold each operator and
each side to the full verification (finite differences, the engine, the parsed source, exact
SymPy, the displayed forms read back), and check that the textbook and NumPy forms read right.
"""

from __future__ import annotations

import numpy as np
import pytest

from derivations import derive
from derivations.errors import ChainruleError
from derivations.grading import check
from derivations.language.elaborate import elaborate
from derivations.printing.unicode import to_unicode
from tests.helpers import assert_verified

LAYER = {"W": ("n", "m"), "X": ("m", "B"), "b": ("n",)}
COLS = {"X": ("n", "B"), "b": ("n",)}
ROWS = {"X": ("n", "B"), "c": ("B",)}

# (program, variables, hessian?): every elementwise operator, with the vector on either side,
# as a column and as a row, inside functions and under a power.
PROGRAMS: list[tuple[str, dict, bool]] = [
    ("z = W @ X + b; H = tanh(z); s = sum(H)", LAYER, True),
    ("sum((b + W @ X) ** 2)", LAYER, True),
    ("sum(X - b)", COLS, False),
    ("sum(sigmoid(b - X))", COLS, True),
    ("sum(X * b)", COLS, True),
    ("sum(sigmoid(b * X))", COLS, True),
    ("sum(X / b)", COLS, True),
    ("sum(exp(X) / b)", COLS, False),
    ("sum(b / exp(X))", COLS, False),
    ("sum(X - c.T)", ROWS, False),
    ("sum(tanh(X + c.T) * X)", ROWS, True),
    ("sum(exp(X) / c.T)", ROWS, False),
    ("sum(c.T * X)", ROWS, True),
    ("b + X", COLS, False),
    ("X * c.T", ROWS, False),
]


@pytest.mark.parametrize(
    ("program", "variables", "hessian"), PROGRAMS, ids=[p for p, *_ in PROGRAMS]
)
def test_broadcast_rules_are_verified_four_ways(program: str, variables: dict, hessian: bool):
    result = derive(program, variables, hessian=hessian)
    assert_verified(result.to_dict()["verification"])


def _forms(result) -> dict[str, str]:
    return {
        d["wrt"]: to_unicode(d["equation"])
        for d in result.to_dict()["derivatives"]
        if d["kind"] == "gradient"
    }


def test_the_batched_layer_reads_like_the_lecture():
    r = derive("z = W @ X + b; h = tanh(z); s = sum(h)", LAYER)
    text = r.text()
    assert "z = W X + b 𝟏ᵀ" in text
    forms = _forms(r)
    assert forms["b"] == "∂s/∂b = Δ 𝟏"
    assert forms["W"] == "∂s/∂W = Δ Xᵀ"
    assert "∂s/∂b_i = Σ[k=1..B] Δ_ik" in text  # Σ_b Δ_{:,b} in the index form


def test_a_row_broadcast_sums_over_rows():
    r = derive("sum(tanh(X + c.T) * X)", ROWS)
    assert _forms(r)["c"] == "∂f/∂c = Δᵀ 𝟏"
    assert "∂f/∂c_i = Σ[k=1..n] Δ_ki" in r.text()


def test_a_size_times_ones_prints_without_brackets():
    assert _forms(derive("sum(X - c.T)", ROWS))["c"] == "∂f/∂c = -n 𝟏"


@pytest.mark.parametrize("backend", ["numpy", "torch", "jax"])
def test_generated_code_broadcasts_and_never_builds_ones_matrices(backend: str):
    code = derive("z = W @ X + b; h = tanh(z); s = sum(h)", LAYER, verify=False).code[backend]
    assert "b[:, None]" in code
    assert "ones" not in code and "outer" not in code
    assert "axis=1" in code or "dim=1" in code  # ∂s/∂b = Δ 𝟏 is a sum over the batch
    rows = derive("sum(exp(X) / c.T)", ROWS, verify=False).code[backend]
    assert "c[None, :]" in rows and "ones" not in rows
    quotient = derive("sum(X / b)", COLS, verify=False).code[backend]
    grad_b = next(line for line in quotient.splitlines() if "grad_b =" in line)
    # (X/(b² 𝟏ᵀ)) 𝟏 = (X 𝟏)/b²: the rows are summed, then scaled; no broadcast is built.
    assert "b ** 2" in grad_b and "ones" not in grad_b and "outer" not in grad_b, grad_b


def test_generated_numpy_gradient_matches_a_hand_computation():
    r = derive("z = W @ X + b; h = tanh(z); s = sum(h)", LAYER, verify=False)
    namespace: dict = {}
    exec(r.code["numpy"], namespace)  # our own generated module, not user input
    rng = np.random.default_rng(0)
    W, X, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 5)), rng.standard_normal(3)
    s, grads = namespace["value_and_grad"](W, X, b)
    delta = 1 - np.tanh(W @ X + b[:, None]) ** 2
    assert np.isclose(s, np.tanh(W @ X + b[:, None]).sum())
    assert np.allclose(grads["b"], delta.sum(axis=1))
    assert np.allclose(grads["W"], delta @ X.T)


@pytest.mark.parametrize(
    ("program", "variables", "message", "hint"),
    [
        (
            "W @ X + v",
            {"W": ("n", "m"), "X": ("m", "B"), "v": ("m",)},
            "cannot add a matrix (n, B) and a vector (m,) (axis 0: the vector has m entries, the"
            " matrix n rows)",
            "broadcasts over the columns",
        ),
        (
            "X + b",
            {"X": ("n", "B"), "b": ("B",)},
            "cannot add a matrix (n, B) and a vector (B,) (axis 0",
            "transpose the vector (b.T)",
        ),
        (
            "X * b.T",
            {"X": ("n", "B"), "b": ("n",)},
            "(axis 1: the row vector has n entries, the matrix B columns)",
            "drop the transpose",
        ),
        (
            "X - Y",
            {"X": ("n", "B"), "Y": ("n", "m")},
            "(axis 1 (B and m) differ)",
            None,
        ),
        ("x + y.T", {"x": ("n",), "y": ("m",)}, "cannot add a vector (n,) and a row", None),
    ],
)
def test_shape_errors_name_both_shapes_and_the_axis(program, variables, message, hint):
    with pytest.raises(ChainruleError) as info:
        elaborate(program, variables)
    err = info.value
    assert err.kind == "shape_mismatch"
    assert message in err.message
    if hint is not None:
        assert hint in (err.hint or "")


def test_a_column_and_a_row_are_not_broadcast_into_a_matrix():
    """NumPy would make x + yᵀ an n×n matrix silently; here it is a forgotten transpose."""
    with pytest.raises(ChainruleError, match="transpose one operand"):
        elaborate("x + y.T", {"x": ("n",), "y": ("n",)})


def test_grading_accepts_the_batched_bias_gradient_in_either_language():
    problem = {
        "program": "z = W @ X + b; h = tanh(z); s = sum(h)",
        "variables": {k: list(v) for k, v in LAYER.items()},
        "wrt": "b",
    }
    assert check(problem, r"\Delta \mathbf{1}", "latex").correct
    assert not check(problem, r"\Delta^T \mathbf{1}", "latex").correct
    w = {**problem, "wrt": "W"}
    assert check(w, r"(1 - \tanh^2(W X + b \mathbf{1}^T)) X^T", "latex").correct
    assert check(w, r"(1 - \tanh^2(W X + b)) X^T", "latex").correct  # b broadcast in LaTeX too
    assert check(w, "(1 - tanh(W @ X + b) ** 2) @ X.T").correct
