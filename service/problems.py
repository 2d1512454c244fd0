"""Every error as an RFC 9457 problem (``application/problem+json``).

Problem types are relative URIs, ``/problems/<kind>`` with dashes (``/problems/shape-mismatch``),
resolved against the service's own address, where ``GET /problems/<kind>`` describes them. The
library's ``ChainruleError.kind`` picks the type; its position, hint, excerpt and details are
copied as extension members so that clients can underline the offending column.

Status codes: 422 for anything wrong with well-formed input (syntax, shapes, declarations, a
library limit, a request that fails validation, and the time limit: the request is understood
but this derivation costs more than the server allows), 404 for an unknown catalog id or route,
413 for a body over the size limit (rejected before JSON parsing), 503 when no worker becomes
free in time (the client may retry), and 500 only for a bug, revealing nothing but the request id.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match

from derivations.errors import ChainruleError

from .schemas import FORM_TAGS

log = logging.getLogger("chainrule.service")

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "/problems/"

# kind -> (status, title, what it means: shown on /problems/<kind>)
KINDS: dict[str, tuple[int, str, str]] = {
    "syntax": (422, "Syntax error", "The program text does not parse."),
    "undeclared_name": (422, "Undeclared name", "The program uses a name it neither declares nor assigns."),
    "unknown_function": (422, "Unknown function", "The program calls a function chainrule does not know."),
    "shape_mismatch": (422, "Shape mismatch", "An operator's operands have incompatible shapes."),
    "arity": (422, "Wrong number of arguments", "A function is called with too many or too few arguments."),
    "not_a_variable": (422, "Not a variable", "A name used as a variable (e.g. in wrt) is not one."),
    "declaration": (422, "Invalid declaration", "A variable declaration or assignment is invalid."),
    "limit": (422, "Limit exceeded", "The input exceeds one of the configured bounds."),
    "value": (422, "Invalid value", "A numeric value is missing, malformed or out of range."),
    "problem": (422, "Invalid problem", "A homework problem cannot be checked as stated (its kind, names, definitions or domain)."),
    "unsupported_format": (422, "Unsupported answer format", "The answer format is not one the service reads (expression or latex)."),
    "not_found": (404, "Not found", "The requested resource does not exist."),
    "validation": (422, "Invalid request", "The request body does not match the schema."),
    "time_limit": (422, "Time limit exceeded", "The derivation ran longer than the time limit; its worker was stopped."),
    "body_too_large": (413, "Request body too large", "The request body exceeds the size limit."),
    "method_not_allowed": (405, "Method not allowed", "The route does not accept this HTTP method."),
    "busy": (503, "Server busy", "No worker became free in time; retry later."),
    "too_many_requests": (429, "Too many requests", "This client already has as many uncached requests in progress as it may; retry when one has been answered."),
    "request_timeout": (408, "Request timeout", "The request's headers or body did not arrive within the time allowed; the connection was closed."),
    "http": (400, "Bad request", "The HTTP request could not be processed."),
    "internal": (500, "Internal server error", "A bug in chainrule; quote the request id when reporting it."),
}  # fmt: skip


def type_uri(kind: str) -> str:
    return TYPE_PREFIX + kind.replace("_", "-")


class Problem(Exception):
    """A service-level failure (not a library one) that becomes a problem response."""

    def __init__(self, kind: str, detail: str, status: int | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.status = status if status is not None else KINDS.get(kind, (400,))[0]
        self.extra = {k: v for k, v in extra.items() if v is not None}


def problem_body(kind: str, detail: str, status: int | None = None, **extra: Any) -> dict[str, Any]:
    code, title, _ = KINDS.get(kind, (status or 422, kind.replace("_", " ").capitalize(), ""))
    body: dict[str, Any] = {
        "type": type_uri(kind),
        "title": title,
        "status": status if status is not None else code,
        "detail": detail,
        "kind": kind,
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


def render(body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, default=str).encode(),
        status_code=body["status"],
        media_type=MEDIA_TYPE,
        headers=headers,
    )


def problem_response(kind: str, detail: str, status: int | None = None, **extra: Any) -> Response:
    headers = extra.pop("headers", None)
    return render(problem_body(kind, detail, status, **extra), headers)


def chainrule_problem(exc: ChainruleError) -> dict[str, Any]:
    """The library error as a problem; every ChainruleError kind maps to a 4xx."""
    data = exc.to_dict()
    status = KINDS[exc.kind][0] if exc.kind in KINDS else 422
    return problem_body(
        exc.kind,
        exc.message,
        status,
        position=data.get("position"),
        hint=data.get("hint"),
        excerpt=data.get("excerpt"),
        details=data.get("details"),
    )


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for error in exc.errors():
        loc = [str(part) for part in error.get("loc", ()) if part not in FORM_TAGS]
        field = ".".join(loc[1:] if loc[:1] == ["body"] else loc)
        out.append(
            {
                "field": field,
                "message": str(error.get("msg", "")),
                "type": str(error.get("type", "")),
            }
        )
    return out


def request_id(request: Request) -> str | None:
    context = request.scope.get("chainrule")
    return context.get("request_id") if isinstance(context, dict) else None


async def _on_chainrule_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ChainruleError)
    return render(chainrule_problem(exc))


async def _on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    headers = exc.extra.pop("headers", None)
    return render(problem_body(exc.kind, exc.detail, exc.status, **exc.extra), headers)


async def _on_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = _field_errors(exc)
    if any(e["type"] == "json_invalid" for e in errors):
        detail = "the request body is not valid JSON"
        hint = "send a JSON object with Content-Type: application/json"
    else:
        first = errors[0] if errors else {"field": "body", "message": "invalid"}
        where = first["field"] or "body"
        detail = f"invalid request: {where}: {first['message']}"
        hint = "see the request schema at /docs"
    return render(problem_body("validation", detail, hint=hint, errors=errors))


def _slash_redirect(request: Request) -> Response | None:
    """307 to the path without its trailing slash, when that path is a route.

    Starlette's own redirect (turned off in main.py) writes an absolute URL built from the Host
    header, which a client controls. This one is a path only, relative to whatever address the
    client used, and never starts with ``//`` (which a browser would read as another host).
    """
    raw: bytes = request.scope.get("raw_path") or request.url.path.encode()
    if request.scope.get("root_path"):
        return None
    target = raw.rstrip(b"/")
    if not raw.endswith(b"/") or not target.startswith(b"/") or target[:2] in (b"//", b"/\\"):
        return None
    scope = {**request.scope, "path": request.url.path.rstrip("/"), "raw_path": target}
    if not any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes):
        return None
    query = request.scope.get("query_string", b"")
    location = (target + (b"?" + query if query else b"")).decode("latin-1")
    return Response(status_code=307, headers={"Location": location})


async def _on_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404 and (redirect := _slash_redirect(request)) is not None:
        return redirect
    if exc.status_code == 400:  # FastAPI's "error parsing the body" (e.g. not UTF-8): invalid input
        return render(
            problem_body(
                "validation",
                "the request body could not be parsed as JSON",
                hint="send UTF-8 JSON with Content-Type: application/json",
            )
        )
    kind = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}.get(
        exc.status_code, "http"
    )
    detail = exc.detail if isinstance(exc.detail, str) else "the request could not be processed"
    if exc.status_code == 404:
        detail = f"no such resource: {request.url.path}"
    return render(problem_body(kind, detail, exc.status_code), dict(exc.headers or {}) or None)


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    rid = request_id(request)
    log.error(
        "unhandled exception",
        exc_info=exc,
        extra={"fields": {"request_id": rid, "path": request.url.path}},
    )
    body = problem_body("internal", "an internal error occurred", request_id=rid)
    return render(body, {"X-Request-ID": rid} if rid else None)


def install(app: FastAPI) -> None:
    """Register the handlers that turn every exception into a problem response."""
    app.add_exception_handler(ChainruleError, _on_chainrule_error)
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(Exception, _on_unexpected)
