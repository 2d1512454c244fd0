"""Fair use: remembered time-limit and crash outcomes, the per-client cap, the precheck, the
byte-level bound on trace bodies and the offline docs (ASGI level, fake worker handler)."""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from starlette.types import Receive, Scope, Send

from derivations.errors import ChainruleError
from derivations.limits import Limits
from service.cache import Failure, FailureMemory
from service.main import create_app
from service.middleware import json_values_exceed
from tests.service.svc_support import FAKE_HANDLER, fake_settings

PROBLEM = "application/problem+json"
VARS = {"x": ["n"]}


def derive(client: TestClient, expression: str, who: str = "a"):
    body = {"expression": expression, "variables": VARS}
    return client.post("/v1/derive", json=body, headers={"X-Test-Client": who})


def restarts(client: TestClient) -> int:
    return client.get("/healthz").json()["workers"]["restarts"]


def busy(client: TestClient) -> int:
    return client.get("/healthz").json()["workers"]["busy"]


def wait_until_busy(client: TestClient, n: int) -> None:
    for _ in range(2000):
        if busy(client) >= n:
            return
    raise AssertionError(f"{n} workers never became busy")


class ClientFromHeader:
    """TestClient is one client; this shim makes ``X-Test-Client`` the client's address."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name == b"x-test-client":
                    scope = {**scope, "client": (value.decode(), 1)}
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    settings = fake_settings(client_concurrency=1, time_limit_seconds=0.5, precheck_seconds=0.3)
    app = create_app(settings, handler=FAKE_HANDLER)
    with TestClient(ClientFromHeader(app), raise_server_exceptions=False) as c:
        yield c


# ------------------------------------------------------------------ remembered outcomes


def test_a_repeated_time_limit_request_is_a_remembered_outcome(client: TestClient) -> None:
    before = restarts(client)
    first = derive(client, "sleep:30")
    assert first.status_code == 422 and first.json()["kind"] == "time_limit"
    assert "remembered" not in first.json()["details"]
    for who in ("a", "b"):  # any client: the outcome belongs to the normalised request
        again = derive(client, "sleep:30", who)
        body = again.json()
        assert again.status_code == 422 and body["kind"] == "time_limit"
        assert body["details"]["remembered"] is True
        assert body["details"]["value"] == 0.5
        assert "remembered outcome" in body["detail"]
    assert restarts(client) == before + 1  # the repeats cost no worker


def test_a_repeated_crash_is_remembered(client: TestClient) -> None:
    before = restarts(client)
    for _ in range(3):
        response = derive(client, "exit")
        assert response.status_code == 500 and response.json()["kind"] == "internal"
    assert restarts(client) == before + 1


def test_remembering_can_be_turned_off() -> None:
    app = create_app(fake_settings(failure_cache_size=0), handler=FAKE_HANDLER)
    with TestClient(app) as c:
        before = restarts(c)
        for _ in range(2):
            assert derive(c, "sleep:30").status_code == 422
        assert restarts(c) == before + 2


def test_failure_memory_is_bounded_and_expires() -> None:
    memory = FailureMemory(maxsize=2, ttl=10)
    for i in range(3):
        memory.put("derive", f"k{i}", Failure("time_limit", at=100.0, seconds=1))
    assert len(memory) == 2 and memory.get("derive", "k0", now=101) is None
    assert memory.get("derive", "k2", now=109.9) is not None
    assert memory.get("trace", "k2", now=101) is None  # another operation is another request
    assert memory.get("derive", "k2", now=110.0) is None  # expired, and forgotten
    assert len(memory) == 1


# ------------------------------------------------------------------ the per-client cap


def test_a_client_over_its_cap_gets_429_and_others_are_served(client: TestClient) -> None:
    holder = threading.Thread(target=derive, args=(client, "sleep:0.4", "cap-a"))
    holder.start()
    try:
        wait_until_busy(client, 1)
        refused = derive(client, "echo-cap-a", "cap-a")
        other = derive(client, "echo-cap-b", "cap-b")
    finally:
        holder.join()
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith(PROBLEM)
    assert refused.headers["retry-after"] == "1"
    body = refused.json()
    assert body["kind"] == "too_many_requests" and body["type"] == "/problems/too-many-requests"
    assert body["details"] == {"limit": "client_concurrency", "value": 1}
    assert "CHAINRULE_CLIENT_CONCURRENCY" in body["hint"]
    assert other.status_code == 200
    assert derive(client, "echo-cap-a", "cap-a").status_code == 200  # the slot was given back
    assert derive(client, "echo-cap-b", "cap-a").headers["x-cache"] == "hit"  # cached: no slot


def test_the_default_cap_is_half_the_workers() -> None:
    assert fake_settings(client_concurrency=None, workers=2).per_client() == 1
    assert fake_settings(client_concurrency=None, workers=5).per_client() == 2
    assert fake_settings(client_concurrency=None, workers=1).per_client() == 1
    assert fake_settings(client_concurrency=3, workers=1).per_client() == 3


# ------------------------------------------------------------------ the precheck


@contextlib.contextmanager
def _both_workers_busy(c: TestClient) -> Iterator[None]:
    """Two slow requests pin both fake workers for the block (joined when it ends)."""
    pinned = [threading.Thread(target=derive, args=(c, f"sleep:{1 + i / 10}")) for i in (0, 1)]
    for thread in pinned:
        thread.start()
    try:
        wait_until_busy(c, 2)
        yield
    finally:
        for thread in pinned:
            thread.join()


def test_invalid_requests_never_wait_for_a_worker() -> None:
    app = create_app(fake_settings(time_limit_seconds=20), handler=FAKE_HANDLER)
    with TestClient(app) as c, _both_workers_busy(c):
        # the fake worker would echo this with a 200: a syntax problem comes from the precheck
        response = derive(c, "invalid-early")
        still_busy = busy(c)
    assert response.status_code == 422 and response.json()["kind"] == "syntax"
    assert still_busy == 2


def test_a_slow_precheck_gives_up_and_the_worker_decides() -> None:
    settings = fake_settings(time_limit_seconds=20, precheck_seconds=0.3)
    app = create_app(settings, handler=FAKE_HANDLER)
    with TestClient(app) as c:
        with _both_workers_busy(c):
            response = derive(c, "checksleep:1.5")  # the check gives up at 0.3 s; queued
        assert app.state.prechecker.timeouts == 1
    assert response.status_code == 200 and response.json()["op"] == "derive"


def test_with_a_worker_free_the_worker_checks(client: TestClient) -> None:
    # no wait, so no precheck: the worker answers (the fake one echoes what the check rejects)
    assert derive(client, "invalid-early", "free-worker").status_code == 200
    assert derive(client, "invalid", "free-worker").json()["detail"] == "rejected by the worker"


def test_the_real_precheck_raises_what_the_library_raises() -> None:
    from service import tasks

    limits = Limits()
    tasks.precheck(
        "derive", {"expression": "W @ x", "variables": {"W": ["n", "m"], "x": ["m"]}}, limits
    )
    cases = [
        ("derive", {"expression": "x +", "variables": {"x": []}}, "syntax"),
        ("derive", {"expression": "x + y", "variables": {"x": ["n"], "y": ["m"]}}, "shape_mismatch"),
        ("derive", {"expression": "x", "variables": {"x": [-1]}}, "declaration"),
        ("trace", {"expression": "sum(x)", "variables": {"x": [3]}, "values": {"x": [1.0]}}, "value"),
    ]  # fmt: skip
    for op, payload, kind in cases:
        with pytest.raises(ChainruleError) as caught:
            tasks.precheck(op, payload, limits)
        assert caught.value.kind == kind, payload


# ------------------------------------------------------------------ trace bodies


def test_huge_bodies_are_refused_before_parsing() -> None:
    app = create_app(fake_settings(max_body_bytes=400_000), handler=FAKE_HANDLER)
    numbers = ",".join(["1"] * 120_000)
    trace = b'{"expression": "sum(x)", "variables": {"x": [120000]}, "values": {"x": [%s]}}' % (
        numbers.encode()
    )
    declarations = {f"a{i}": ["n", "m"] for i in range(10_000)}
    derive_body = json.dumps({"expression": "x", "variables": declarations}).encode()
    headers = {"Content-Type": "application/json"}
    with TestClient(app) as c:
        traced = c.post("/v1/trace", content=trace, headers=headers)
        derived = c.post("/v1/derive", content=derive_body, headers=headers)
        dims = {"expression": "x", "variables": {"x": ["n"] * 2000}}
        long_shape = c.post("/v1/derive", json=dims)  # under the budget: the library explains
    for response, limit, allowed in (
        (traced, "max_trace_numbers", 20),
        (derived, "max_variables", 256),
    ):
        body = response.json()
        assert response.status_code == 422 and body["kind"] == "limit", body
        assert "counted before parsing" in body["detail"]
        assert body["details"] == {"limit": limit, "value": allowed}
    assert long_shape.status_code == 200  # the fake worker echoes; the real one says declaration


def test_the_byte_count_bounds_values_and_ignores_commas_in_strings() -> None:
    doc = {"expression": "concat(" + ", ".join(["x"] * 500) + ")", "values": {"x": [1, 2, 3]}}
    raw = json.dumps(doc).encode()
    assert not json_values_exceed(raw, 10)  # 500 commas in the program text are not values
    assert json_values_exceed(json.dumps({"values": {"x": list(range(11))}}).encode(), 10)
    for values in ([1] * 9, [[1, 2], [3, 4]], {"a": 1, "b": [2]}):
        data = json.dumps(values).encode()
        leaves = len(re.findall(rb"\d+", data))
        assert not json_values_exceed(data, leaves + 4) and json_values_exceed(data, leaves - 1)


# ------------------------------------------------------------------ offline docs


@pytest.mark.parametrize("page", ["/docs", "/redoc", "/", "/problems/time-limit"])
def test_pages_reference_only_local_urls_and_those_are_served(
    client: TestClient, page: str
) -> None:
    html = client.get(page).text
    assert "://" not in html  # no absolute URL at all, so nothing is fetched from elsewhere
    refs = re.findall(r"""(?:src|href)=["']([^"']+)["']|url: ?'([^']+)'""", html)
    urls = {a or b for a, b in refs}
    if page in ("/docs", "/redoc"):
        assert any(u.endswith(".js") for u in urls) and "/openapi.json" in html
    for ref in urls:
        assert ref.startswith("/") and not ref.startswith("//"), ref
        assert client.get(ref).status_code == 200, ref
    if page == "/docs":
        assert '"validatorUrl": null' in html  # no badge from validator.swagger.io


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_forbid_other_hosts_to_the_browser(client: TestClient, page: str) -> None:
    """The vendored ReDoc bundle hard-codes https://cdn.redoc.ly/redoc/logo-mini.svg (found by
    headless Chromium, invisible to the HTML check above), so the pages carry a CSP whose sources
    name no other host."""
    policy = client.get(page).headers["content-security-policy"]
    sources = policy.removeprefix("default-src").split()
    assert policy.startswith("default-src") and ";" not in policy
    assert set(sources) <= {"'self'", "'unsafe-inline'", "'unsafe-eval'", "data:", "blob:"}
