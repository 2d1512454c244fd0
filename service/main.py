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
from .api.routes import catalog, check, derive, docs, health, pages, site, trace
from .cache import FailureMemory, ResponseCache, library_version
from .fairness import ClientLimiter, Prechecker, load_check
from .middleware import (
    BodyLimitMiddleware,
    CachedAnswerMiddleware,
    RequestContextMiddleware,
    ValueBudget,
)
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


def value_budgets(settings: Settings) -> dict[str, ValueBudget]:
    """JSON values a valid body may hold, per route; counted before parsing (middleware.py).

    A declaration is a name and at most two dimensions, and ``wrt`` lists names, so a valid
    derive request holds a few values per variable; 8 per variable (and 64) leaves room for the
    invalid-but-instructive (a 2000-dimension shape still gets its declaration error).
    """
    declarations = 8 * settings.max_variables + 64
    return {
        "/v1/derive": ValueBudget(
            declarations,
            "max_variables",
            settings.max_variables,
            "a program declares",
            "declare only the variables the program uses (CHAINRULE_MAX_VARIABLES)",
        ),
        "/v1/trace": ValueBudget(
            settings.max_trace_numbers + declarations,
            "max_trace_numbers",
            settings.max_trace_numbers,
            "trace values hold",
            "trace with smaller dimensions or raise CHAINRULE_MAX_TRACE_NUMBERS",
        ),
    }


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
        app.state.prechecker = Prechecker(
            load_check(handler), settings.limits(), settings.precheck_seconds
        )
        try:
            yield
        finally:
            app.state.prechecker.close()
            app.state.prechecker = Prechecker(None, settings.limits(), 0)
            await pool.close()
            app.state.pool = None

    app = FastAPI(
        title="chainrule",
        version=library_version(),
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served offline by routes.docs
        redoc_url=None,
        # Starlette's trailing-slash redirect builds an absolute URL from the Host header;
        # problems.py answers with a relative one instead.
        redirect_slashes=False,
    )
    app.state.settings = settings
    app.state.cache = ResponseCache(settings.cache_size)
    app.state.pool = None
    app.state.failures = FailureMemory(settings.failure_cache_size, settings.failure_cache_seconds)
    app.state.limiter = ClientLimiter(settings.per_client())
    app.state.prechecker = Prechecker(None, settings.limits(), 0)
    for module in (derive, trace, catalog, check, health, pages, site):
        app.include_router(module.router)
    docs.install(app)
    install(app)
    app.add_middleware(
        CachedAnswerMiddleware, cache=app.state.cache, max_age=settings.cache_max_age
    )
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        body_timeout=settings.body_timeout_seconds,
        budgets=value_budgets(settings),
    )
    app.add_middleware(RequestContextMiddleware)  # outermost: sees the 413s too
    app.openapi = lambda: _problem_openapi(app)  # type: ignore[method-assign]
    return app


app = create_app()
