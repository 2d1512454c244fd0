"""POST /v1/trace: forward and backward passes with every node's value and gradient."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ...deps import CacheDep, PoolDep, SettingsDep
from ...problems import Problem
from ...schemas import TraceRequest, TraceResponse
from ._compute import PROBLEM_RESPONSES, compute

router = APIRouter(tags=["derivations"])


def _count_numbers(value: object) -> int:
    if isinstance(value, list):
        return sum(_count_numbers(v) for v in value)
    return 1


@router.post(
    "/v1/trace",
    operation_id="trace",
    response_model=TraceResponse,
    responses=PROBLEM_RESPONSES,
    summary="Run backpropagation on concrete values",
)
async def trace(
    body: TraceRequest, request: Request, pool: PoolDep, cache: CacheDep, settings: SettingsDep
) -> Response:
    """Evaluate the program at ``values`` and backpropagate, showing every node of the graph."""
    total = sum(_count_numbers(v) for v in body.values.values())
    if total > settings.max_trace_numbers:
        raise Problem(
            "limit",
            f"values holds {total} numbers; the limit is {settings.max_trace_numbers}",
            hint="trace with smaller dimensions or raise CHAINRULE_MAX_TRACE_NUMBERS",
            details={"limit": "max_trace_numbers", "value": settings.max_trace_numbers},
        )
    return await compute("trace", body, request, pool, cache, settings)
