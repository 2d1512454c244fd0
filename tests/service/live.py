"""A real uvicorn server in a thread (the protocol ``chainrule serve`` uses), for socket tests.

TestClient talks ASGI directly, so what happens on the wire (timeouts, malformed headers, the
connection being closed, the client's address) needs the real server. It listens on 127.0.0.1
at a free port; clients may connect from other loopback addresses (127.0.0.2, ...) to be
different clients.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

from service.main import create_app
from service.server import Server, config
from service.settings import Settings
from tests.service.svc_support import FAKE_HANDLER

HOST = "127.0.0.1"


@contextlib.contextmanager
def live_server(settings: Settings, handler: str = FAKE_HANDLER) -> Iterator[Server]:
    app = create_app(settings, handler=handler)
    server = Server(
        config(app, HOST, 0, settings.header_timeout_seconds, timeout_graceful_shutdown=1),
        announce=False,
    )
    thread = threading.Thread(target=server.run, name="live-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while server.bound is None:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)
    try:
        yield server
    finally:
        server.should_exit = True
        thread.join(60)


def raw_exchange(port: int, data: bytes, timeout: float, source: str = HOST) -> tuple[bytes, float]:
    """Send ``data`` and read until the server closes; (everything read, seconds until close)."""
    with socket.create_connection((HOST, port), timeout=timeout, source_address=(source, 0)) as s:
        start = time.monotonic()
        s.sendall(data)
        chunks = []
        while True:
            chunk = s.recv(65536)  # raises TimeoutError if the server never closes
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks), time.monotonic() - start


def split_response(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body
