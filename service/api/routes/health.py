"""GET /healthz, answered by the event loop alone so it stays fast while every worker is busy."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ...cache import library_version
from ...schemas import Health

router = APIRouter(tags=["health"])

_VERSION = library_version()


@router.get("/healthz", operation_id="healthz", response_model=Health, summary="Liveness")
async def healthz(request: Request) -> JSONResponse:
    pool = getattr(request.app.state, "pool", None)
    stats = (
        pool.stats()
        if pool is not None
        else {"size": 0, "alive": 0, "idle": 0, "busy": 0, "restarts": 0}
    )
    status = "ok" if stats["alive"] > 0 else "starting"
    # A JSONResponse skips FastAPI's re-validation of the return value: /healthz stays cheap.
    return JSONResponse({"status": status, "version": _VERSION, "workers": stats})
