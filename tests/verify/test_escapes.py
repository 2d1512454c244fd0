"""Each escape class of issue 10 has a planted mistake that verification must now catch.

The mistakes are monkeypatched into the running package (the bench, ``bench/mutants.py``,
applies the same kind of single edits to a temporary copy). SymPy-derived partials are cached,
so the scalar-table mutants clear those caches before and after.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from fractions import Fraction
from pathlib import Path

import pytest

from derivations import derive
from derivations.calculus import algebra as A
from derivations.calculus import elementwise as F
from derivations.calculus import rules, scalar
from derivations.expr import nodes as N
from derivations.language import calls as C
from derivations.language import elaborate as E
from derivations.ops.registry import NODES
from derivations.verify import run
from derivations.verify.sampling import choose_sizes, good_sizes
from derivations.verify.sizes import GRADING_SIZE_SETS, exposing_sizes


def _failed(result) -> set[str]:
    return {c["method"] for c in result.verification["checks"] if not c["passed"]}


@pytest.fixture
def fresh_partials():
    scalar.scalar_partial.cache_clear()
    scalar._specialised.cache_clear()
    yield
    scalar.scalar_partial.cache_clear()
    scalar._specialised.cache_clear()


# -- 1. sizes that hide mistakes -----------------------------------------------------------------


def test_good_sizes_are_at_least_3_distinct_and_no_sum_is_a_product() -> None:
    for count in range(1, 7):
        sizes = good_sizes(count)
        assert min(sizes) >= 3 and len(set(sizes)) == count
        sums = {a + b for a, b in itertools.product(sizes, repeat=2)}
        products = {a * b for a, b in itertools.product(sizes, repeat=2)}
        assert not sums & products, sizes


def test_two_different_size_sets_are_checked() -> None:
    program = derive("sum(W @ x)", {"W": ["n", "m"], "x": ["m"]}, verify=False).derivation.program
    first, second = choose_sizes(program, 0), choose_sizes(program, 1)
    assert all(first[d] != second[d] for d in first)
    assert first["n"] < first["m"] and second["n"] > second["m"]  # AᵀA: one of them samples
    one = derive("sum(x)", {"x": ["n"]}, verify=False).derivation.program
    assert choose_sizes(one, 0) != choose_sizes(one, 1)


@pytest.mark.parametrize("count", range(1, 10))
def test_later_size_sets_keep_no_sum_product_or_ratio_of_sizes(count: int) -> None:
    """A permutation (n, B = 3, 4 then 4, 3) kept n·B and n + B: a factor n·B/12 hid."""
    sets = [exposing_sizes(count, k) for k in range(GRADING_SIZE_SETS)]
    for values in sets:
        assert min(values) >= 3 and len(set(values)) == count
        head = values[:8]
        sums = {a + b for a, b in itertools.product(head, repeat=2)}
        assert not sums & {a * b for a, b in itertools.product(head, repeat=2)}, values
    assert list(sets[1]) == sorted(sets[1], reverse=True)
    for a, b in itertools.combinations(sets, 2):
        assert all(x != y for x, y in zip(a, b, strict=True)), (a, b)
        assert sum(a) != sum(b) and math.prod(a) != math.prod(b), (a, b)
        for i, j in itertools.combinations(range(count), 2):
            assert a[i] + a[j] != b[i] + b[j], (a, b, i, j)
            for p, q in itertools.product((-2, -1, 1, 2), repeat=2):
                kept = Fraction(a[i]) ** p * Fraction(a[j]) ** q
                assert kept != Fraction(b[i]) ** p * Fraction(b[j]) ** q, (a, b, i, j, p, q)


def test_a_factor_that_keeps_under_a_permutation_of_sizes_is_caught(monkeypatch) -> None:
    """∂/∂b of sum(sin(X + b)) times n·B/12 is right at n, B = 3, 4 and at 4, 3."""
    right = rules.VJP[N.Sum]

    def wrong(node, g):
        (a,) = node.children
        factor = N.Const(a.shape[0] * a.shape[1] / 12)
        return [A.mul(factor, term) for term in right(node, g)]

    monkeypatch.setitem(rules.VJP, N.Sum, wrong)
    r = derive("J = sum(sin(X + b))", {"X": ["n", "B"], "b": ["n"]}, wrt="b")
    assert r.verification_passed is False
    assert {"finite_differences", "backprop_engine"} <= _failed(r)


def test_a_mean_that_counts_n_plus_m_entries_is_caught(monkeypatch) -> None:
    def wrong(node, g):
        (a,) = node.children
        return [A.mul(g, N.Const(1 / (a.shape[0] + a.shape[1])), N.Ones(a.shape))]

    monkeypatch.setitem(rules.VJP, N.Mean, wrong)
    r = derive("mean((A - B) ** 2)", {"A": ["n", "n"], "B": ["n", "n"]})
    assert r.verification_passed is False
    assert {"finite_differences", "backprop_engine"} <= _failed(r)


def _plant_logdet_as_log_det(monkeypatch) -> None:
    """The registry's NumPy form of logdet swapped for log(det(A)), wrong where det < 0."""

    def wrong(p, node):
        return f"np.log(np.linalg.det({p.doprint(node.children[0])}))", 100

    spec = NODES[N.LogDet]
    monkeypatch.setitem(NODES, N.LogDet, dataclasses.replace(spec, code={"numpy": wrong}))


# -- 2. domains drawn too narrowly -----------------------------------------------------------------


def test_abs_derivative_as_a_step_is_caught_under_a_norm(monkeypatch, fresh_partials) -> None:
    monkeypatch.setattr(F.eabs, "fdiff", lambda self, argindex=1: F.gt(self.args[0], 0))
    r = derive("sum(abs(x)) / norm2(x)", {"x": ["n"]})
    assert r.verification_passed is False
    assert {"finite_differences", "backprop_engine", "exact_componentwise"} <= _failed(r)


def test_logdet_printed_as_log_det_is_caught_at_a_negative_determinant(monkeypatch) -> None:
    _plant_logdet_as_log_det(monkeypatch)
    r = derive("logdet(A)", {"A": ["n", "n"]})
    assert r.verification_passed is False
    assert "source_reference" in _failed(r)


def test_free_signs_outside_log_and_sqrt() -> None:
    """Under a denominator and a norm both signs are drawn; only log's argument is positive."""
    r = derive("sum(x / y) / norm2(z) + sum(log(w))", {k: ["n"] for k in "xyzw"})
    assert r.verification_passed, r.verification


# -- 3. the front end is nobody's reference --------------------------------------------------------


def test_a_minus_b_read_as_b_minus_a_is_caught(monkeypatch) -> None:
    original = E._Elaborator.binop

    def swapped(self, syn):
        node = original(self, syn)
        if syn.op == "-" and isinstance(node, N.Add):
            a, nb = node.children
            return N.Add(nb.children[0], N.Neg(a)) if isinstance(nb, N.Neg) else node
        return node

    monkeypatch.setattr(E._Elaborator, "binop", swapped)
    r = derive("sum(exp(a - b) * c)", {"a": ["n"], "b": ["n"], "c": ["n"]})
    assert r.verification_passed is False
    assert _failed(r) == {"source_reference"}


def test_mean_read_as_sum_is_caught(monkeypatch) -> None:
    monkeypatch.setitem(C.BUILDERS, "mean", C.BUILDERS["sum"])
    r = derive("mean(tanh(W @ x))", {"W": ["n", "m"], "x": ["m"]})
    assert r.verification_passed is False
    assert "source_reference" in _failed(r)


def test_dot_read_as_a_transpose_a_is_caught(monkeypatch) -> None:
    def wrong(e, args, syn):
        a, _ = args
        return N.MatMul(N.Transpose(a), a)

    monkeypatch.setitem(C.BUILDERS, "dot", wrong)
    r = derive("dot(a, b) * c", {"a": ["n"], "b": ["n"], "c": []})
    assert r.verification_passed is False
    assert "source_reference" in _failed(r)


# -- 5. a shared scalar table ----------------------------------------------------------------------


def test_a_wrong_sigmoid_derivative_in_our_table_fails_the_exact_check(
    monkeypatch, fresh_partials
) -> None:
    monkeypatch.setattr(
        F.sigmoid, "fdiff", lambda self, argindex=1: 1 - F.sigmoid(self.args[0]) ** 2
    )
    r = derive("sum(sigmoid(W @ x))", {"W": ["n", "m"], "x": ["m"]})
    assert r.verification_passed is False
    assert "exact_componentwise" in _failed(r)


def test_the_exact_check_does_not_import_our_derivative_table() -> None:
    import derivations.verify.definitions as D
    import derivations.verify.exact as X
    import derivations.verify.explicit as P

    for module in (D, X, P):
        source = Path(module.__file__).read_text(encoding="utf-8")
        assert "expr.functions" not in source and "fdiff" not in source.replace(
            "never our fdiff", ""
        ).replace("``fdiff``", ""), module.__name__
    assert set(D.DEFINITIONS) == set(F.FUNCTIONS)


# -- 6. a crash instead of a verdict ---------------------------------------------------------------


def test_generated_code_that_raises_is_a_failed_check(monkeypatch) -> None:
    real_load = run.load_module

    def broken(source):
        module = real_load(source)

        def hessian(**kw):
            raise ValueError("operands could not be broadcast together")

        module["hessian"] = hessian
        return module

    monkeypatch.setattr(run, "load_module", broken)
    r = derive("x.T @ A @ x", {"x": ["n"], "A": ["n", "n"]}, hessian=True)
    assert r.verification_passed is False
    failed = [c for c in r.verification["checks"] if not c["passed"]]
    assert failed and all("ValueError" in c["detail"] for c in failed), failed


def test_generated_code_that_does_not_load_is_a_failed_verification(monkeypatch) -> None:
    def broken(source):
        raise SyntaxError("invalid syntax")

    monkeypatch.setattr(run, "load_module", broken)
    r = derive("sum(x)", {"x": ["n"]})
    assert r.verification_passed is False
    assert any("SyntaxError" in c["detail"] for c in r.verification["checks"])


def test_the_exact_check_keeps_its_own_domain_when_the_sampler_narrows(monkeypatch) -> None:
    """Sampler mutants: positive determinants only, or positive inputs everywhere. The exact
    check draws its own points, so the mistakes the narrower sampler hides still fail."""
    from derivations.verify import sampling

    def positive_only(rng, n, negative):
        return original(rng, n, False)

    original = sampling._matrix
    monkeypatch.setattr(sampling, "_matrix", positive_only)

    _plant_logdet_as_log_det(monkeypatch)
    r = derive("logdet(A)", {"A": ["n", "n"]})
    assert r.verification_passed is False
    assert "exact_componentwise" in _failed(r)


def test_abs_step_is_caught_even_with_positive_draws(monkeypatch, fresh_partials) -> None:
    from derivations.verify import sampling

    def everywhere_positive(program):
        d = original(program)
        return sampling.Domain(d.positive | d.nonzero | set(program.inputs), set(), d.conditioned)

    original = sampling.domain_of
    monkeypatch.setattr(sampling, "domain_of", everywhere_positive)
    monkeypatch.setattr(F.eabs, "fdiff", lambda self, argindex=1: F.gt(self.args[0], 0))
    r = derive("sum(abs(x)) / norm2(x)", {"x": ["n"]})
    assert r.verification_passed is False
    assert "exact_componentwise" in _failed(r)
