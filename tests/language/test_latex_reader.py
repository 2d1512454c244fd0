"""The LaTeX reader: the textbook subset, its names, and its errors (position, caret, hint)."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derivations.errors import ChainruleError
from derivations.expr import shapes as S
from derivations.language.ast import BinOp, Call, Name, TransposeOp
from derivations.language.elaborate import _Elaborator, declare
from derivations.language.latex_reader import parse_latex
from derivations.limits import Limits
from derivations.printing.numpy_code import HELPERS, NumpyPrinter
from derivations.verify.numeric import load_module

NET = {"W": ["n", "m"], "x": ["m"], "b": ["n"], "u": ["n"], "delta": ["n"], "z": ["n"],
       "h": ["n"], "lam": [], "W1": ["n", "m"], "delta2": ["n"], "yhat": ["n"], "y": ["n"],
       "X": ["n", "n"], "a": []}  # fmt: skip
SIZES = {"n": 3, "m": 4}


def _value(text: str, env: dict[str, np.ndarray]) -> np.ndarray:
    """LaTeX -> the elaborator -> the NumPy printer -> a value: the path the grader uses."""
    program = parse_latex(text, names=set(NET))
    typed = _Elaborator(program, declare(NET, Limits()), Limits()).run()
    printer = NumpyPrinter()
    code = printer.doprint(typed.output)
    helpers = "\n\n".join(HELPERS[h] for h in sorted(printer.helpers))
    source = f"import numpy as np\n\n{helpers}\n\ndef _f({', '.join(env)}):\n    return {code}"
    return np.asarray(load_module(source)["_f"](**env), dtype=float)


@pytest.fixture(scope="module")
def env() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    out = {}
    for name, dims in NET.items():
        shape = tuple(SIZES[d] for d in dims)
        out[name] = rng.uniform(0.5, 1.5, size=shape) if shape else float(rng.uniform(0.5, 1.5))
    out["X"] = out["X"] + 3 * np.eye(3)
    return out


# (student LaTeX, the same answer in the expression language as NumPy)
EQUIVALENT = [
    (r"\delta x^T", lambda e: np.outer(e["delta"], e["x"])),
    (r"\delta x^{T}", lambda e: np.outer(e["delta"], e["x"])),
    (r"\delta x^\top", lambda e: np.outer(e["delta"], e["x"])),
    (r"δ xᵀ", lambda e: np.outer(e["delta"], e["x"])),
    (r"\left(u \circ (1 - h^{2})\right) x^{T}", lambda e: np.outer(e["u"] * (1 - e["h"] ** 2), e["x"])),
    (r"(u \odot (1 - \tanh^2(z))) x^T", lambda e: np.outer(e["u"] * (1 - np.tanh(e["z"]) ** 2), e["x"])),
    (r"W^{T} \delta", lambda e: e["W"].T @ e["delta"]),
    (r"W^T\delta", lambda e: e["W"].T @ e["delta"]),
    (r"2 \lambda W", lambda e: 2 * e["lam"] * e["W"]),
    (r"\lambda \cdot W", lambda e: e["lam"] * e["W"]),
    (r"\frac{1}{2} \delta", lambda e: 0.5 * e["delta"]),
    (r"\tfrac{\delta}{2}", lambda e: e["delta"] / 2),
    (r"\operatorname{diag}(1 - h^2) u", lambda e: (1 - e["h"] ** 2) * e["u"]),
    (r"\mathrm{diag}(u) \sigma(z)", lambda e: e["u"] / (1 + np.exp(-e["z"]))),
    (r"\text{diag}(u) \sigma'(z)", lambda e: e["u"] * (1 / (1 + np.exp(-e["z"]))) * (1 - 1 / (1 + np.exp(-e["z"])))),
    (r"u \circ \tanh'(z)", lambda e: e["u"] * (1 - np.tanh(e["z"]) ** 2)),
    (r"X^{-1}", lambda e: np.linalg.inv(e["X"])),
    (r"X^{-T}", lambda e: np.linalg.inv(e["X"]).T),
    (r"\det(X) X^{-T}", lambda e: np.linalg.det(e["X"]) * np.linalg.inv(e["X"]).T),
    (r"\log\det X", lambda e: np.log(np.linalg.det(e["X"]))),
    (r"\operatorname{tr}(X)", lambda e: np.trace(e["X"])),
    (r"\|x\|_2", lambda e: np.linalg.norm(e["x"])),
    (r"\left\| x \right\|", lambda e: np.linalg.norm(e["x"])),
    (r"\sqrt{x^T x}", lambda e: np.sqrt(e["x"] @ e["x"])),
    (r"\exp(-z) + \log h", lambda e: np.exp(-e["z"]) + np.log(e["h"])),
    (r"e^{z}", lambda e: np.exp(e["z"])),
    (r"\hat{y} - y", lambda e: e["yhat"] - e["y"]),
    (r"W_1 x", lambda e: e["W1"] @ e["x"]),
    (r"W_{1}^{T} \delta_{2}", lambda e: e["W1"].T @ e["delta2"]),
    (r"\operatorname{softmax}(z) - y", lambda e: np.exp(e["z"]) / np.sum(np.exp(e["z"])) - e["y"]),
    (r"\sum z", lambda e: np.sum(e["z"])),
    (r"\bigl(u^T h\bigr) u", lambda e: (e["u"] @ e["h"]) * e["u"]),
    (r"\left[ u \circ h \right]", lambda e: e["u"] * e["h"]),
    (r"(u^{T} h) \times a", lambda e: (e["u"] @ e["h"]) * e["a"]),
    (r"\max(z, 0) \circ u", lambda e: np.maximum(e["z"], 0) * e["u"]),
    (r"|z| − u", lambda e: np.abs(e["z"]) - e["u"]),
    (r"tanh(z) u^T h", lambda e: np.tanh(e["z"]) * (e["u"] @ e["h"])),
    (r"\frac{\partial s}{\partial W} = \delta x^T", lambda e: np.outer(e["delta"], e["x"])),
    (r"\nabla_{W} s = \delta x^{\mathsf{T}}", lambda e: np.outer(e["delta"], e["x"])),
    (r"W^{(1)} x", lambda e: e["W1"] @ e["x"]),
    (r"\delta^{[2]} \circ u", lambda e: e["delta2"] * e["u"]),
    (r"\boldsymbol{\delta} \mathbf{x}^\top", lambda e: np.outer(e["delta"], e["x"])),
    (r"u \circ \sigma^{\prime}(z)", lambda e: e["u"] / (1 + np.exp(-e["z"])) * (1 - 1 / (1 + np.exp(-e["z"])))),
    (r"u \circ \operatorname{sech}^2(z)", lambda e: e["u"] / np.cosh(e["z"]) ** 2),
    (r"\cosh z - \sinh z", lambda e: np.exp(-e["z"])),
    (r"u \circ \mathbb{1}_{z > 0}", lambda e: e["u"] * (e["z"] > 0)),
    (r"u \circ \mathbb{1}\{z \geq 0\}", lambda e: e["u"] * (e["z"] >= 0)),
    (r"u \circ \operatorname{ReLU}'(z)", lambda e: e["u"] * (e["z"] > 0)),
    (r"\|x\|_2^2", lambda e: e["x"] @ e["x"]),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), EQUIVALENT, ids=[t for t, _ in EQUIVALENT])
def test_textbook_latex_reads_as_the_expression_language(text, expected, env) -> None:
    np.testing.assert_allclose(_value(text, env), expected(env), rtol=1e-12)


def test_juxtaposition_is_an_implicit_matmul_in_the_tree() -> None:
    tree = parse_latex(r"\delta x^T").statements[0].value
    assert isinstance(tree, BinOp) and tree.op == "@" and tree.implicit
    assert tree.left == Name("delta", tree.left.pos)
    assert isinstance(tree.right, TransposeOp)


@pytest.mark.parametrize(
    ("text", "names", "name"),
    [
        (r"\delta_{2}", None, "delta2"),
        (r"\delta_2", None, "delta2"),
        (r"b_{2}", {"b_2"}, "b_2"),
        (r"b_{2}", {"b2"}, "b2"),
        (r"\delta_{z}", None, "delta_z"),
        (r"\delta_{1,2}", None, "delta1_2"),
        (r"x_{\text{in}}", None, "x_in"),
        (r"\lambda", None, "lam"),
        (r"\lambda", {"lambda_"}, "lambda_"),
        (r"\hat{y}", None, "yhat"),
        ("ŷ", None, "yhat"),
        (r"\mathbf{x}", None, "x"),
        (r"\mathrm{yhat}", None, "yhat"),
        ("λ", None, "lam"),
        ("W₁", None, "W1"),
        # The δ of an accented intermediate (batch norm's Δ_X̂) as the printer writes it.
        (r"\Delta_{\hat{X}}", {"Delta_Xhat"}, "Delta_Xhat"),
    ],
)
def test_names_map_to_the_languages_ascii_names(text, names, name) -> None:
    tree = parse_latex(text, names=names).statements[0].value
    assert isinstance(tree, Name) and tree.id == name


def test_letter_runs_split_into_declared_names() -> None:
    tree = parse_latex("xy", names={"x", "y"}).statements[0].value
    assert isinstance(tree, BinOp) and tree.implicit
    assert parse_latex("xy").statements[0].value.id == "xy"


def test_a_programs_sigma_times_a_factor_is_no_sigmoid() -> None:
    """Batch norm's σ 𝟏ᵀ and σ² 𝟏ᵀ (σ = √v): products, while σ(z) stays the sigmoid."""
    product = parse_latex(r"\sigma \mathbf{1}^{T}", names={"sigma"}).statements[0].value
    assert isinstance(product, BinOp) and product.implicit and product.left.id == "sigma"
    square = parse_latex(r"\sigma^{2} \mathbf{1}^{T}", names={"sigma"}).statements[0].value
    assert isinstance(square, BinOp) and square.implicit and square.left.op == "**"
    sigmoid = parse_latex(r"\sigma\left(z\right)", names={"sigma", "z"}).statements[0].value
    assert isinstance(sigmoid, Call) and sigmoid.func == "sigmoid"
    assert parse_latex(r"\sigma x", names={"x"}).statements[0].value.func == "sigmoid"
    # σ² closing a denominator (layer norm's (δ_x̂ ∘ c)/σ²) has no argument at all.
    last = parse_latex(r"\frac{a}{\sigma^{2}}", names={"sigma", "a"}).statements[0].value
    assert last.right.op == "**" and last.right.left.id == "sigma"


def test_internal_forms_read_as_calls() -> None:
    ones = parse_latex(r"\mathbf{1}").statements[0].value
    assert isinstance(ones, Call) and ones.func == "ones"
    ind = parse_latex(r"\mathbb{1}\left[z \leq 0\right]").statements[0].value
    assert ind.func == "ge" and ind.args[0].text == "0"


@pytest.mark.parametrize(
    ("text", "column", "hint"),
    [
        (r"\foo x", 1, "known commands"),
        (r"\frac{a}", 9, r"\frac{numerator}{denominator}"),
        (r"\frac{a}{b", 11, "never closed"),
        (r"x + }", 5, "no matching '{'"),
        (r"\sum_{i} x_i", 8, "index sums"),
        (r"$x$", 1, "$ signs"),
        (r"f'(z)", 2, "derivative explicitly"),
        (r"\operatorname{softmax}'(z)", 23, "derivative of softmax explicitly"),
        (r"\partial s", 1, "right-hand side"),
        (r"x.T", 2, "x^{T}"),
        (r"A : B", 3, "(A^{T} B)"),
        (r"\tanh", 1, "needs an argument"),
        ("", 1, "write a formula"),
        (r"x \circ", 8, "ends in the middle"),
    ],
)
def test_errors_name_the_position_and_a_fix(text, column, hint) -> None:
    with pytest.raises(ChainruleError) as info:
        parse_latex(text)
    err = info.value
    assert err.kind == "syntax_error"
    assert err.column == column, str(err)
    assert hint in (err.hint or "") + err.message, str(err)
    if text:
        assert "^" in err.excerpt()
    assert len(str(err)) < 600


def test_limits_bound_length_and_depth() -> None:
    with pytest.raises(ChainruleError) as info:
        parse_latex("x + " * 10, Limits(max_expression_length=20))
    assert info.value.details["limit"] == "max_expression_length"
    with pytest.raises(ChainruleError) as info:
        parse_latex("{" * 300 + "x" + "}" * 300)
    assert info.value.details["limit"] == "max_depth"
    with pytest.raises(ChainruleError) as info:  # deep without brackets: -(-(-x)) as - - - x
        parse_latex("-" * 400 + "x")
    assert info.value.kind == "limit"


def test_scalar_juxtaposition_scales_but_explicit_matmul_still_refuses_a_scalar() -> None:
    from derivations.language.elaborate import elaborate

    with pytest.raises(ChainruleError, match="@ needs two matrices"):
        elaborate("a @ x", {"a": [], "x": ["n"]})


def test_indicators_elaborate_from_latex_only(env) -> None:
    np.testing.assert_allclose(
        _value(r"u \circ \mathbb{1}[z > 0]", env), env["u"] * (env["z"] > 0), rtol=1e-12
    )
    from derivations.language.elaborate import elaborate

    with pytest.raises(ChainruleError, match="unknown function 'gt'"):
        elaborate("gt(x, 0)", {"x": ["n"]})


def test_ones_has_a_clear_error_in_the_elaborator() -> None:
    program = parse_latex(r"\mathbf{1} x^T")
    with pytest.raises(ChainruleError, match="vector of ones"):
        _Elaborator(program, declare({"x": ["n"]}, Limits()), Limits()).run()


_PIECES = [r"\delta", "x", "^T", "^{", "}", "{", "_1", "_{2}", r"\frac", r"\left(", r"\right)",
           "(", ")", r"\circ", "+", "-", "2", r"\sigma", r"\tanh", r"\|", "|", r"\mathbf{1}",
           r"\mathbb{1}[", "]", ">", r"\sum", r"\sum_{k=1}^{n}", "'", ",", r"\foo", "W", "=",
           r"\operatorname{diag}", r"\begin{bmatrix}", r"\\", r"\end{bmatrix}", "ᵀ", "δ", " "]  # fmt: skip


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(_PIECES), max_size=14))
def test_any_text_gives_a_tree_or_a_positioned_error(pieces) -> None:
    from derivations.language.elaborate import declare
    from derivations.language.latex_typing import elaborate_latex

    text = "".join(pieces)
    names = declare({"delta": ["n"], "x": ["n"], "W": ["n", "n"], "W1": ["n", "n"]}, Limits())
    for indices in (None, {"i", "j"}):
        try:
            parse_latex(text, indices=indices)
        except ChainruleError as exc:
            assert exc.kind in ("syntax_error", "limit")
            assert text == "" or exc.line is not None or exc.kind == "limit"
    with contextlib.suppress(ChainruleError):  # typed, or a ChainruleError: nothing else
        elaborate_latex(text, names, S.column(S.dim("n")))


def test_elaborate_latex_sizes_ones_identity_and_dimensions() -> None:
    from derivations.expr import nodes as N
    from derivations.language.latex_typing import elaborate_latex

    names = declare({"x": ["m"], "W": ["n", "m"]}, Limits())
    n, m = S.dim("n"), S.dim("m")
    ones = elaborate_latex(r"\frac{1}{n} \mathbf{1} x^{T}", names, (n, m)).output
    assert ones.shape == (n, m) and any(isinstance(k, N.Ones) for k in N.walk(ones))
    eye = elaborate_latex(r"W^{T} I - W^{T}", names, (m, n)).output
    assert eye.shape == (m, n)
    with pytest.raises(ChainruleError, match="cannot be inferred"):
        elaborate_latex(r"\mathbf{1}", names, None)
    with pytest.raises(ChainruleError) as info:  # the hint speaks LaTeX, not .T and @
        elaborate_latex(r"W x^{T}", names, None)
    assert ".T" not in (info.value.hint or "") and "@" not in (info.value.hint or "")
