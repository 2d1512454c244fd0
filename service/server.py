"""Running the app under uvicorn: the HTTP protocol, the start-up line and the header timeout.

uvicorn answers a request it cannot parse (a malformed ``Content-Length``, a bad request line)
itself, before the app exists for that request, with a plain-text 400; and it never times out a
connection whose headers do not finish. Both live in its HTTP protocol class, which uvicorn lets
us choose (``Config(http=...)``), so ``ChainruleH11Protocol`` subclasses its h11 protocol:

- ``send_400_response`` (uvicorn's hook for h11's ``RemoteProtocolError``) writes an RFC 9457
  problem document instead of text, with the status h11 suggests (400, or 431 for headers over
  the size limit);
- a timer armed whenever the connection waits for a request's headers answers 408 and closes
  the connection if they have not all arrived within ``header_timeout`` seconds.

The body timeout is the app's (``BodyLimitMiddleware``), because the app reads the body. The
protocol is pinned to h11 rather than uvicorn's "auto" (httptools when installed), so the
behaviour does not change with what else happens to be installed.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from .problems import MEDIA_TYPE, problem_body

_REASONS = {400: b"Bad Request", 408: b"Request Timeout", 431: b"Request Header Fields Too Large"}


def raw_problem(status: int, kind: str, detail: str, hint: str) -> bytes:
    """A complete HTTP/1.1 response carrying a problem document, closing the connection."""
    body = json.dumps(problem_body(kind, detail, status, hint=hint)).encode()
    head = (
        b"HTTP/1.1 %d %s\r\ncontent-type: %s\r\ncontent-length: %d\r\nconnection: close\r\n\r\n"
        % (status, _REASONS.get(status, b"Error"), MEDIA_TYPE.encode(), len(body))
    )
    return head + body


class ChainruleH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with problem-document 400s and a timeout on request headers."""

    header_timeout: float = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._header_timer: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)

    def _arm_header_timer(self) -> None:
        self._cancel_header_timer()
        self._header_timer = self.loop.call_later(self.header_timeout, self._on_header_timeout)

    def _cancel_header_timer(self) -> None:
        timer = getattr(self, "_header_timer", None)
        if timer is not None:
            timer.cancel()
            self._header_timer = None

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is not h11.IDLE:  # the request line and headers are in
            self._cancel_header_timer()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._arm_header_timer()  # a keep-alive connection now waits for the next headers

    def _on_header_timeout(self) -> None:
        self._header_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if self.cycle is not None and not self.cycle.response_complete:
            return  # a response is still being written
        self.transport.write(
            raw_problem(
                408,
                "request_timeout",
                f"the request headers did not arrive within {self.header_timeout:g} s",
                "send the whole request at once; CHAINRULE_HEADER_TIMEOUT_SECONDS sets the limit",
            )
        )
        self.transport.close()

    def send_400_response(self, msg: str) -> None:
        """Called by uvicorn inside its ``except h11.RemoteProtocolError`` block."""
        exc = sys.exc_info()[1]
        status = getattr(exc, "error_status_hint", 400)
        status = status if status in (400, 431) else 400
        reason = str(exc) if isinstance(exc, h11.RemoteProtocolError) else msg
        self.transport.write(
            raw_problem(
                status,
                "http",
                f"the HTTP request could not be parsed: {reason[:200]}",
                "send a well-formed HTTP/1.1 request: one Content-Length of decimal digits, "
                "or Transfer-Encoding: chunked",
            )
        )
        self.transport.close()


def protocol_class(header_timeout: float) -> type[ChainruleH11Protocol]:
    """The protocol with this header timeout (uvicorn instantiates the class per connection)."""
    return type("ChainruleH11Protocol", (ChainruleH11Protocol,), {"header_timeout": header_timeout})


class Server(uvicorn.Server):
    """uvicorn's server, printing the address it listens on once it is ready."""

    def __init__(self, config: uvicorn.Config, announce: bool = True) -> None:
        super().__init__(config)
        self.announce = announce
        self.bound: tuple[str, int] | None = None

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets)
        if self.should_exit or not self.servers:
            return
        address = self.servers[0].sockets[0].getsockname()
        self.bound = (address[0], address[1])
        if self.announce:
            print(f"chainrule is listening on {url(*self.bound)} (docs at /docs)", flush=True)


def url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def config(app: Any, host: str, port: int, header_timeout: float, **options: Any) -> uvicorn.Config:
    """The uvicorn configuration ``chainrule serve`` uses (tests start the same one)."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=protocol_class(header_timeout),
        access_log=False,
        log_config=None,
        **options,
    )
