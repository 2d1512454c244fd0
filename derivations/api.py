"""The entry points the CLI, the catalog and the service call: derive(), trace(), check()."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .calculus.derivation import derive_program
from .calculus.naming import name_repeats
from .errors import ChainruleError
from .expr.introduce import introduce_names
from .expr.recognise import recognise
from .language.elaborate import elaborate
from .limits import DEFAULT_LIMITS, Limits
from .result import DerivationResult, make_result

VariableSpec = Mapping[str, Sequence[str | int] | str | int | None]


def derive(
    program: str,
    variables: VariableSpec,
    wrt: Sequence[str] | str | None = None,
    hessian: bool = False,
    verify: bool = True,
    limits: Limits | None = None,
) -> DerivationResult:
    """Derive gradients (scalar output), Jacobians or partials (array output), and Hessians.

    Every result is verified three ways unless ``verify=False``: finite differences on the
    generated code, the independent NumPy backprop engine, and exact SymPy differentiation of
    each entry at tiny sizes. A result that fails verification is returned, marked failed.
    """
    limits = limits or DEFAULT_LIMITS
    if isinstance(wrt, str):
        wrt = [wrt]
    if wrt is not None and (
        not isinstance(wrt, Sequence) or not all(isinstance(w, str) for w in wrt)
    ):
        raise ChainruleError(
            "not_a_variable",
            f"wrt must be a variable name or a list of names, not {wrt!r}",
            hint='e.g. wrt=["W", "b"]',
        )
    typed = introduce_names(recognise(elaborate(program, variables, limits)))
    if wrt is not None:
        wrt = list(wrt)
        if not wrt:
            raise ChainruleError(
                "not_a_variable", "wrt is empty", hint="omit it to differentiate by every variable"
            )
    derivation = derive_program(typed, wrt, hessian)
    name_repeats(derivation)
    result = make_result(derivation, hessian)
    if verify:
        from .verify.run import verify_result

        result.verification = verify_result(result, variables, limits)
    return result


def trace(
    program: str,
    variables: VariableSpec,
    values: Mapping[str, Any],
    limits: Limits | None = None,
) -> Any:
    """Run the backprop engine forward and backward, returning every node's value and gradient."""
    from .engine.trace import trace as engine_trace

    return engine_trace(program, variables, values, limits=limits or DEFAULT_LIMITS)


def check(
    problem: Any,
    answer: str,
    answer_format: str = "expression",
    limits: Limits | None = None,
) -> Any:
    """Judge a student's answer to a problem (``derivations.grading.Problem`` or its fields).

    Returns a ``CheckResult``: correct, a diagnosed near miss with partial credit, or not
    equivalent; ``.to_dict()`` is what ``POST /v1/check`` answers.
    """
    from .grading.check import check as check_answer

    return check_answer(problem, answer, answer_format, limits)
