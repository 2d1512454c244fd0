"""Declared kinds: the simplifier's use of their facts, and verification on honest samples.

Every rewritten result is checked four ways on points of its kind; the same rewritten result
checked off the kind fails (so the checks do depend on the kind's sampling); and a program
without the kind keeps the general form.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from derivations import derive
from derivations.verify import exact as E
from derivations.verify.explicit import symbols_for
from derivations.verify.kinds import directions
from derivations.verify.numeric import best_directional_error
from derivations.verify.run import verify_result
from derivations.verify.sampling import choose_sizes, draw_inputs
from tests.helpers import draw_for

ONEHOT = {"shape": ["k"], "role": "data", "kind": "onehot"}


def _kind(kind: str, *shape: str) -> dict:
    return {"shape": list(shape), "kind": kind}


# One input of every kind (and two plain ones): the draws and exact points of each kind.
EVERY_KIND = {
    "y": ONEHOT,
    "p": _kind("probability", "k"),
    "S": _kind("symmetric", "n", "n"),
    "P": _kind("spd", "n", "n"),
    "D": _kind("diagonal", "n", "n"),
    "q": _kind("positive", "n"),
    "z": ["k"],
    "x": ["n"],
}


def _passed_all(result) -> None:
    checks = {c["method"]: c for c in result.verification["checks"]}
    assert result.verification["passed"], result.verification
    for method in ("finite_differences", "backprop_engine", "exact_componentwise"):
        assert checks[method]["passed"] and not checks[method]["skipped"], checks[method]
    assert checks["displayed_form"]["passed"], checks["displayed_form"]


def _equation(result, kind: str, wrt: str) -> str:
    d = result.to_dict()
    return next(i["latex"] for i in d["derivatives"] if i["kind"] == kind and i["wrt"] == wrt)


CASES = [
    # (program, variables, wrt, hessian, {(kind, wrt): latex})
    (
        "J = -y.T @ log_softmax(z)",
        {"z": ["k"], "y": ONEHOT},
        None,
        True,
        {
            ("gradient", "z"): r"\operatorname{softmax}\left(z\right) - y",
        },
    ),
    (
        "J = -y.T @ log_softmax(W @ x)",
        {"W": ["k", "m"], "x": ["m"], "y": _kind("probability", "k")},
        ["W", "x", "y"],
        True,
        {("gradient", "W"): r"\delta x^{T}"},
    ),
    (
        "x.T @ A @ x",
        {"x": ["n"], "A": _kind("symmetric", "n", "n")},
        None,
        True,
        {("gradient", "x"): "2 A x", ("hessian", "x"): "2 A", ("gradient", "A"): "x x^{T}"},
    ),
    (
        "sum(A * A.T) + logdet(A)",
        {"A": _kind("symmetric", "n", "n")},
        None,
        True,
        {("gradient", "A"): "A^{-1} + 2 A"},
    ),
    (
        "x.T @ inv(A) @ x + logdet(A)",
        {"x": ["n"], "A": _kind("spd", "n", "n")},
        None,
        True,
        {("gradient", "x"): "2 A^{-1} x", ("hessian", "x"): "2 A^{-1}"},
    ),
    (
        "x.T @ D @ x",
        {"x": ["n"], "D": _kind("diagonal", "n", "n")},
        None,
        True,
        {("gradient", "x"): "2 D x", ("hessian", "x"): "2 D"},
    ),
    (
        "sum(abs(x) * w)",
        {"w": ["n"], "x": _kind("positive", "n")},
        ["w"],
        True,
        {("gradient", "w"): "x"},
    ),
]


@pytest.mark.parametrize(("program", "variables", "wrt", "hessian", "forms"), CASES)
def test_kind_rewrites_are_verified_on_the_kind(program, variables, wrt, hessian, forms) -> None:
    result = derive(program, variables, wrt=wrt, hessian=hessian)
    _passed_all(result)
    for (kind, w), latex in forms.items():
        assert _equation(result, kind, w) == latex
    assert result.derivation.assumptions, "a fact of the kind was used"
    assert set(result.to_dict()["assumptions"]) == set(result.derivation.assumptions)


@pytest.mark.parametrize(("program", "variables", "wrt", "hessian", "forms"), CASES)
def test_the_same_results_fail_off_the_kind(program, variables, wrt, hessian, forms) -> None:
    """Checked at points that are not of the kind, a rewritten result is found wrong: the
    verification's agreement above is owed to the kind's sampling, not to a weak check."""
    result = derive(program, variables, wrt=wrt, hessian=hessian, verify=False)
    program = result.derivation.program
    for typed in {id(program): program, id(program.as_written): program.as_written}.values():
        typed.declarations = {}  # sample as if nothing were declared
    plain = {k: (v["shape"] if isinstance(v, dict) else v) for k, v in variables.items()}
    verdict = verify_result(result, plain, _limits())
    assert not verdict["passed"]
    failed = {c["method"] for c in verdict["checks"] if not c["passed"] and not c["skipped"]}
    assert {"finite_differences", "backprop_engine"} <= failed, verdict


def _limits():
    from derivations.limits import DEFAULT_LIMITS

    return DEFAULT_LIMITS


@pytest.mark.parametrize(
    ("program", "variables", "general"),
    [
        ("J = -y.T @ log_softmax(z)", {"z": ["k"], "y": ["k"]}, r"\sum y"),
        ("x.T @ A @ x", {"x": ["n"], "A": ["n", "n"]}, "A^{T}"),
        ("x.T @ D @ x", {"x": ["n"], "D": ["n", "n"]}, "D^{T}"),
        ("sum(abs(x) * w)", {"w": ["n"], "x": ["n"]}, r"\lvert x"),
    ],
)
def test_without_the_kind_the_general_form_stays(program, variables, general) -> None:
    result = derive(program, variables, verify=False)
    assert general in result.to_dict()["derivatives"][0]["latex"]
    assert result.derivation.assumptions == {} and result.derivation.plain is None
    assert "assumptions" not in result.to_dict()


def test_gradient_by_a_symmetric_matrix_is_the_unconstrained_one() -> None:
    """The documented convention: ∂/∂A of tr(AB) for symmetric A is Bᵀ, the gradient with every
    entry perturbed alone, at a symmetric point (not sym(Bᵀ), not Bᵀ + B − diag(B))."""
    result = derive("trace(A @ B)", {"A": _kind("symmetric", "n", "n"), "B": ["n", "n"]}, wrt="A")
    _passed_all(result)
    assert _equation(result, "gradient", "A") == "B^{T}"


def test_a_difference_the_kind_makes_zero_leaves_no_function_of_zero() -> None:
    """A − Aᵀ = 0 for symmetric A: cos(A − Aᵀ) is 𝟏𝟏ᵀ and sin(A − Aᵀ) is 0 on the page (Δ is 𝟏𝟏ᵀ,
    the Hessian 0), never cos(0) or sin(0) written out; verified on the kind."""
    result = derive("sum(sin(A - A.T))", {"A": _kind("symmetric", "n", "n")}, hessian=True)
    _passed_all(result)
    text = str(result.to_dict())
    assert r"\cos\\left(0" not in text and r"\sin\\left(0" not in text
    (delta,) = [d for d in result.to_dict()["definitions"] if d["role"] == "adjoint"]
    assert delta["latex"] == r"\mathbf{1} \mathbf{1}^{T}", delta
    assert _equation(result, "hessian", "A").endswith("= 0")


# --- sampling ---------------------------------------------------------------------------------


_draw = draw_for


@pytest.mark.parametrize("seed", range(5))
def test_numeric_draws_are_of_their_kind(seed: int) -> None:
    program = "y.T @ z + p.T @ z + x.T @ (S + P + D) @ x + sum(q * x)"
    inputs = _draw(program, EVERY_KIND, seed)
    y, p = inputs["y"], inputs["p"]
    assert sorted(y.tolist()) == [0.0] * (len(y) - 1) + [1.0]
    assert np.all(p > 0) and abs(p.sum() - 1) < 1e-12
    for name in ("S", "P", "D"):
        assert np.array_equal(inputs[name], inputs[name].T)
    assert np.min(np.linalg.eigvalsh(inputs["P"])) > 0
    assert np.array_equal(inputs["D"], np.diag(np.diag(inputs["D"])))
    assert np.all(inputs["q"] > 0)


def test_symmetric_under_logdet_is_drawn_with_both_determinant_signs() -> None:
    result = derive("logdet(A)", {"A": _kind("symmetric", "n", "n")}, verify=False)
    typed = result.derivation.program
    module: dict = {}
    exec(result.code["numpy"], module)  # noqa: S102 - our own generated module
    signs = set()
    for first in (True, False):
        inputs, _ = draw_inputs(
            typed,
            choose_sizes(typed),
            np.random.default_rng(0),
            module["value"],
            negative_det_first=first,
        )
        assert np.array_equal(inputs["A"], inputs["A"].T)
        signs.add(np.sign(np.linalg.det(inputs["A"])))
    assert signs == {-1.0, 1.0}


def test_exact_points_are_of_their_kind() -> None:
    result = derive(
        "y.T @ z + p.T @ z + x.T @ (S + P + D) @ x + sum(q * x) + logdet(S)",
        EVERY_KIND,
        verify=False,
    )
    program = result.derivation.program
    env = symbols_for(program.inputs, {"k": 3, "n": 3})
    symbols = [s for m in env.values() for s in m]
    kinds = [(kind, env[name], program.axes.get(name)) for name, kind in program.kinds.items()]
    points = E._points(symbols, set(), [env["S"]], random.Random(1), kinds)

    def value(point, name):
        m = env[name]
        return np.array(
            [[float(point[m[i, j]]) for j in range(m.shape[1])] for i in range(m.shape[0])]
        )

    for point in points:
        y, p = value(point, "y"), value(point, "p")
        assert sorted(y.ravel().tolist()) == [0.0, 0.0, 1.0]
        assert abs(sum(point[s] for s in env["p"]) - 1) < 1e-40 and np.all(p > 0)
        for name in ("S", "P", "D"):
            m = env[name]
            assert all(point[m[i, j]] == point[m[j, i]] for i in range(3) for j in range(3))
        assert np.min(np.linalg.eigvalsh(value(point, "P"))) > 0
        d = value(point, "D")
        assert np.array_equal(d, np.diag(np.diag(d)))
        assert np.all(value(point, "q") > 0)


# --- Hessians along the kind's directions ---------------------------------------------------


def test_directions_keep_the_kinds_equalities() -> None:
    for d in directions("symmetric", (3, 3)):
        assert np.array_equal(d, d.T)
    assert len(directions("symmetric", (3, 3))) == 6
    assert len(directions("diagonal", (3, 3))) == 3
    for d in directions("onehot", (4,)):
        assert d.sum() == 0
    assert directions("positive", (3,)) is None and directions(None, (3,)) is None


def test_directional_check_finds_a_wrong_hessian() -> None:
    """f(A) = Σ A ∘ Aᵀ: H[E] = 2Eᵀ. Along symmetric E, a right Hessian passes and 3Eᵀ fails."""
    n = 3
    a = np.random.default_rng(0).standard_normal((n, n))
    a = a + a.T

    def grad(kw):
        return 2 * kw["A"].T

    right = np.zeros((n, n, n, n))
    for i in range(n):
        for j in range(n):
            right[i, j, j, i] = 2.0
    dirs = directions("symmetric", (n, n))
    err, _ = best_directional_error(right, grad, {"A": a}, "A", dirs, 1.0)
    assert err < 1e-6  # the finite-difference tolerance
    err, _ = best_directional_error(1.5 * right, grad, {"A": a}, "A", dirs, 1.0)
    assert err > 0.1


def test_a_program_singular_on_its_kind_is_reported_as_such() -> None:
    """‖A − Aᵀ‖ is 0 for every symmetric A, where the norm has no derivative. Verification
    said "every draw came close to a pole" and failed the exact check as a wrong formula (0/0
    at its points); it now says that no point of the kind has a derivative, names the zero
    norm, and skips the exact check for the same reason: no formula was found wrong."""
    result = derive("norm2(A - A.T)", {"A": _kind("symmetric", "n", "n")})
    v = result.verification
    assert not v["passed"]  # nothing was verified, so nothing passed
    assert "not differentiable at any point of the declared kinds (A symmetric)" in v["note"]
    assert "‖A - Aᵀ‖" in v["note"] and "no wrong formula" in v["note"]
    checks = {c["method"]: c for c in v["checks"]}
    assert checks["exact_componentwise"]["skipped"], checks["exact_componentwise"]
    assert all(c["skipped"] and c["passed"] for c in checks.values()), checks


def test_off_its_kind_the_same_program_verifies() -> None:
    """The formula itself is right where it is defined: without the kind it passes."""
    _passed_all(derive("norm2(A - A.T)", {"A": ["n", "n"]}))


def test_a_program_singular_everywhere_keeps_the_pole_reason() -> None:
    """norm2(x - x) is 0 off the kind too: the kind is not blamed."""
    result = derive("norm2(x - x) + sum(y)", {"x": ["n"], "y": _kind("positive", "n")})
    assert "not differentiable at any point of the declared kinds" not in result.verification.get(
        "note", ""
    )
