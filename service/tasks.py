"""What runs inside a worker process: call the library and serialise its answer.

Serialising to JSON here, in the worker, keeps the event loop free of the (sometimes large)
encoding work and lets the server cache and send the exact bytes. NaN and infinity are not JSON:
a derivation's verification error that is not finite becomes ``null``; a trace whose numbers
overflow is the user's input going out of range and is answered as a ``value`` error.
"""

from __future__ import annotations

import json
import math
from typing import Any

from derivations.errors import ChainruleError
from derivations.limits import Limits

with_library = True
try:  # the forkserver preloads this module; importing the library here warms every worker
    import derivations.api as _api
except ImportError:  # pragma: no cover - only while the library is being written
    with_library = False


def _finite_or_none(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite_or_none(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite_or_none(v) for v in value]
    return value


def _dumps(result: dict[str, Any]) -> bytes:
    return json.dumps(result, allow_nan=False, separators=(",", ":")).encode()


def derive(payload: dict[str, Any], limits: Limits) -> bytes:
    result = _api.derive(
        payload["expression"],
        payload["variables"],
        wrt=payload.get("wrt"),
        hessian=bool(payload.get("hessian", False)),
        verify=bool(payload.get("verify", True)),
        limits=limits,
    ).to_dict()
    try:
        return _dumps(result)
    except ValueError:  # a non-finite verification error: report it as unknown, not as NaN
        return _dumps(_finite_or_none(result))


def trace(payload: dict[str, Any], limits: Limits) -> bytes:
    result = _api.trace(
        payload["expression"], payload["variables"], payload["values"], limits=limits
    ).to_dict()
    try:
        return _dumps(result)
    except ValueError:
        raise ChainruleError(
            "value",
            "the trace produced a number that is not finite (an overflow or NaN)",
            hint="use smaller input values, e.g. exp overflows above about 709",
        ) from None


def catalog_entry(payload: dict[str, Any], limits: Limits) -> bytes:
    from derivations.catalog import get_entry

    result = get_entry(payload["id"])
    try:
        return _dumps(result)
    except ValueError:
        return _dumps(_finite_or_none(result))


def page(payload: dict[str, Any], limits: Limits) -> bytes:
    """A documentation page that derives (an entry, the op reference, the Cookbook)."""
    from derivations.site.builder import render_page

    from .problems import KINDS

    return render_page(payload["key"], KINDS).encode()


def check(payload: dict[str, Any], limits: Limits) -> bytes:
    from derivations.grading.check import check as check_answer
    from service.grading_schemas import CheckRequest, problem_payload

    body = CheckRequest.model_validate(payload)
    result = check_answer(problem_payload(body.problem), body.answer, body.answer_format, limits)
    return _dumps(_finite_or_none(result.to_dict()))


def check_batch(payload: dict[str, Any], limits: Limits) -> bytes:
    from derivations.grading.check import as_problem, check_in, context
    from service.grading_schemas import CheckBatchRequest, problem_payload

    body = CheckBatchRequest.model_validate(payload)
    ctx = context(as_problem(problem_payload(body.problem)), limits)
    results = []
    for item in body.answers:
        out = check_in(ctx, item.answer, item.answer_format, limits).to_dict()
        if item.id is not None:
            out["id"] = item.id
        results.append(out)
    return _dumps(_finite_or_none({"results": results}))


OPS = {
    "derive": derive,
    "trace": trace,
    "catalog_entry": catalog_entry,
    "check": check,
    "check_batch": check_batch,
    "page": page,
}


def run(op: str, payload: dict[str, Any], limits: Limits) -> bytes:
    """The worker's entry point (see ``service.workers.DEFAULT_HANDLER``)."""
    return OPS[op](payload, limits)


def precheck(op: str, payload: dict[str, Any], limits: Limits) -> None:
    """The cheap part of a request, run in the server before it may wait for a worker.

    Parsing, declarations, shapes and the limits (and, for a trace, the values' shapes) cost
    milliseconds and are exactly what the worker would check first, with the same ``Limits``:
    an invalid request raises the same ChainruleError here and never occupies a worker.
    """
    if not with_library or op not in ("derive", "trace"):
        return
    from derivations.language.elaborate import elaborate

    program = elaborate(payload["expression"], payload["variables"], limits)
    if op == "trace":
        from derivations.engine.values import coerce_values

        coerce_values(program.inputs, payload["values"], limits)


def warm_up() -> None:
    """Exercise the parser, SymPy and the printers once so the first request is not slow."""
    if with_library:
        variables = {"W": ["n", "m"], "x": ["m"], "b": ["n"], "u": ["n"]}
        _api.derive("z = W @ x + b; h = tanh(z); s = u.T @ h", variables, verify=True)
