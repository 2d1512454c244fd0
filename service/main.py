"""The FastAPI application: ``create_app(settings)`` wires routes, errors, limits and workers.

The worker pool starts in the lifespan (so tests drive it with ``with TestClient(app)``), and is
pre-warmed before the first request is accepted. The OpenAPI document is post-processed so that
error responses are declared as ``application/problem+json`` with the problem schema, which is
what the service actually sends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from . import logging as json_logging
from .api.routes import catalog, check, derive, health, pages, site, trace
from .cache import ResponseCache, library_version
from .middleware import BodyLimitMiddleware, CachedAnswerMiddleware, RequestContextMiddleware
from .problems import MEDIA_TYPE, install
from .schemas import ProblemDetails
from .settings import Settings
from .workers import DEFAULT_HANDLER, WorkerPool

DESCRIPTION = """Symbolic matrix-calculus derivations (Stanford CS224N lecture 4).

Errors are RFC 9457 problems (`application/problem+json`) whose `type` is a relative URI,
`/problems/<kind>`; 422 covers invalid input, library limits and the time limit, 413 an
oversized body, 404 an unknown catalog id, 503 a saturated worker pool.
"""

_PROBLEM_REF = {"$ref": "#/components/schemas/ProblemDetails"}


def _problem_openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, with every 4xx/5xx answer declared as a problem+json body."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["ProblemDetails"] = ProblemDetails.model_json_schema(
        ref_template="#/components/schemas/{model}"
    )
    for name, sub in components["ProblemDetails"].pop("$defs", {}).items():
        components.setdefault(name, sub)
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.get("responses", {})
            responses.setdefault(
                "500", {"description": "A bug: an opaque problem with the request id"}
            )
            if "requestBody" in operation or operation.get("parameters"):
                responses.setdefault("422", {"description": "The request fails validation"})
            if "requestBody" in operation:
                responses.setdefault("413", {"description": "The body exceeds the size limit"})
            for code, response in responses.items():
                if code.isdigit() and int(code) >= 400:
                    response["content"] = {MEDIA_TYPE: {"schema": _PROBLEM_REF}}
                elif code == "304":
                    response.pop("content", None)
    app.openapi_schema = schema
    return schema


def create_app(settings: Settings | None = None, *, handler: str = DEFAULT_HANDLER) -> FastAPI:
    """Build the app; ``handler`` names the function workers run (tests substitute their own)."""
    settings = settings or Settings()
    json_logging.configure(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = WorkerPool(
            settings.workers,
            settings.limits(),
            time_limit=settings.time_limit_seconds,
            queue_timeout=settings.queue_timeout_seconds,
            memory_mb=settings.worker_memory_mb,
            startup_timeout=settings.startup_timeout_seconds,
            handler=handler,
        )
        await pool.start()
        app.state.pool = pool
        try:
            yield
        finally:
            await pool.close()
            app.state.pool = None

    app = FastAPI(
        title="chainrule",
        version=library_version(),
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.cache = ResponseCache(settings.cache_size)
    app.state.pool = None
    for module in (derive, trace, catalog, check, health, pages, site):
        app.include_router(module.router)
    install(app)
    app.add_middleware(
        CachedAnswerMiddleware, cache=app.state.cache, max_age=settings.cache_max_age
    )
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContextMiddleware)  # outermost: sees the 413s too
    app.openapi = lambda: _problem_openapi(app)  # type: ignore[method-assign]
    return app


app = create_app()
