"""POST /v1/check and /v1/check/batch: judge students' answers against the derived reference.

Checking is library work (SymPy, NumPy), so it runs on the worker pool with the same time
limit, cache and ETag as /v1/derive. Inside a worker the problem's reference and draws are
cached, so a batch (and every later request for the same problem) derives it once.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ...deps import CacheDep, PoolDep, SettingsDep
from ...grading_schemas import CheckBatchRequest, CheckBatchResponse, CheckRequest, CheckResponse
from ._compute import PROBLEM_RESPONSES, compute

router = APIRouter(tags=["grading"])


@router.post(
    "/v1/check",
    operation_id="check",
    response_model=CheckResponse,
    responses=PROBLEM_RESPONSES,
    summary="Check a student's answer",
)
async def check(
    body: CheckRequest, request: Request, pool: PoolDep, cache: CacheDep, settings: SettingsDep
) -> Response:
    """Judge one answer: ``correct``, a diagnosed near miss with partial credit, or not
    equivalent (with an input where it differs). An unreadable answer is a 200 with verdict
    ``invalid`` and its position; an invalid problem is a 422 problem."""
    return await compute("check", body, request, pool, cache, settings)


@router.post(
    "/v1/check/batch",
    operation_id="check_batch",
    response_model=CheckBatchResponse,
    responses=PROBLEM_RESPONSES,
    summary="Check many answers to one problem",
)
async def check_batch(
    body: CheckBatchRequest,
    request: Request,
    pool: PoolDep,
    cache: CacheDep,
    settings: SettingsDep,
) -> Response:
    """Judge a whole class's answers to one problem; the reference is derived once."""
    return await compute("check_batch", body, request, pool, cache, settings)
