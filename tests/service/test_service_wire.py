"""What happens on the wire, against the real uvicorn server ``chainrule serve`` runs.

Stalled bodies and headers are answered 408 and closed after the configured timeout, malformed
``Content-Length`` gets a problem document, the trailing-slash redirect never echoes the Host
header, the start-up line names the address, and a client flooding the pool with requests that
run into the time limit does not stop anyone else's cheap, invalid or cached requests. Timeouts
are checked against the configured values (never earlier), with generous upper bounds.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from service.server import Server, config, url
from tests.service.live import HOST, live_server, raw_exchange, split_response
from tests.service.svc_support import fake_settings

PROBLEM = "application/problem+json"
TIMEOUT = 1.0  # the body and header timeouts of the module's server, in seconds
GENEROUS = 60.0  # the most a test waits for an answer that should take about TIMEOUT


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    settings = fake_settings(body_timeout_seconds=TIMEOUT, header_timeout_seconds=TIMEOUT)
    with live_server(settings) as server:
        assert server.bound is not None
        yield server.bound[1]


def post_head(length: int, path: str = "/v1/derive") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


def assert_problem_408(raw: bytes, elapsed: float) -> dict:
    status, headers, body = split_response(raw)
    assert status == 408, raw
    assert headers["content-type"].startswith(PROBLEM)
    assert headers["connection"] == "close"
    problem = json.loads(body)
    assert problem["kind"] == "request_timeout" and problem["status"] == 408
    assert elapsed >= TIMEOUT * 0.9  # not before the configured timeout
    return problem


def test_a_stalled_body_is_answered_and_closed_after_the_body_timeout(port: int) -> None:
    partial = post_head(200) + b'{"expression": "echo'  # 20 of the 200 announced bytes
    with cf.ThreadPoolExecutor(8) as pool:  # several at once: each gets its own deadline
        results = list(pool.map(lambda _: raw_exchange(port, partial, GENEROUS), range(8)))
    for raw, elapsed in results:
        problem = assert_problem_408(raw, elapsed)
        assert problem["details"] == {"limit": "body_timeout_seconds", "value": TIMEOUT}
        assert "CHAINRULE_BODY_TIMEOUT_SECONDS" in problem["hint"]


def test_stalled_headers_and_idle_connections_are_closed(port: int) -> None:
    for partial in (b"POST /v1/derive HTTP/1.1\r\nHost: x\r\n", b"GET /heal", b""):
        raw, elapsed = raw_exchange(port, partial, GENEROUS)
        problem = assert_problem_408(raw, elapsed)
        assert "headers" in problem["detail"]


def test_a_keep_alive_connection_gets_the_header_timeout_again(port: int) -> None:
    first = f"GET /healthz HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode()
    raw, elapsed = raw_exchange(port, first + b"GET /healthz HTTP/1.1\r\n", GENEROUS)
    assert raw.startswith(b"HTTP/1.1 200")
    second = raw[raw.index(b"HTTP/1.1 408") :]
    assert_problem_408(second, elapsed)


@pytest.mark.parametrize(
    "length_headers",
    [
        b"Content-Length: abc\r\n",
        b"Content-Length: -1\r\n",
        b"Content-Length: 1e3\r\n",
        b"Content-Length: 5, 6\r\n",
        b"Content-Length: 5\r\nContent-Length: 6\r\n",
        b"Content-Length: \r\n",
        b"Content-Length: 0x10\r\n",
    ],
)
def test_malformed_content_length_is_a_problem_document(port: int, length_headers: bytes) -> None:
    request = b"POST /v1/derive HTTP/1.1\r\nHost: x\r\n" + length_headers + b"\r\n{}"
    raw, _ = raw_exchange(port, request, GENEROUS)
    status, headers, body = split_response(raw)
    assert status == 400, raw
    assert headers["content-type"] == PROBLEM
    assert headers["connection"] == "close"
    problem = json.loads(body)
    assert (problem["kind"], problem["type"], problem["status"]) == ("http", "/problems/http", 400)
    assert problem["detail"].startswith("the HTTP request could not be parsed")


def test_oversized_headers_are_a_431_problem(port: int) -> None:
    raw, _ = raw_exchange(port, b"GET /healthz HTTP/1.1\r\nX-Big: " + b"a" * 40_000, GENEROUS)
    status, headers, body = split_response(raw)
    assert status == 431 and headers["content-type"] == PROBLEM, raw[:200]
    assert json.loads(body)["status"] == 431


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/healthz/", "/healthz"),
        ("/v1/catalog/?x=1", "/v1/catalog?x=1"),
        ("/docs//", "/docs"),
        ("//evil.example/", None),
        ("/\\evil.example/", None),
        ("//evil.example/healthz/", None),
        ("/no/such/route/", None),
    ],
)
def test_trailing_slash_redirect_never_uses_the_host_header(
    port: int, path: str, location: str | None
) -> None:
    request = f"GET {path} HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n".encode()
    raw, _ = raw_exchange(port, request, GENEROUS)
    status, headers, _ = split_response(raw)
    if location is None:
        assert status == 404 and "location" not in headers, raw
    else:
        assert status == 307 and headers["location"] == location, raw
    assert "evil" not in headers.get("location", "")


def test_serve_prints_the_url_it_listens_on(capsys: pytest.CaptureFixture[str]) -> None:
    from service.main import create_app
    from tests.service.svc_support import FAKE_HANDLER

    app = create_app(fake_settings(workers=1), handler=FAKE_HANDLER)
    server = Server(config(app, HOST, 0, 5.0, timeout_graceful_shutdown=1))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while server.bound is None and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    server.should_exit = True
    thread.join(60)
    assert server.bound is not None
    line = f"chainrule is listening on http://{HOST}:{server.bound[1]} (docs at /docs)"
    assert line in capsys.readouterr().out
    assert url("::1", 8000) == "http://[::1]:8000"


# ------------------------------------------------------------------ acceptance: fair under abuse


def test_time_limit_flood_does_not_stop_other_clients() -> None:
    """Two clients flood the pool with requests that run into the time limit (sleep:60 against a
    30 s limit, so they hold their workers for the whole test); a third client's cheap, invalid,
    cached and uncached requests are all answered while the flood is still running.
    """
    settings = fake_settings(
        workers=3, time_limit_seconds=30, client_concurrency=1, queue_timeout_seconds=30
    )
    variables = {"x": ["n"]}

    def client(base: str, address: str) -> httpx.Client:
        transport = httpx.HTTPTransport(local_address=address)
        return httpx.Client(base_url=base, timeout=GENEROUS, transport=transport)

    with live_server(settings) as server:
        assert server.bound is not None
        base = f"http://{HOST}:{server.bound[1]}"
        victim, flooders = (
            client(base, HOST),
            [client(base, "127.0.0.2"), client(base, "127.0.0.3")],
        )
        cached = {"expression": "echo-cached", "variables": variables}
        assert victim.post("/v1/derive", json=cached).headers["x-cache"] == "miss"
        flood = [
            (flooder, {"expression": f"sleep:{60 + i}", "variables": variables})
            for i in range(3)
            for flooder in flooders
        ]
        with cf.ThreadPoolExecutor(len(flood)) as pool:
            running = [pool.submit(c.post, "/v1/derive", json=body) for c, body in flood]
            for _ in range(600):  # until the flood holds two workers and four requests are refused
                busy = victim.get("/healthz").json()["workers"]["busy"]
                if busy >= 2 and sum(f.done() for f in running) >= 4:
                    break
                time.sleep(0.05)
            refused = [f.result() for f in running if f.done()]

            def ask(expression: str) -> httpx.Response:
                return victim.post(
                    "/v1/derive", json={"expression": expression, "variables": variables}
                )

            answers = {
                "healthz": victim.get("/healthz"),
                "invalid": ask("invalid"),
                "cached": victim.post("/v1/derive", json=cached),
                "uncached": ask("echo-victim"),
            }
            still_running = sum(not f.done() for f in running)
            server.should_exit = True  # the rest of the flood is not waited for
        for c in (victim, *flooders):
            c.close()
    assert still_running == 2, "the flood finished before the other client was served"
    assert answers["healthz"].status_code == 200
    assert answers["healthz"].json()["workers"]["busy"] >= 2
    assert answers["invalid"].status_code == 422 and answers["invalid"].json()["kind"] == "syntax"
    assert answers["cached"].status_code == 200 and answers["cached"].headers["x-cache"] == "hit"
    assert answers["uncached"].status_code == 200
    assert len(refused) == 4  # each flooding client runs one; its other two get 429 at once
    for response in refused:
        assert response.status_code == 429
        assert response.headers["retry-after"] == "1"
        assert response.json()["kind"] == "too_many_requests"
