"""check(problem, answer): parse, shape, equivalence, known wrong answers, diagnosis, feedback.

The reference and its draws are built once per problem and cached (``context``); one answer
then costs its parse, its elaboration and its evaluation at the cached draws.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ChainruleError
from ..expr import nodes as N
from ..expr import shapes as S
from ..limits import DEFAULT_LIMITS, Limits
from ..printing.latex import latex
from .answers import elaborate_against
from .diagnosis import DEFAULT_CREDIT, Diagnoser, Diagnosis, same_shape
from .equivalence import EQUAL_TOLERANCE, Comparison, Judge, relative_difference
from .hints import undeclared_hint
from .nonfinite import NonFinite, non_finite
from .problem import KnownWrong, Problem, Reference, build_reference
from .result import CheckResult, feedback_markdown, score_of


@dataclass
class Context:
    ref: Reference
    judge: Judge
    known_wrong: list[tuple[KnownWrong, N.Node]]

    @property
    def problem(self) -> Problem:
        return self.ref.problem


def as_problem(problem: Problem | Mapping[str, Any]) -> Problem:
    """A Problem from itself, its fields, or {"catalog_id": ..., "wrt"?: ...}."""
    if isinstance(problem, Problem):
        return problem
    if not isinstance(problem, Mapping):
        raise ChainruleError("problem", "a problem is a mapping of its fields", hint="see Problem")
    data = dict(problem)
    if "catalog_id" in data:
        entry = data.pop("catalog_id")
        try:
            return Problem.from_catalog(entry, data.pop("wrt", None), **data)
        except ChainruleError as exc:
            if exc.kind != "not_found":
                raise
            # In a problem, an unknown id is a bad problem (422), not a missing resource.
            raise ChainruleError("problem", exc.message, hint=exc.hint) from None
    if "expression" in data and "program" not in data:
        data["program"] = data.pop("expression")
    try:
        return Problem.model_validate(data)
    except Exception as exc:  # pydantic's ValidationError: a bad problem, said plainly
        raise ChainruleError("problem", f"invalid problem: {exc}", hint="see Problem") from None


def build_context(problem: Problem, limits: Limits = DEFAULT_LIMITS) -> Context:
    ref = build_reference(problem, limits)
    judge = Judge(ref)
    known = []
    for rule in problem.known_wrong:
        try:
            node = elaborate_against(
                rule.answer, problem.variables, ref.names, limits, rule.format, ref.expected_shape
            )
        except ChainruleError as exc:
            raise ChainruleError(
                "problem",
                f"known wrong answer {rule.answer!r} is not valid: {exc.message}",
                hint=exc.hint,
            ) from None
        known.append((rule, node))
    return Context(ref, judge, known)


@functools.lru_cache(maxsize=128)
def _cached_context(problem_json: str, limits: Limits) -> Context:
    return build_context(Problem.model_validate_json(problem_json), limits)


def context(problem: Problem, limits: Limits | None = None) -> Context:
    """The problem's reference and draws, cached by the problem and the limits."""
    return _cached_context(problem.model_dump_json(), limits or DEFAULT_LIMITS)


def check(
    problem: Problem | Mapping[str, Any],
    answer: str,
    answer_format: str = "expression",
    limits: Limits | None = None,
) -> CheckResult:
    """Judge one answer: correct, a diagnosed near miss with partial credit, or not equivalent."""
    ctx = context(as_problem(problem), limits)
    return check_in(ctx, answer, answer_format, limits or DEFAULT_LIMITS)


def check_in(ctx: Context, answer: str, answer_format: str, limits: Limits) -> CheckResult:
    ref = ctx.ref
    try:
        node = elaborate_against(
            answer, ref.problem.variables, ref.names, limits, answer_format, ref.expected_shape
        )
    except ChainruleError as exc:
        return invalid(ctx, exc, answer_format)
    return judge_node(ctx, node, answer_format)


def judge_node(ctx: Context, node: N.Node, answer_format: str | None = None) -> CheckResult:
    """The verdict on an elaborated answer (typed, or the NumPy grader's stand-in); the
    format lets the feedback name a missing factor as the student would type it."""
    ref = ctx.ref
    if isinstance(node, N.Const) and ref.expected_shape != node.shape:
        # "0" for a zero gradient, "1" for 𝟏: a number stands for every entry.
        return _judged(ctx, N.Mul(node, N.Ones(ref.expected_shape)), node, answer_format)
    return _judged(ctx, node, node, answer_format)


def _judged(ctx: Context, node: N.Node, shown: N.Node, answer_format: str | None) -> CheckResult:
    ref, judge = ctx.ref, ctx.judge
    comparison = Comparison(False, float("inf"))
    diagnosis: list[Diagnosis] = []
    if same_shape(node.shape, ref.expected_shape):
        comparison = judge.equivalent(node)
    if comparison.equal:
        return _result(ctx, shown, True, 1.0, [], comparison)
    trouble = non_finite(judge, node) if same_shape(node.shape, ref.expected_shape) else None
    if trouble is not None and trouble.overflow:
        return not_evaluable(ctx, shown, trouble, comparison)
    rule = _known_wrong(ctx, node)
    if rule is not None:
        diag = Diagnosis("known_wrong", rule.feedback, rule.credit)
        return _result(ctx, shown, False, rule.credit, [diag], comparison)
    diagnoser = Diagnoser(judge, dict(ctx.problem.credit), typed=answer_format == "expression")
    diagnosis = diagnoser.diagnose(node)
    if not diagnosis:
        diagnosis = [undefined(ctx, trouble) if trouble else not_equivalent(ctx, node, comparison)]
    return _result(ctx, shown, False, score_of(diagnosis), diagnosis, comparison)


def _known_wrong(ctx: Context, node: N.Node) -> KnownWrong | None:
    for rule, wrong in ctx.known_wrong:
        if same_shape(wrong.shape, node.shape) and ctx.judge.close(node, wrong):
            return rule
    return None


def _rounded(value: Any) -> Any:
    arr = np.asarray(value, dtype=float)
    return round(float(arr), 3) if arr.ndim == 0 else np.round(arr, 3).tolist()


def _differing_draw(ctx: Context, node: N.Node) -> int:
    """The first (smallest) draw where the sides differ beyond rounding; else the first."""
    for k, draw in enumerate(ctx.judge.draws):
        err, _ = relative_difference(draw.value(node), draw.value(ctx.ref.node))
        if err > EQUAL_TOLERANCE:
            return k
    return 0


def _entries(ctx: Context, yours: np.ndarray, right: np.ndarray) -> list[dict[str, Any]]:
    """Up to three entries, the most different first."""
    with np.errstate(invalid="ignore"):
        gap = np.where(np.isfinite(yours), np.abs(yours - right), np.inf)
    out = []
    for flat in np.argsort(-gap.reshape(-1), kind="stable")[:3]:
        if gap.reshape(-1)[flat] == 0:
            break
        index = np.unravel_index(int(flat), right.shape)
        if S.is_vector(ctx.ref.expected_shape):
            index = (int(max(index)),)
        y, r = float(yours.reshape(-1)[flat]), float(right.reshape(-1)[flat])
        digits = 6 if abs(y - r) > 1e-5 * max(abs(r), 1e-300) else 15  # show the difference
        out.append(
            {
                "index": [int(i) for i in index],
                "yours": float(f"{y:.{digits}g}") if np.isfinite(y) else None,
                "expected": float(f"{r:.{digits}g}"),
            }
        )
    return out


def not_equivalent(ctx: Context, node: N.Node, comparison: Comparison) -> Diagnosis:
    """One input where the two sides differ, and the entries that differ."""
    ref, judge = ctx.ref, ctx.judge
    exact = comparison.exact
    if comparison.worst <= EQUAL_TOLERANCE and exact and not exact.get("skipped"):
        return _not_exact(ctx, exact)
    draw = judge.draws[_differing_draw(ctx, node)]
    entries = _entries(ctx, draw.value(node), draw.value(ref.node))
    sizes = ", ".join(f"{k} = {v}" for k, v in draw.sizes.items())
    inputs = {k: _rounded(v) for k, v in draw.inputs.items()}
    listed = "; ".join(
        f"entry {tuple(e['index'])} is {e['yours']} in yours and {e['expected']} in the right one"
        for e in entries
    )
    at = ", ".join(f"{k} = {v}" for k, v in inputs.items())
    message = (
        f"Your answer is not equivalent to {_asked(ref)}. "
        + (f"At the sizes {sizes} and the inputs {at}: " if sizes else f"At {at}: ")
        + (listed or "the two sides differ")
        + "."
    )
    return Diagnosis(
        "not_equivalent",
        message,
        ctx.problem.credit.get("not_equivalent", DEFAULT_CREDIT["not_equivalent"]),
        {"sizes": draw.sizes, "inputs": inputs, "entries": entries},
    )


def _where(trouble: NonFinite) -> tuple[str, dict[str, Any]]:
    """ "At the sizes n = 3 and the inputs A = [...]", and the same as details."""
    draw = trouble.draw
    sizes = ", ".join(f"{k} = {v}" for k, v in draw.sizes.items())
    inputs = {k: _rounded(v) for k, v in draw.inputs.items()}
    at = ", ".join(f"{k} = {v}" for k, v in inputs.items())
    text = f"at the sizes {sizes} and the inputs {at}" if sizes else f"at {at}"
    return text, {"sizes": draw.sizes, "inputs": inputs}


def _part(trouble: NonFinite) -> str:
    if trouble.node is None:
        return "your answer"
    try:
        return f"${latex(trouble.node)}$ in your answer"
    except NotImplementedError:  # the NumPy grader's stand-in: the function's whole value
        return "your answer"


def undefined(ctx: Context, trouble: NonFinite) -> Diagnosis:
    """Not finite where the right answer is: say where it breaks, not "None" entries."""
    at, details = _where(trouble)
    message = (
        f"Your answer is not equivalent to {_asked(ctx.ref)}: {at}, {_part(trouble)} "
        f"{trouble.what()}, where {_asked(ctx.ref)} is defined."
    )
    credit = ctx.problem.credit.get("not_equivalent", DEFAULT_CREDIT["not_equivalent"])
    return Diagnosis("not_equivalent", message, credit, {**details, "cause": trouble.cause})


def not_evaluable(
    ctx: Context, shown: N.Node, trouble: NonFinite, comparison: Comparison
) -> CheckResult:
    """An overflow says nothing about correctness: no verdict on the mathematics, and a fix."""
    at, details = _where(trouble)
    message = (
        f"Your answer cannot be evaluated {at}: {_part(trouble)} {trouble.what()}, so it"
        f" cannot be compared with {_asked(ctx.ref)}. This is not a verdict on your"
        " mathematics: simplify the answer so that no part of it is that large (cancel"
        " exp(1000) / exp(1000), for instance) and submit it again."
    )
    diag = Diagnosis("not_evaluable", message, 0.0, {**details, "cause": trouble.cause})
    result = _result(ctx, shown, False, 0.0, [diag], comparison)
    result.verdict = "invalid"
    result.feedback = feedback_markdown(result, _asked(ctx.ref))
    return result


def _not_exact(ctx: Context, exact: dict[str, Any]) -> Diagnosis:
    """Equal in float64 but not exactly: say so, instead of listing entries that print alike."""
    sizes = ", ".join(f"{k} = {v}" for k, v in exact.get("sizes", {}).items())
    gap = exact.get("difference")
    by = f" by a relative {gap:.1e}" if gap else ""
    message = (
        f"Your answer is not equivalent to {_asked(ctx.ref)}, though it agrees to about"
        f" 7 digits: in exact arithmetic (at the sizes {sizes}) the two sides differ{by}."
        " A decimal that only rounds a fraction (0.3333 for 1/3) or a tiny extra term is"
        " enough; write constants exactly, as fractions."
    )
    return Diagnosis(
        "not_equivalent",
        message,
        ctx.problem.credit.get("not_equivalent", DEFAULT_CREDIT["not_equivalent"]),
        {"exact": exact},
    )


def _result(
    ctx: Context,
    node: N.Node,
    correct: bool,
    score: float,
    diagnosis: list[Diagnosis],
    comparison: Comparison,
) -> CheckResult:
    ref = ctx.ref
    try:
        shown = latex(node)
    except NotImplementedError:  # the NumPy grader's stand-in node has no LaTeX
        shown = None
    result = CheckResult(
        correct=correct,
        score=score,
        verdict="correct" if correct else "incorrect",
        diagnosis=diagnosis,
        expected_shape=S.user_shape(ref.expected_shape),
        answer_shape=S.user_shape(node.shape),
        answer_latex=shown,
        evidence=ctx.judge.evidence(comparison),
        feedback="",
        reference_latex=latex(ref.node) if ctx.problem.reveal_reference else None,
    )
    result.feedback = feedback_markdown(result, _asked(ref))
    return result


def _asked(ref: Reference) -> str:
    return f"∂{ref.symbol}/∂{ref.problem.wrt}"


def invalid(ctx: Context, exc: ChainruleError, answer_format: str = "expression") -> CheckResult:
    """A typo or an ill-shaped answer: feedback with the position and a hint, not an error."""
    ref = ctx.ref
    kind = "syntax" if exc.kind.startswith("syntax") else exc.kind
    hint = exc.hint
    if exc.kind == "undeclared_name":
        name = str(exc.details.get("name", ""))
        hint = undeclared_hint(ref, name, answer_format)
    details: dict[str, Any] = {}
    if exc.position:
        details["position"] = exc.position
    if hint:
        details["hint"] = hint
    if exc.excerpt():
        details["excerpt"] = exc.excerpt()
    where = f"line {exc.line}, column {exc.column}: " if exc.position else ""
    diag = Diagnosis(kind, where + exc.message, 0.0, details)
    result = CheckResult(
        correct=False,
        score=0.0,
        verdict="invalid",
        diagnosis=[diag],
        expected_shape=S.user_shape(ref.expected_shape),
        answer_shape=None,
        answer_latex=None,
        evidence={},
        feedback="",
    )
    result.feedback = feedback_markdown(result, _asked(ref))
    return result
