"""The shared path of /v1/derive and /v1/trace: cache, ETag, worker, problem.

Both routes are pure functions of the validated request, so they share the same steps: the
canonical JSON of the request is the cache key and (hashed with the library version) the ETag;
an ``If-None-Match`` hit costs nothing; otherwise the work goes to a worker process and its
answer (or its ChainruleError) is cached.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request, Response
from pydantic import BaseModel

from derivations.errors import ChainruleError

from ...cache import Entry, Failure, FailureMemory, ResponseCache, etag_matches
from ...fairness import ClientLimiter, Prechecker
from ...problems import Problem
from ...settings import Settings
from ...workers import (
    Outcome,
    PoolBusy,
    PoolError,
    WorkerCrashed,
    WorkerPool,
    WorkerTimeout,
    error_fields,
)

PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not Modified: If-None-Match matched the ETag"},
    413: {"description": "The body exceeds the size limit"},
    408: {"description": "The body did not arrive within the body timeout"},
    422: {"description": "Invalid request, a library error (syntax, shape...), or the time limit"},
    429: {"description": "This client has as many uncached requests in progress as it may"},
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


def _client(request: Request) -> str:
    """The client's identity for the per-client cap: its remote address (see README)."""
    return request.client.host if request.client is not None else "unknown"


def _remembered(failure: Failure) -> Exception:
    """The problem for a request whose identical twin already cost a worker its life."""
    ago = max(0.0, time.monotonic() - failure.at)
    if failure.kind == "time_limit":
        return Problem(
            "time_limit",
            f"an identical request ran into the time limit of {failure.seconds:g} s "
            f"{ago:.0f} s ago; this is that remembered outcome, not a new run",
            hint="simplify the program, send verify=false, or raise CHAINRULE_TIME_LIMIT_SECONDS",
            details={
                "limit": "time_limit_seconds",
                "value": failure.seconds,
                "remembered": True,
                "age_seconds": round(ago, 1),
            },
        )
    return WorkerCrashed(f"remembered crash of an identical request {ago:.0f} s ago")


async def _await_replacement(exc: PoolError, settings: Settings) -> None:
    """Wait (holding the client's slot) until the worker this request cost has been replaced."""
    if exc.replacement is not None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(
                asyncio.shield(exc.replacement), settings.startup_timeout_seconds
            )


async def _on_worker(
    pool: WorkerPool,
    op: str,
    payload: dict[str, Any],
    timed_out: Callable[[WorkerTimeout], Problem],
    before_wait: Callable[[], Awaitable[None]] | None = None,
    lost: Callable[[PoolError, Failure], Awaitable[None]] | None = None,
) -> Outcome:
    """``op`` on a worker, with the pool's failures as problems: a time-out as ``timed_out``
    says, no free worker as 503 busy, a crash re-raised (an opaque 500). ``lost`` hears of a
    time-out or crash that cost a worker."""
    try:
        return await pool.run(op, payload, before_wait=before_wait)
    except WorkerTimeout as exc:
        if lost is not None:
            await lost(exc, Failure("time_limit", time.monotonic(), exc.seconds))
        raise timed_out(exc) from None
    except PoolBusy as exc:
        raise Problem(
            "busy",
            f"no worker became free within {exc.seconds:g} s",
            hint="retry later",
            headers={"Retry-After": "1"},
        ) from None
    except WorkerCrashed as exc:
        if lost is not None:
            await lost(exc, Failure("crash", time.monotonic()))
        raise  # logged with its traceback and answered as an opaque 500


async def _run(
    op: str,
    payload: dict[str, Any],
    pool: WorkerPool,
    key: str,
    request: Request,
    check: Callable[[], Awaitable[None]],
) -> Outcome:
    failures: FailureMemory = request.app.state.failures
    settings: Settings = request.app.state.settings

    async def lost(exc: PoolError, failure: Failure) -> None:
        failures.put(op, key, failure)  # an identical request is answered from memory
        await _await_replacement(exc, settings)

    def timed_out(exc: WorkerTimeout) -> Problem:
        return Problem(
            "time_limit",
            f"the request took longer than the time limit of {exc.seconds:g} s and was stopped",
            hint="simplify the program, send verify=false, or raise CHAINRULE_TIME_LIMIT_SECONDS",
            details={"limit": "time_limit_seconds", "value": exc.seconds},
        )

    return await _on_worker(pool, op, payload, timed_out, before_wait=check, lost=lost)


def _without_work(
    op: str, key: str, etag: str, request: Request, cache: ResponseCache, settings: Settings
) -> Response | None:
    """The answer that costs nothing: 304 on a matching ETag, a cached answer (or its error),
    a remembered time-out or crash; None when a worker has to compute it."""
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
    failure = request.app.state.failures.get(op, key)
    if failure is not None:
        context["cache"] = "remembered"
        raise _remembered(failure)
    return None


async def compute(
    op: str,
    body: BaseModel | dict[str, Any],
    request: Request,
    pool: WorkerPool,
    cache: ResponseCache,
    settings: Settings,
) -> Response:
    """Answer ``op`` for ``body`` from the cache, or from a worker within the time limit.

    Uncached work holds one of the client's slots (429 beyond its cap) while it runs on a
    worker; when no worker is free it is first checked in process, so an invalid request never
    waits in the queue. Time-limit
    and crash outcomes are remembered like answers, so repeating them costs no worker time.
    """
    if isinstance(body, BaseModel):
        key, payload = body.model_dump_json(), body.model_dump()
    else:
        key, payload = json.dumps(body, separators=(",", ":")), body
    etag = cache.etag(op, key)
    context = _context(request)
    known = _without_work(op, key, etag, request, cache, settings)
    if known is not None:
        return known
    context["cache"] = "miss"
    limiter: ClientLimiter = request.app.state.limiter
    prechecker: Prechecker = request.app.state.prechecker

    async def check() -> None:  # only when the request would wait for a worker
        start = time.perf_counter()
        try:
            await prechecker.run(op, payload)
        except ChainruleError as exc:
            cache.put(key, Entry(error=error_fields(exc)))
            context["cache"] = "precheck"
            raise
        finally:
            context["check_ms"] = round((time.perf_counter() - start) * 1000, 3)

    with limiter.slot(_client(request)):
        outcome = await _run(op, payload, pool, key, request, check)
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

    def timed_out(exc: WorkerTimeout) -> Problem:
        return Problem(
            "time_limit",
            f"rendering /{key} took longer than the time limit of {exc.seconds:g} s",
            hint="retry: the page is kept once built; or build the static site with chainrule docs build",
        )

    outcome = await _on_worker(pool, "page", {"key": key}, timed_out)
    outcome.raise_error()
    return outcome.body
