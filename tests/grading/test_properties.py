"""Property tests over random programs (derandomized): the reference, printed as an expression
or as LaTeX, is judged correct; a planted transpose, sign, scale or dropped factor is
diagnosed as that kind."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from derivations.errors import ChainruleError
from derivations.expr import nodes as N
from derivations.expr import shapes as S
from derivations.grading import check
from derivations.grading.check import as_problem, context, judge_node
from derivations.grading.expression_text import to_text
from derivations.printing.latex import latex
from tests.calculus.test_random_programs import VARIABLES, scalars

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    derandomize=True,
)


def _context(program: str, wrt: str):  # noqa: ANN202
    try:
        return context(as_problem({"program": program, "variables": VARIABLES, "wrt": wrt}))
    except ChainruleError:  # no inputs could be drawn in the program's domain
        assume(False)
        raise


@SETTINGS
@given(scalars(2), st.sampled_from(["x", "W"]))
def test_printed_reference_is_correct(program: str, wrt: str) -> None:
    ctx = _context(program, wrt)
    problem = ctx.problem
    try:
        text = to_text(ctx.ref.node)
    except NotImplementedError:
        text = None
    if text is not None:
        result = check(problem, text)
        assert result.verdict == "correct", (program, text, result.feedback)
    shown = latex(ctx.ref.node)
    result = check(problem, shown, "latex")
    if result.verdict == "invalid":  # a printed form the reader does not take: its own tests
        assume(False)
    assert result.verdict == "correct", (program, shown, result.feedback)


def _plant(kind: str, ref: N.Node) -> N.Node | None:
    if kind == "sign":
        return N.Neg(ref)
    if kind == "scale":
        return N.Mul(N.Const(3), ref)
    if kind == "transpose":
        return None if S.is_scalar(ref.shape) else N.Transpose(ref)
    return None


@SETTINGS
@given(scalars(2), st.sampled_from(["x", "W"]), st.sampled_from(["sign", "scale", "transpose"]))
def test_planted_mistakes_are_diagnosed(program: str, wrt: str, kind: str) -> None:
    ctx = _context(program, wrt)
    planted = _plant(kind, ctx.ref.node)
    assume(planted is not None)
    # A gradient that vanishes at the draws cannot show a sign or a scale.
    assume(not ctx.judge.close(ctx.ref.node, N.Mul(N.Const(2), ctx.ref.node)))
    if kind == "transpose" and S.is_matrix(ctx.ref.node.shape):
        # A symmetric gradient (of a square matrix) is its own transpose: nothing to find.
        assume(not ctx.judge.close(ctx.ref.node, N.Transpose(ctx.ref.node)))
    result = judge_node(ctx, planted)
    expected = "layout" if kind == "transpose" and S.is_vector(ctx.ref.node.shape) else kind
    assert result.verdict == "incorrect", (program, result.feedback)
    assert result.diagnosis[0].kind == expected, (program, result.feedback)


def _dropped(node: N.Node) -> list[N.Node]:
    """The reference with one non-constant factor of one product left out."""
    out = []
    for mul in [n for n in N.walk(node) if isinstance(n, N.Mul)]:
        for i, f in enumerate(mul.children):
            rest = mul.children[:i] + mul.children[i + 1 :]
            if isinstance(f, N.Const) or not S.is_scalar(f.shape) and f.shape != mul.shape:
                continue
            kept = rest[0] if len(rest) == 1 else N.Mul(*rest)
            if kept.shape == mul.shape:
                out.append(N.substitute(node, {mul: kept}))
    return out


PROGRAMS = [
    ("z = W @ v; h = tanh(z); s = x.T @ h", "W"),
    ("z = W @ v; h = sigmoid(z); s = sum(h * x)", "v"),
    ("sum(softplus(W @ v) * x)", "v"),
    ("a * sum(exp(x) * y)", "x"),
    ("sum(sin(x) * cos(y))", "x"),
]


@pytest.mark.parametrize(("program", "wrt"), PROGRAMS)
def test_dropped_factor_is_a_missing_factor(program: str, wrt: str) -> None:
    ctx = _context(program, wrt)
    from derivations.grading.diagnosis import Diagnoser

    full = Diagnoser(ctx.judge, {}).inlined_reference()
    planted = _dropped(full)
    assert planted
    for wrong in planted:
        if ctx.judge.close(wrong, ctx.ref.node):
            continue
        result = judge_node(ctx, wrong)
        assert result.verdict == "incorrect"
        assert result.diagnosis[0].kind == "missing_factor", (program, result.feedback)
