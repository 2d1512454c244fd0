"""POST /v1/derive: gradients, Jacobians and Hessians with steps, code and verification."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ...deps import CacheDep, PoolDep, SettingsDep
from ...schemas import DeriveRequest, DeriveResponse
from ._compute import PROBLEM_RESPONSES, compute

router = APIRouter(tags=["derivations"])


@router.post(
    "/v1/derive",
    operation_id="derive",
    response_model=DeriveResponse,
    responses=PROBLEM_RESPONSES,
    summary="Derive a program's derivatives",
)
async def derive(
    body: DeriveRequest, request: Request, pool: PoolDep, cache: CacheDep, settings: SettingsDep
) -> Response:
    """Differentiate the program's output by each variable (or those in ``wrt``).

    The answer holds the matrix-form result in LaTeX, the index form, the chain-rule steps, a
    NumPy module computing value and gradients, and the verification report. Identical requests
    are answered from a cache and carry an ``ETag``.
    """
    return await compute("derive", body, request, pool, cache, settings)
