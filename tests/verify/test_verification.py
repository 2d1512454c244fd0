"""Verification catches planted mistakes in the rules, and reports failures without hiding them."""

from __future__ import annotations

import pytest

from derivations import derive
from derivations.calculus import algebra as A
from derivations.calculus import rules
from derivations.expr import nodes as N

NET = {"W": ("n", "m"), "x": ("m",), "b": ("n",), "u": ("n",)}
PROGRAM = "z = W @ x + b; h = tanh(z); s = u.T @ h"


def _methods_failed(result) -> set[str]:
    return {c["method"] for c in result.to_dict()["verification"]["checks"] if not c["passed"]}


def _transposed_matmul(node, g):
    a, b = node.children
    right = A.matmul(A.transpose(a), g)
    return [A.matmul(g, A.transpose(b)), right if right.shape == b.shape else A.transpose(right)]


def _wrong_transpose(node, g):
    # Planted: δ xᵀ where the variable's rows and columns are swapped back into shape by
    # transposing twice in the wrong place (sizes are distinct, so it cannot hide).
    a, b = node.children
    ga = A.matmul(g, A.transpose(b))
    if ga.shape[0] == ga.shape[1]:
        ga = A.transpose(ga)
    return [ga, A.matmul(A.transpose(a), g)]


def _missing_two(node, g):
    if isinstance(node, N.Apply) and node.fn == "pow":
        base, p = node.children
        return [A.mul(g, A.power(base, A.add(p, N.Const(-1)))), None]
    return rules._vjp_apply(node, g)


def _sign_error(node, g):
    return (
        [A.neg(A.mul(g, rules.partial(node.fn, node.children, 0)))]
        if isinstance(node, N.Apply) and node.fn == "tanh"
        else rules._vjp_apply(node, g)
    )


@pytest.mark.parametrize(
    ("cls", "wrong", "program", "variables"),
    [
        (N.MatMul, _wrong_transpose, "sum(A @ B)", {"A": ("n", "n"), "B": ("n", "m")}),
        (N.Apply, _missing_two, "sum(x ** 2 * y)", {"x": ("n",), "y": ("n",)}),
        (N.Apply, _sign_error, PROGRAM, NET),
    ],
    ids=["transposed", "missing-factor-2", "sign-error"],
)
def test_planted_mistakes_are_caught_three_ways(
    monkeypatch, cls, wrong, program, variables
) -> None:
    monkeypatch.setitem(rules.VJP, cls, wrong)
    result = derive(program, variables)
    assert result.verification_passed is False
    # The three independent checks each catch it; where the planted rule changes what the
    # chain-rule steps (built in forward mode) contradict, the display check does too.
    assert _methods_failed(result) >= {
        "finite_differences",
        "backprop_engine",
        "exact_componentwise",
    }
    assert "FAILED" in result.text()


def test_a_correct_derivation_passes_all_three() -> None:
    checks = derive(PROGRAM, NET).to_dict()["verification"]["checks"]
    assert [c["method"] for c in checks] == [
        "finite_differences",
        "backprop_engine",
        "source_reference",
        "exact_componentwise",
        "displayed_form",
    ]
    assert all(c["passed"] and not c["skipped"] for c in checks)
    assert all(c["sizes"] for c in checks)
    sizes = checks[0]["sizes"]
    assert len(set(sizes.values())) == len(sizes), (
        "sizes must be distinct so transposes cannot hide"
    )


def test_verify_false_skips() -> None:
    v = derive(PROGRAM, NET, verify=False).to_dict()["verification"]
    assert v["passed"] is None and v["checks"] == []


def test_large_numeric_sizes_are_checked_at_reduced_sizes() -> None:
    v = derive("u.T @ tanh(W @ x)", {"W": (5000, 300), "x": (300,), "u": (5000,)}).to_dict()[
        "verification"
    ]
    assert v["passed"] and "reduced sizes" in v["note"]
    assert max(v["checks"][0]["sizes"].values()) < 10


def test_sizes_too_large_to_reduce_are_not_run_never_failed() -> None:
    """eye(10000) ties the size to a literal: nothing can be checked, and nothing failed, so
    the verdict is "not run" with the reason in the text, not FAILED."""
    result = derive("sum(eye(10000) @ x)", {"x": (10000,)})
    v = result.to_dict()["verification"]
    assert v["passed"] is None and v["checks"] == []
    assert "too large to check" in v["skipped"]
    assert "verification: not run (the numeric sizes are too large to check" in result.text()
    assert "FAILED" not in result.text()


def test_domains_are_respected() -> None:
    v = derive(
        "sum(log(W @ x)) + sqrt(a) + logdet(A)",
        {"W": ("n", "m"), "x": ("m",), "a": (), "A": ("k", "k")},
    ).to_dict()
    assert v["verification"]["passed"], v["verification"]


def test_a_size_inside_a_pole_argument_is_bound_when_drawing() -> None:
    """σ = √(1/B Σ_b X²) is a denominator that reads the size B: the sampler's pole check
    must bind B from the inputs' shapes (it raised NameError, and every check was skipped)."""
    from derivations import derive

    variables = {"X": ["n", "B"], "R": ["n", "B"]}
    program = "sigma = sqrt(mean(X ** 2, axis=1)); J = sum(R * (X / sigma))"
    checks = derive(program, variables, wrt=["X"]).to_dict()["verification"]["checks"]
    numeric = [c for c in checks if c["method"] in ("finite_differences", "backprop_engine")]
    assert numeric and all(c["passed"] and not c["skipped"] for c in numeric), numeric
