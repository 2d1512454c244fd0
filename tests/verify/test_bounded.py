"""Verification is bounded by counted work, never by the clock, and its symbols never clash.

Issue 8 §2: a 7-variable scalar program ran for more than ten minutes inside one sympy.expand of
the exact check, and a test flaked on a loaded machine when the exact check hit a wall-clock
budget. The exact check now counts work (subexpressions built, tree nodes differentiated, DAG
nodes evaluated), so the same program gives the same verdict and the same count on any machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import pytest

from derivations import derive
from derivations.limits import DEFAULT_LIMITS
from derivations.verify.exact import MAX_TREE, exact_check
from derivations.verify.sampling import exact_sizes

SEVEN = (
    "(logsumexp(v0) / (1 + (((s1 - s2) / (1 + (s3 / (1 + s4 * s4)) * (s3 / (1 + s4 * s4)))) "
    "/ (1 + ((s3 * s5) + logsumexp(v6)) * ((s3 * s5) + logsumexp(v6)))) * (((s1 - s2) / "
    "(1 + (s3 / (1 + s4 * s4)) * (s3 / (1 + s4 * s4)))) / (1 + ((s3 * s5) + logsumexp(v6)) "
    "* ((s3 * s5) + logsumexp(v6))))))"
)
SEVEN_VARS = {"v0": ["m"], "v6": ["k"], "s1": [], "s2": [], "s3": [], "s4": [], "s5": []}

_CHILD = """
import json, sys
from derivations import derive
program, variables, hessian = json.loads(sys.argv[1])
v = derive(program, variables, hessian=hessian).verification
print(json.dumps([{k: c.get(k) for k in ("method", "passed", "skipped", "work", "detail")}
                  for c in v["checks"]] + [v["passed"]]))
"""


def _verify_in_subprocess(program: str, variables: dict, hessian: bool = False) -> list:
    """Verification in a child process; the timeout is only a guard against a hang."""
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps([program, variables, hessian])],
        capture_output=True,
        text=True,
        timeout=900,
        check=True,
    )
    return json.loads(out.stdout)


@pytest.mark.parametrize("hessian", [False, True], ids=["gradient", "hessian"])
def test_the_seven_variable_program_is_verified_within_its_work_budget(hessian: bool) -> None:
    *checks, passed = _verify_in_subprocess(SEVEN, SEVEN_VARS, hessian)
    assert passed is True, checks
    exact = next(c for c in checks if c["method"] == "exact_componentwise")
    assert exact["work"] <= DEFAULT_LIMITS.exact_check_work + MAX_TREE, exact
    assert exact["passed"], exact


def _mlp(layers: int) -> tuple[str, dict]:
    lines, variables, prev = [], {"x": ["m"], "u": ["n"]}, "x"
    for k in range(1, layers + 1):
        lines.append(f"h{k} = tanh(W{k} @ {prev})")
        variables[f"W{k}"] = ["n", "m"] if k == 1 else ["n", "n"]
        prev = f"h{k}"
    return "; ".join([*lines, f"s = u.T @ {prev}"]), variables


def test_the_exact_check_stops_at_counted_work_with_the_same_count_every_time() -> None:
    program, variables = _mlp(4)
    derivation = derive(program, variables, verify=False).derivation
    sizes = exact_sizes(derivation.program)
    runs = [exact_check(derivation, sizes, work_limit=20_000) for _ in range(2)]
    for r in runs:
        assert r["skipped"] and r["passed"], r
        assert "work budget of 20000 units" in r["detail"], r["detail"]
    # Deterministic: the same entries were compared and the same work counted both times.
    assert runs[0]["entries"] == runs[1]["entries"]
    assert runs[0]["work"] == runs[1]["work"]
    assert runs[0]["work"] <= 20_000 + MAX_TREE


def test_a_stopped_exact_check_does_not_fail_the_result() -> None:
    program, variables = _mlp(4)
    limits = replace(DEFAULT_LIMITS, exact_check_work=5_000)
    v = derive(program, variables, limits=limits).verification
    exact = next(c for c in v["checks"] if c["method"] == "exact_componentwise")
    assert exact["method"] == "exact_componentwise" and exact["skipped"], exact
    assert v["passed"] is True  # the numeric checks cover every entry


def test_no_verdict_reads_the_clock(monkeypatch) -> None:
    """A clock that jumps an hour at every reading changes nothing when no deadline is set."""
    import derivations.verify.exact as exact_module

    ticks = iter(range(0, 10**9, 3600))
    monkeypatch.setattr(exact_module.time, "monotonic", lambda: float(next(ticks)))
    derivation = derive(
        "y.T @ log_softmax(W @ x)", {"y": ["n"], "W": ["n", "m"], "x": ["m"]}, verify=False
    ).derivation
    out = exact_check(derivation, exact_sizes(derivation.program), DEFAULT_LIMITS.exact_check_work)
    assert out["passed"] and not out["skipped"], out


def test_a_scalar_named_like_a_vector_entry_does_not_clash() -> None:
    """Issue 8 §3 class 6: the exact check's symbol for entry 0 of x was the scalar x_0."""
    for program in ["x_0 * sum(x)", "x_0 * (x.T @ x) + sum(exp(x)) * x_0 ** 2", "sum(W_0_1 * W)"]:
        variables = {"x": ["n"], "x_0": [], "W": ["n", "m"], "W_0_1": []}
        r = derive(program, variables, hessian=program.startswith("x_0 *"))
        exact = next(c for c in r.verification["checks"] if c["method"] == "exact_componentwise")
        assert exact["method"] == "exact_componentwise"
        assert exact["passed"] and not exact["skipped"], (program, exact)
        assert r.verification_passed, (program, r.verification)


def test_exp_of_a_huge_argument_is_undefined_not_minutes_of_mpmath() -> None:
    """sum(exp(exp(exp(exp(exp(x)))))) with verify=True ran for minutes inside one mpmath.exp
    of the exact check (exp(3.8e6) is the argument of the next exp); beyond the bound the value
    counts as undefined at the point, as a non-finite one does."""
    import mpmath
    import pytest
    import sympy as sp

    from derivations.verify.pointwise import EXP_ARGUMENT_BOUND, Undefined, evaluate

    x = sp.Symbol("x")
    with mpmath.workdps(50):
        assert evaluate(sp.exp(x), {x: sp.Integer(EXP_ARGUMENT_BOUND)}, {}) > 0
        with pytest.raises(Undefined):
            evaluate(sp.exp(x), {x: sp.Integer(EXP_ARGUMENT_BOUND + 1)}, {})
        with pytest.raises(Undefined):
            evaluate(sp.exp(sp.exp(sp.exp(sp.exp(sp.exp(x))))), {x: sp.Integer(1)}, {})


def test_a_value_beyond_float64_is_not_compared_in_float64() -> None:
    """(x**64)**64 is about 2**4096 at the exact check's points: float64 overflows there, and a
    correct derivation was reported failed ('wrong: value at point 1')."""
    from derivations import derive

    checks = derive("sum((x ** 64) ** 64)", {"x": ("n",)}).to_dict()["verification"]["checks"]
    exact = next(c for c in checks if c["method"] == "exact_componentwise")
    assert exact["passed"], exact["detail"]


NESTED = "trace(inv(A + inv(B + inv(C + inv(D)))))"
NESTED_VARS = {k: ["n", "n"] for k in "ABCD"}


@pytest.mark.parametrize("hessian", [False, True], ids=["gradient", "hessian"])
def test_nested_inverses_are_solved_at_the_points_within_the_work_budget(hessian: bool) -> None:
    """The adjugate of fractions (inv of a sum with an inverse in it) swelled without bound
    inside Berkowitz, before any work was charged; the compound inverses are now solved
    exactly at each rational point, so the check ends and stays within
    its counted budget (the subprocess timeout only guards against a hang). The gradient is
    decided entry by entry; the Hessian runs into the budget partway and is skipped, counted."""
    *checks, passed = _verify_in_subprocess(NESTED, NESTED_VARS, hessian)
    assert passed is True, checks
    exact = next(c for c in checks if c["method"] == "exact_componentwise")
    assert exact["work"] <= DEFAULT_LIMITS.exact_check_work + MAX_TREE, exact
    if hessian:  # 16 Hessian blocks of 16 entries: the budget ends it, after some are compared
        assert exact["skipped"] and "work budget" in exact["detail"], exact
        assert "none wrong" in exact["detail"] and " 0 entries" not in exact["detail"], exact
    else:
        assert exact["passed"] and not exact["skipped"], exact


def test_a_solved_inverse_still_catches_a_wrong_gradient() -> None:
    """∂ tr(inv(A + inv(B)))/∂B is not symmetric: its transpose must be found wrong."""
    from derivations.expr import nodes as N

    result = derive("trace(inv(A + inv(B)))", {"A": ["n", "n"], "B": ["n", "n"]}, verify=False)
    derivation = result.derivation
    sizes = exact_sizes(derivation.program, None)
    assert exact_check(derivation, sizes)["passed"]
    item = next(i for i in derivation.items if i.wrt == "B")
    item.matrix = N.Transpose(item.matrix)
    out = exact_check(derivation, sizes)
    assert out["passed"] is False and "gradient B" in out["detail"], out


def test_a_small_budget_stops_the_nested_inverse_check_at_its_count() -> None:
    result = derive(NESTED, NESTED_VARS, verify=False)
    sizes = exact_sizes(result.derivation.program, None)
    first = exact_check(result.derivation, sizes, work_limit=3000)
    again = exact_check(result.derivation, sizes, work_limit=3000)
    assert first["skipped"] and "work budget of 3000" in first["detail"], first
    assert first["work"] == again["work"]


def test_a_matrix_power_is_charged_as_work_before_it_is_built() -> None:
    """Xᵏ's meaning multiplies matrices: each product is counted (k = 32 once ran unbounded
    in SymPy's own product), so a small budget stops it at its count, the same every time."""
    derivation = derive("trace(matpow(A, 32))", {"A": ("n", "n")}, verify=False).derivation
    sizes = exact_sizes(derivation.program)
    runs = [exact_check(derivation, sizes, work_limit=200) for _ in range(2)]
    for r in runs:
        assert r["skipped"] and r["passed"], r
        assert "work budget of 200 units (a matrix product)" in r["detail"], r["detail"]
    assert runs[0]["work"] == runs[1]["work"]
    full = exact_check(derivation, sizes, work_limit=DEFAULT_LIMITS.exact_check_work)
    assert full["passed"] and not full["skipped"], full


def test_a_nested_matrix_power_is_refused_at_elaboration() -> None:
    from derivations import ChainruleError

    with pytest.raises(ChainruleError) as e:
        derive("trace(matpow(matpow(A, 32), 32))", {"A": ("n", "n")}, verify=False)
    assert "is the power 1024, over the limit of 32" in e.value.message
    assert e.value.column == 29 and "matpow(X, k) with k ≤ 32" in e.value.hint
    derive("trace(matpow(matpow(A, 4), 8))", {"A": ("n", "n")}, verify=False)  # A^32: allowed
