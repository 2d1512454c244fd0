"""Pure-ASGI middlewares: request ids and one JSON log line each, the body cap, cached answers.

Pure ASGI (rather than ``BaseHTTPMiddleware``) keeps the per-request overhead to a few
microseconds, which matters for cached answers, and lets the size cap reject a body while it is
still arriving, before anything tries to parse it as JSON.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .cache import ResponseCache, etag_matches
from .problems import problem_body, render

access_log = logging.getLogger("chainrule.access")

_CLIENT_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")  # applied with fullmatch


class RequestContextMiddleware:
    """Give every request an id (echoed as ``X-Request-ID``) and log it once it has finished.

    Routes add ``worker_ms`` and ``cache`` to ``scope["chainrule"]``; they end up in the line.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = ""
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        rid = incoming if _CLIENT_ID.fullmatch(incoming) else uuid.uuid4().hex
        context: dict[str, Any] = {"request_id": rid}
        scope["chainrule"] = context
        start = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", ()))
                if not any(k == b"x-request-id" for k, _ in headers):
                    headers.append((b"x-request-id", rid.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            fields = {
                "request_id": rid,
                "method": scope.get("method"),
                "path": scope.get("path"),
                "status": status,
                "total_ms": round((time.perf_counter() - start) * 1000, 3),
            }
            for key in ("worker_ms", "check_ms", "cache"):
                if key in context:
                    fields[key] = context[key]
            access_log.info("request", extra={"fields": fields})


_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')


def _values_bound(data: bytes) -> int:
    return data.count(b",") + data.count(b"[") + data.count(b"{")


def json_values_exceed(body: bytes, limit: int) -> bool:
    """Whether a JSON document may hold more than ``limit`` values, decided without parsing it.

    Every value inside an array or object is either its container's first or follows a comma,
    so commas plus opening brackets bound the count from above. That count includes commas in
    strings, so only when it is over the limit are the strings cut out (a C-speed regex) and
    the bytes counted again: program text with many commas is never mistaken for numbers.
    """
    return _values_bound(body) > limit and _values_bound(_JSON_STRING.sub(b"", body)) > limit


@dataclass(frozen=True)
class ValueBudget:
    """How many JSON values a route's body may hold, and the limit to name when it holds more.

    ``allowed`` is the setting itself (e.g. max_trace_numbers); ``bound`` adds the other values
    a valid request may hold (declarations, names), so only an invalid body is refused.
    """

    bound: int
    limit: str
    allowed: int
    what: str
    hint: str


class BodyLimitMiddleware:
    """Read the whole body within a deadline and a size cap, before anything parses it.

    413 for bodies over ``max_bytes`` (by Content-Length, or while counting chunks); 408 with
    ``Connection: close`` when the body has not arrived ``body_timeout`` seconds after the
    headers (a stalled or trickling upload); and a 422 limit problem when a route's body holds
    more JSON values than its ``ValueBudget`` by a byte-level count, so a body of 100 000
    numbers (or of 10 000 declarations) never reaches the JSON parser and the validator on the
    event loop. The body is buffered (it is small by construction) and replayed to the app, so
    the app never sees a partial body and each answer is sent before any response has started.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        body_timeout: float = 10.0,
        budgets: dict[str, ValueBudget] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.body_timeout = body_timeout
        self.budgets = budgets or {}

    async def _reject(self, send: Send, size: int | None) -> None:
        detail = (
            f"the request body is {size} bytes; the limit is {self.max_bytes}"
            if size is not None
            else f"the request body exceeds the limit of {self.max_bytes} bytes"
        )
        await _send_problem(
            send,
            "body_too_large",
            detail,
            hint="send a smaller request or raise CHAINRULE_MAX_BODY_BYTES",
            details={"limit": "max_body_bytes", "value": self.max_bytes},
        )

    async def _read(self, receive: Receive, send: Send) -> bytes | None:
        """The whole body, or None once an answer (413, 408) was sent or the client left."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.body_timeout
        chunks: list[bytes] = []
        size = 0
        while True:
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - loop.time()))
            except TimeoutError:
                await _send_problem(
                    send,
                    "request_timeout",
                    f"the request body did not arrive within {self.body_timeout:g} s",
                    hint="send the whole body at once; CHAINRULE_BODY_TIMEOUT_SECONDS sets the limit",
                    details={"limit": "body_timeout_seconds", "value": self.body_timeout},
                )
                return None
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._reject(send, None)
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _too_many_values(self, budget: ValueBudget, body: bytes, send: Send) -> bool:
        if not json_values_exceed(body, budget.bound):
            return False
        await _send_problem(
            send,
            "limit",
            f"the request holds more than {budget.bound} JSON values (counted before parsing); "
            f"{budget.what} at most {budget.allowed}",
            hint=budget.hint,
            details={"limit": budget.limit, "value": budget.allowed},
            status=422,
            close=False,  # the body was read to its end: the connection can serve the next
        )
        return True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > self.max_bytes:
                    await self._reject(send, declared)
                    return
                break
        body = await self._read(receive, send)
        if body is None:
            return
        budget = self.budgets.get(scope.get("path", ""))
        if budget is not None and await self._too_many_values(budget, body, send):
            return
        context = scope.get("chainrule")
        if isinstance(context, dict):
            context["body"] = body
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _send_problem(
    send: Send, kind: str, detail: str, close: bool = True, **extra: Any
) -> None:
    """Answer with a problem; ``Connection: close`` unless the whole body has been read."""
    response = render(
        problem_body(kind, detail, **extra), {"Connection": "close"} if close else None
    )
    await response({"type": "http"}, _no_receive, send)


async def _no_receive() -> Message:  # pragma: no cover - the problem response never reads
    return {"type": "http.disconnect"}


class CachedAnswerMiddleware:
    """Answer a repeat of an earlier successful request straight from the cache.

    The body is identified by its bytes (with path and content type), so a hit skips routing,
    JSON parsing and validation entirely; that is what makes cached answers cheap. A miss, or a
    body never seen, goes through the app, which records the bytes' canonical key on success.
    """

    PATHS = frozenset({"/v1/derive", "/v1/trace"})

    def __init__(self, app: ASGIApp, cache: ResponseCache, max_age: int) -> None:
        self.app = app
        self.cache = cache
        self.cache_control = f"public, max-age={max_age}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        context = scope.get("chainrule")
        if (
            scope["type"] != "http"
            or scope.get("method") != "POST"
            or scope.get("path") not in self.PATHS
            or not isinstance(context, dict)
            or "body" not in context
        ):
            await self.app(scope, receive, send)
            return
        content_types = []
        if_none_match = None
        for name, value in scope.get("headers", ()):
            if name == b"content-type":
                content_types.append(value)
            elif name == b"if-none-match":
                if_none_match = value.decode("latin-1")
        if len(content_types) > 1:  # ambiguous: let the app decide, as it would uncached
            await self.app(scope, receive, send)
            return
        content_type = content_types[0] if content_types else b""
        digest = self.cache.raw_digest(scope["path"], content_type, context["body"])
        context["raw_digest"] = digest
        found = self.cache.lookup_raw(digest)
        if found is None:
            await self.app(scope, receive, send)
            return
        key, entry = found
        op = scope["path"].rsplit("/", 1)[1]
        etag = self.cache.etag(op, key)
        headers = [(b"etag", etag.encode()), (b"cache-control", self.cache_control)]
        if etag_matches(if_none_match, etag, exists=not entry.error):
            context["cache"] = "not-modified"
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        context["cache"] = "hit"
        headers += [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(entry.body)).encode()),
            (b"x-cache", b"hit"),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": entry.body})
