"""Adversarial review tests: hand-written programs mixing ops, edge cases, printing and trace.

The first part documents behaviour that was checked and found right. The second part holds
regression tests for the bugs the review found; each was a strict xfail until its fix landed.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from derivations import ChainruleError, derive, trace

n, m = ("n",), ("m",)
nm, nn, S = ("n", "m"), ("n", "n"), ()


def _verified(program, variables, **kw):
    """Derive, and insist the three-way verification passed with no check skipped."""
    r = derive(program, variables, **kw)
    v = r.verification
    assert v["passed"], (program, v)
    for c in v["checks"]:
        assert c["passed"] and not c["skipped"], (program, c)
    return r


def _ok_or_chainrule_error(program, variables, **kw):
    """Bad or odd input may be refused, but only with a ChainruleError; a result must verify."""
    try:
        r = derive(program, variables, **kw)
    except ChainruleError:
        return None
    assert r.verification["passed"], r.verification
    return r


def _module(r):
    ns: dict = {}
    exec(r.code["numpy"], ns)  # noqa: S102
    return ns


def _all_latex(r) -> list[str]:
    d = r.to_dict()
    out = [d["output"]["latex"], *d["program_latex"]]
    out += [x["latex"] for x in d["definitions"]]
    out += [x["latex"] for x in d["derivatives"]] + [x["index_latex"] for x in d["derivatives"]]
    out += [s for steps in d["steps"].values() for s in steps]
    return out


# --------------------------------------------------------------------------------------------
# Well-defined programs that verify (checked in review; all pass)
# --------------------------------------------------------------------------------------------

MIXED = [
    ("sum(x) * x", {"x": n}),
    ("x / sum(x)", {"x": n}),
    ("(u.T @ v) * W", {"u": n, "v": n, "W": nm}),
    ("y.T @ log_softmax(W @ x)", {"y": n, "W": nm, "x": m}),
    ("logsumexp(W @ x) - y.T @ (W @ x)", {"y": n, "W": nm, "x": m}),
    ("u.T @ softmax(W.T @ v)", {"u": m, "W": nm, "v": n}),
    ("trace(inv(A) @ B)", {"A": nn, "B": nn}),
    ("logdet(A) + trace(A)", {"A": nn}),
    ("x.T @ inv(A + diag(y)) @ x", {"x": n, "y": n, "A": nn}),
    ("det(A) * logdet(A)", {"A": nn}),
    ("norm2(W @ x - y)", {"W": nm, "x": m, "y": n}),
    ("sum(max(x, a)) + sum(min(x, y))", {"x": n, "y": n, "a": S}),
    ("sum(leaky_relu(W @ x, sigmoid(a)))", {"W": nm, "x": m, "a": S}),
    ("sum(x ** (a * b + 1))", {"x": n, "a": S, "b": S}),
    ("sum(x ** sum(y))", {"x": n, "y": n}),
    ("x.T / a + a", {"x": n, "a": S}),
    ("z = x * x; y = z + z; w = y * z; s = sum(w) + sum(y)", {"x": n}),
    ("z = W @ x; unused = exp(z); s = sum(z)", {"W": nm, "x": m}),
    (
        "x = concat(a, b); h = tanh(W @ x); s = u.T @ h",
        {"a": ("d",), "b": ("d",), "W": ("n", "2*d"), "u": n},
    ),
    ("concat(W @ x, v)", {"W": nm, "x": m, "v": n}),
    ("mean(W @ x) * W @ x", {"W": nm, "x": m}),
    ("max(W, V.T)", {"W": nm, "V": ("m", "n")}),
    ("(x.T @ W).T", {"x": n, "W": nm}),
    ("softmax(x).T @ W @ v", {"x": n, "W": nm, "v": m}),
    ("sum(x ** -1) + sum(x ** 0.5) + sum(x ** 0) + sum(x ** 1)", {"x": n}),
    ("x - x", {"x": n}),
    ("sum(0 * W)", {"W": nm}),
    ("3 + 4", {"x": n}),
    ("sum(W @ x)", {"W": (20, 30), "x": (30,)}),
    ("x.T.T.T @ x", {"x": n}),
]


@pytest.mark.parametrize(("program", "variables"), MIXED, ids=[p for p, _ in MIXED])
def test_mixed_programs_verify(program, variables):
    _verified(program, variables)


HESSIANS = [
    ("x.T @ A @ x", {"x": n, "A": nn}),
    ("sum(sigmoid(X @ w))", {"X": nm, "w": m}),
    ("y.T @ log_softmax(W @ x)", {"y": n, "W": nm, "x": m}),
    ("trace(inv(A))", {"A": nn}),
    ("x.T @ inv(A) @ x", {"x": n, "A": nn}),
    ("sum(x) * a ** 2", {"x": n, "a": S}),
    ("a * a * sum(W * W)", {"W": nm, "a": S}),
    ("sum(outer(x, y) * W)", {"x": n, "y": m, "W": nm}),
    ("trace(diag(x) @ A @ diag(x))", {"x": n, "A": nn}),
]


@pytest.mark.parametrize(("program", "variables"), HESSIANS, ids=[p for p, _ in HESSIANS])
def test_hessians_verify(program, variables):
    r = _verified(program, variables, hessian=True)
    assert any(d["kind"] == "hessian" for d in r.to_dict()["derivatives"])


def test_precedence_matches_python():
    r = derive("-a ** 2 + 2 ** 3 ** 2 + b / c / d - b - c", {"a": S, "b": S, "c": S, "d": S})
    assert _module(r)["value"](3.0, 8.0, 2.0, 2.0) == pytest.approx(-9 + 512 + 2 - 8 - 2)


def test_logdet_is_log_abs_det():
    r = _verified("logdet(A)", {"A": nn})
    assert _module(r)["value"](np.array([[0.0, 1.0], [1.0, 0.0]])) == pytest.approx(0.0)


@pytest.mark.parametrize(
    ("program", "variables"),
    [
        ("sum(softmax(x) * y)", {"x": n, "y": n}),
        ("y.T @ log_softmax(x)", {"x": n, "y": n}),
        ("logsumexp(x)", {"x": n}),
        ("sum(sigmoid(x)) + sum(softplus(x))", {"x": n}),
    ],
)
def test_generated_code_is_stable_at_large_inputs(program, variables):
    r = derive(program, variables, verify=False, hessian=True)
    ns = _module(r)
    x = np.array([1000.0, -1000.0, 0.0, 500.0])
    args = [x if k == "x" else np.full(4, 0.25) for k in variables]
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        value, grads = ns["value_and_grad"](*args)
        hess = ns["hessian"](*args)
    assert np.isfinite(value)
    assert all(np.all(np.isfinite(g)) for g in grads.values())
    assert all(np.all(np.isfinite(h)) for h in hess.values())


@pytest.mark.parametrize(
    ("program", "variables", "kw"),
    [
        ("x.T.T @ x", {"x": n}, {}),
        ("sum(2 ** x)", {"x": n}, {}),
        ("sum(x)", {"x": n}, {"wrt": "y"}),
        ("sum(x)", {"x": n}, {"wrt": []}),
        ("sum(x)", {"x": ("n", "m", "k")}, {}),
        ("sum(x)", {"x": (0,)}, {}),
        ("sum(x)", {"x": (10**30,)}, {}),
        ("sum(x ** 1e300)", {"x": n}, {}),
        ("(" * 300 + "x" + ")" * 300, {"x": S}, {}),
        ("x" + ".T" * 500, {"x": n}, {}),
        ("x ** x", {"x": n}, {}),
        ("concat(x.T, x.T)", {"x": n}, {}),
        ("sum(x)", {"x": n}, {"hessian": True, "wrt": ["x", "x"]}),
        ("x", {"np": S, "x": S}, {}),
        ("y = y", {"x": n}, {}),
    ],
)
def test_bad_input_is_a_chainrule_error(program, variables, kw):
    with pytest.raises(ChainruleError):
        derive(program, variables, **kw)


@pytest.mark.parametrize(
    "program",
    ["x.T @ A @ x", "trace(inv(A) @ B)", "logdet(A)"],
)
def test_latex_has_no_internals(program):
    r = derive(program, {"x": n, "A": nn, "B": nn}, hessian=True, verify=False)
    for t in _all_latex(r):
        for bad in ("Lambda", "Dummy", "_a0", "mapsto", "PermuteDims", "--", "+ -"):
            assert bad not in t, t
        assert t.count("{") == t.count("}"), t


# --------------------------------------------------------------------------------------------
# trace() against autograd (checked; all pass)
# --------------------------------------------------------------------------------------------

anp = pytest.importorskip("autograd.numpy")
autograd = pytest.importorskip("autograd")

RNG = np.random.default_rng(7)
_X, _Y = RNG.standard_normal(3), RNG.standard_normal(3)
_W, _V = RNG.standard_normal((3, 2)), RNG.standard_normal(2)
_A = np.eye(3) + 0.3 * RNG.standard_normal((3, 3))

TRACES = [
    ("u.T @ tanh(W @ v)", {"u": n, "W": nm, "v": m}, {"u": _X, "W": _W, "v": _V},
     lambda u, W, v: u @ anp.tanh(W @ v)),
    ("y.T @ log_softmax(x)", {"x": n, "y": n}, {"x": _X, "y": _Y},
     lambda x, y: y @ (x - anp.log(anp.sum(anp.exp(x))))),
    ("logdet(A) + trace(inv(A))", {"A": nn}, {"A": _A},
     lambda A: anp.log(anp.abs(anp.linalg.det(A))) + anp.trace(anp.linalg.inv(A))),
    ("x / sum(x)", {"x": n}, {"x": _X}, lambda x: x / anp.sum(x)),
    ("concat(x, y)", {"x": n, "y": n}, {"x": _X, "y": _Y}, lambda x, y: anp.concatenate([x, y])),
    ("leaky_relu(x, a)", {"x": n, "a": S}, {"x": _X, "a": 0.2},
     lambda x, a: anp.where(x > 0, x, a * x)),
    ("x ** a", {"x": n, "a": S}, {"x": np.array([1.0, 2.0, 3.0]), "a": 1.5}, lambda x, a: x**a),
    ("norm2(W) * mean(W)", {"W": nm}, {"W": _W}, lambda W: anp.sqrt(anp.sum(W**2)) * anp.mean(W)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("program", "variables", "values", "f"), TRACES, ids=[t[0] for t in TRACES]
)
def test_trace_matches_autograd(program, variables, values, f):
    d = trace(program, variables, {k: np.asarray(v).tolist() for k, v in values.items()}).to_dict()
    args = [values[k] for k in variables]
    assert np.allclose(d["value"], f(*args))
    for i, k in enumerate(variables):
        g = autograd.grad(lambda *a: anp.sum(f(*a)), i)(*args)
        assert np.allclose(np.asarray(d["gradients"][k], dtype=float), g)


def test_trace_lecture_example():
    d = trace("(x + y) * max(y, z)", {"x": S, "y": S, "z": S}, {"x": 1, "y": 2, "z": 0}).to_dict()
    assert d["value"] == 6 and d["gradients"] == {"x": 2, "y": 5, "z": 0}


@pytest.mark.parametrize(
    ("program", "variables", "values"),
    [
        ("sum(x)", {"x": n}, {"x": []}),
        ("sum(x)", {"x": n}, {"x": [1, float("nan")]}),
        ("sum(x)", {"x": n}, {"x": [1, True]}),
        ("sum(W)", {"W": nm}, {"W": [[1, 2], [3]]}),
        ("inv(A)", {"A": nn}, {"A": [[1, 2], [2, 4]]}),
        ("log(x)", {"x": n}, {"x": [1, -1]}),
        ("sum(x)", {"x": n}, {"x": [1.0] * 10001}),
    ],
)
def test_trace_bad_values_are_chainrule_errors(program, variables, values):
    with pytest.raises(ChainruleError):
        trace(program, variables, values)


# --------------------------------------------------------------------------------------------
# Bugs found in review, now fixed: each test below failed before its fix
# --------------------------------------------------------------------------------------------


# Regression (found in review, fixed): a program with no variables ('3 + 4', {}) generates `    =
# ` in the NumPy module  and derive() crashes with IndentationError (printing/module.py unpacks
# zero inputs)
@pytest.mark.parametrize("program", ["3 + 4", "exp(1)"])
def test_program_without_variables(program):
    _ok_or_chainrule_error(program, {})


# Regression (found in review, fixed): verify/sampling.py draws every matrix under inv/det/logdet
# as np.eye(n) + noise of  the variable's shape; a non-square factor (det(A @ A.T), A (n, m))
# crashes with ValueError
@pytest.mark.parametrize(
    ("program", "variables"),
    [
        ("det(A @ A.T)", {"A": nm}),
        ("logdet(A.T @ A)", {"A": nm}),
        ("trace(inv(A @ B))", {"A": nm, "B": ("m", "n")}),
    ],
)
def test_inverse_of_product_of_rectangular_matrices(program, variables):
    _verified(program, variables)


# Regression (found in review, fixed): a scalar variable whose Hessian takes the index-form
# fallback and is zero prints  np.zeros((1, 1)) from _hvp_a; _hessian_by_hvp assigns it into a 0-d
# array: ValueError
@pytest.mark.parametrize(
    ("program", "wrt"),
    [
        ("Z = W + a; s = sum(Z)", "a"),
        ("Z = a * W; s = sum(Z)", None),
        ("Z = a * W; s = trace(Z.T @ W)", None),
        ("Z = W * a; s = sum(Z) + sum(W * W)", None),
    ],
)
def test_zero_hessian_of_scalar_next_to_matrix(program, wrt):
    _ok_or_chainrule_error(program, {"W": nm, "a": S}, hessian=True, wrt=wrt)


# Regression (found in review, fixed): the gradient of log(sigmoid(x)) is generated as (1 /
# sigmoid(x)) * sigmoid(x) *  (1 - sigmoid(x)): at x = -1000 sigmoid underflows to 0 and the
# gradient is NaN (0 * inf),  though the value uses the stable -logaddexp(0, -x); should be 1 -
# sigmoid(x) = sigmoid(-x)
def test_log_sigmoid_gradient_is_stable():
    r = derive("sum(log(sigmoid(x)))", {"x": n}, verify=False, hessian=True)
    x = np.array([1000.0, -1000.0, 0.0])
    with np.errstate(all="ignore"):
        _, grads = _module(r)["value_and_grad"](x)
        hess = _module(r)["hessian"](x)
    assert np.allclose(grads["x"], [0.0, 1.0, 0.5])
    assert np.all(np.isfinite(hess["x"]))


# Regression (found in review, fixed): dimension names are never checked against variable names:
# in sum(n * x) with  n scalar and x (n,), the generated code does `n = x.shape[0]`, overwriting
# the variable  (wrong value and gradients, verification fails)
def test_dimension_named_like_a_variable():
    _ok_or_chainrule_error("sum(n * x)", {"n": S, "x": ("n",)})


# Regression (found in review, fixed): a dimension named like an intermediate, a Python
# keyword/constant or a name the  generated module uses (np, _scalar, _arr) is accepted and breaks
# the code: TypeError,  AttributeError, SyntaxError, UnboundLocalError
# (language/elaborate.py::_dimension)
@pytest.mark.parametrize("dim", ["np", "_scalar", "_arr", "None", "class", True, "h"])
def test_dimension_names_are_validated(dim):
    _ok_or_chainrule_error("h = exp(x); s = sum(x) + sum(h)", {"x": (dim,)})


# Regression (found in review, fixed): an intermediate named like a dimension (n = x * 2 with x
# (n,)) crashes with  TypeError in the generated code
def test_intermediate_named_like_a_dimension():
    _ok_or_chainrule_error("n = x * 2; s = sum(n) + sum(x)", {"x": ("n",)})


# Regression (found in review, fixed): -y.T @ log(softmax(x)) (the lecture's cross-entropy): value
# uses _log_softmax, but  the gradient goes through delta = -y / softmax(x), which is inf/NaN for
# logits of +-1000
def test_cross_entropy_log_of_softmax_gradient_is_stable():
    r = derive("-y.T @ log(softmax(x))", {"x": n, "y": n}, verify=False)
    x = np.array([1000.0, -1000.0, 0.0, 500.0])
    y = np.full(4, 0.25)
    with np.errstate(all="ignore"):
        _, grads = _module(r)["value_and_grad"](x, y)
    assert np.allclose(grads["x"], np.array([1.0, 0.0, 0.0, 0.0]) - y)


# Regression (found in review, fixed): index form prints (Σx)^2 as '\\sum x^{2}', which reads as Σ
# x²: the _Opaque  scalar in printing/index.py is not parenthesized when raised to a power
@pytest.mark.parametrize(
    ("program", "variables"),
    [("x / sum(x)", {"x": n}), ("y * (-sum(x)) ** 3", {"x": n, "y": n})],
)
def test_index_form_power_of_sum_is_parenthesized(program, variables):
    r = derive(program, variables, verify=False)
    for d in r.to_dict()["derivatives"]:
        assert not re.search(r"\\sum x\^\{", d["index_latex"]), d["index_latex"]


# Regression (found in review, fixed): Jacobian LaTeX writes the outer product with a ones row as
# 'x \\mathbf{1}' (no ᵀ),  while \\mathbf{1} is a column elsewhere: ∂(Σx·x)/∂x should read x 1ᵀ +
# (Σx) I
def test_jacobian_ones_row_is_transposed():
    r = derive("sum(x) * x", {"x": n}, verify=False)
    assert r"\mathbf{1}^{T}" in r.to_dict()["derivatives"][0]["latex"]


# Regression (found in review, fixed): negations inside products are printed bare: 'a * -x' prints
# 'a -x' (reads a − x),  'x.T @ -y' prints 'x^{T} -y', '-(-x)' prints '--x' (printing/latex.py Neg
# precedence)
@pytest.mark.parametrize("program", ["sum(a * -x)", "x.T @ -y", "sum(-(-x))", "sum(exp(a * -x))"])
def test_negation_is_parenthesized(program):
    r = derive(program, {"x": n, "y": n, "a": S}, verify=False)
    for t in _all_latex(r):
        assert not re.search(r"[\w}] -[\\\w]|--", t), t


# Regression (found in review, fixed): index form leaks the basis seed of the reverse pass:
# ∂f_ij/∂u_k of (u.T @ v) * W  is printed '\\sum ((e_i e_j^T) ∘ W) v_k' instead of W_ij v_k
@pytest.mark.parametrize(
    ("program", "variables"),
    [("(u.T @ v) * W", {"u": n, "v": n, "W": nm}), ("y * trace(A) ** 2", {"y": n, "A": nn})],
)
def test_index_form_has_no_basis_vectors(program, variables):
    r = derive(program, variables, verify=False)
    for d in r.to_dict()["derivatives"]:
        assert "e_{" not in d["latex"] and "e_{" not in d["index_latex"], d["latex"]


# Regression (found in review, fixed): the sampler only draws positive inputs (0.5..1.5) under
# log/sqrt/pow and never  tries others, so well-defined programs like sum(log(-x)) or sum(sqrt(x -
# 3)) are  reported as failed (numeric checks skipped)
@pytest.mark.parametrize("program", ["sum(log(-x))", "sum(sqrt(x - 3))"])
def test_domain_other_than_positive_is_verified(program):
    _verified(program, {"x": n})


# Regression (found in review, fixed): finite differences use a fixed h = 1e-3; sin(100 * x) is
# correct but fails the  check (rel. error 3e-6): a false verification failure (retry with smaller
# h or complex step)
def test_high_frequency_function_verifies():
    _verified("sin(100 * x)", {"x": S})


# Regression (found in review, fixed): the exponent limit (64) is checked on literals only: x ** 2
# ** 10 = x^1024 is  accepted and then fails finite differences (false failure, and a limit
# bypass)
def test_exponent_limit_applies_to_constant_expressions():
    _ok_or_chainrule_error("x ** 2 ** 10", {"x": S})


# Regression (found in review, fixed): a literal that overflows (1e999) becomes inf; the generated
# code contains `inf`  and derive() crashes with NameError instead of refusing the literal
def test_overflowing_literal():
    _ok_or_chainrule_error("sum(x * 1e999)", {"x": n})


# Regression (found in review, fixed): derive(wrt=...) with a non-string entry crashes: wrt=5 ->
# TypeError  (int not iterable), wrt=[['x']] -> TypeError (unhashable list) in
# api.py/derivation.py
@pytest.mark.parametrize("wrt", [5, [["x"]]])
def test_wrt_of_wrong_type(wrt):
    with pytest.raises(ChainruleError):
        derive("sum(x)", {"x": n}, wrt=wrt, verify=False)


# Regression (found in review, fixed): large literals are printed in full: 1e300 becomes a
# 301-digit integer in the LaTeX
def test_large_literal_latex_is_compact():
    r = derive("sum(x * 1e300)", {"x": n}, verify=False)
    assert all(len(t) < 200 for t in _all_latex(r))


# Regression (found in review, fixed): trace() refuses det(A) at a singular A ('singular matrix'),
# although det and its  gradient adj(A)^T are defined there
def test_trace_det_at_singular_matrix():
    d = trace("det(A)", {"A": nn}, {"A": [[1.0, 2.0], [2.0, 4.0]]}).to_dict()
    assert np.allclose(d["gradients"]["A"], [[4.0, -2.0], [-2.0, 1.0]])


def test_product_of_sizes_is_refused_with_a_hint():
    """n*m cannot be read off any single axis, so the generated code could not bind m."""
    with pytest.raises(ChainruleError) as info:
        derive("sum(W @ x)", {"W": ("n", "n*m"), "x": ("n*m",)}, verify=False)
    assert info.value.kind == "declaration" and "--var v=m" in info.value.hint
