"""The shared path of /v1/derive and /v1/trace: cache, ETag, worker, problem.

Both routes are pure functions of the validated request, so they share the same steps: the
canonical JSON of the request is the cache key and (hashed with the library version) the ETag;
an ``If-None-Match`` hit costs nothing; otherwise the work goes to a worker process and its
answer (or its ChainruleError) is cached.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request, Response
from pydantic import BaseModel

from derivations.errors import ChainruleError

from ...cache import Entry, ResponseCache, etag_matches
from ...problems import Problem
from ...settings import Settings
from ...workers import PoolBusy, WorkerCrashed, WorkerPool, WorkerTimeout

PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not Modified: If-None-Match matched the ETag"},
    413: {"description": "The body exceeds the size limit"},
    422: {"description": "Invalid request, a library error (syntax, shape...), or the time limit"},
    503: {"description": "No worker became free in time"},
}


def _context(request: Request) -> dict[str, Any]:
    context = request.scope.get("chainrule")
    return context if isinstance(context, dict) else {}


def _success(body: bytes, etag: str, settings: Settings, cache_state: str) -> Response:
    return Response(
        body,
        media_type="application/json",
        headers={
            "ETag": etag,
            "Cache-Control": f"public, max-age={settings.cache_max_age}",
            "X-Cache": cache_state,
        },
    )


async def compute(
    op: str,
    body: BaseModel | dict[str, Any],
    request: Request,
    pool: WorkerPool,
    cache: ResponseCache,
    settings: Settings,
) -> Response:
    """Answer ``op`` for ``body`` from the cache, or from a worker within the time limit."""
    if isinstance(body, BaseModel):
        key, payload = body.model_dump_json(), body.model_dump()
    else:
        key, payload = json.dumps(body, separators=(",", ":")), body
    etag = cache.etag(op, key)
    context = _context(request)
    entry = cache.get(key)
    exists = entry is not None and not entry.error
    if etag_matches(request.headers.get("if-none-match"), etag, exists):
        context["cache"] = "not-modified"
        return Response(
            status_code=304,
            headers={"ETag": etag, "Cache-Control": f"public, max-age={settings.cache_max_age}"},
        )
    if entry is not None:
        context["cache"] = "hit"
        if entry.error:
            raise ChainruleError(**entry.error)
        if "raw_digest" in context:
            cache.remember_raw(context["raw_digest"], key)
        return _success(entry.body, etag, settings, "hit")
    context["cache"] = "miss"
    try:
        outcome = await pool.run(op, payload)
    except WorkerTimeout as exc:
        raise Problem(
            "time_limit",
            f"the request took longer than the time limit of {exc.seconds:g} s and was stopped",
            hint="simplify the program, send verify=false, or raise CHAINRULE_TIME_LIMIT_SECONDS",
            details={"limit": "time_limit_seconds", "value": exc.seconds},
        ) from None
    except PoolBusy as exc:
        raise Problem(
            "busy",
            f"no worker became free within {exc.seconds:g} s",
            hint="retry later",
            headers={"Retry-After": "1"},
        ) from None
    except WorkerCrashed:
        raise  # logged with its traceback and answered as an opaque 500
    context["worker_ms"] = round(outcome.worker_seconds * 1000, 3)
    if outcome.status == "error":
        cache.put(key, Entry(error=outcome.error))
        outcome.raise_error()
    cache.put(key, Entry(body=outcome.body))
    if "raw_digest" in context:
        cache.remember_raw(context["raw_digest"], key)
    return _success(outcome.body, etag, settings, "miss")


async def compute_page(key: str, pool: WorkerPool) -> bytes:
    """A documentation page rendered by a worker (it derives), under the same time limit."""
    try:
        outcome = await pool.run("page", {"key": key})
    except WorkerTimeout as exc:
        raise Problem(
            "time_limit",
            f"rendering /{key} took longer than the time limit of {exc.seconds:g} s",
            hint="retry: the page is kept once built; or build the static site with chainrule docs build",
        ) from None
    except PoolBusy as exc:
        raise Problem(
            "busy",
            f"no worker became free within {exc.seconds:g} s",
            hint="retry later",
            headers={"Retry-After": "1"},
        ) from None
    outcome.raise_error()
    return outcome.body
