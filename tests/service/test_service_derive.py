"""The service with the real library: results mirror the schemas, every error kind is a problem,
and hostile input is answered with a 4xx within seconds while /healthz stays responsive."""

from __future__ import annotations

import importlib.util
import threading
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from service.main import create_app
from service.schemas import DeriveResponse, ProblemDetails, TraceResponse
from service.settings import Settings

pytest.importorskip("derivations.api")

NET = "z = W @ x + b; h = tanh(z); s = u.T @ h"
NET_VARS = {"W": ["n", "m"], "x": ["m"], "b": ["n"], "u": ["n"]}
HEAVY = (
    "h0 = x; "
    + "; ".join(f"h{i} = softmax(W @ h{i - 1} + b)" for i in range(1, 30))
    + "; s = sum(log(h29))"
)
SECONDS = 20  # "within seconds": generous, so a slow CI machine does not flake


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    settings = Settings(workers=2, time_limit_seconds=60, max_body_bytes=100_000)
    with TestClient(create_app(settings)) as c:
        yield c


def problem(response, status: int, kind: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    ProblemDetails.model_validate(body)
    assert body["kind"] == kind, body
    assert body["detail"]
    return body


def test_derive_result_mirrors_the_schema(client: TestClient) -> None:
    response = client.post(
        "/v1/derive", json={"expression": NET, "variables": NET_VARS, "verify": False}
    )
    assert response.status_code == 200, response.text
    result = DeriveResponse.model_validate(response.json())
    assert result.expression == NET
    assert {d.wrt for d in result.derivatives} == set(NET_VARS)
    assert result.output.name == "s"
    assert "def value_and_grad" in result.code.numpy


@pytest.mark.skipif(
    importlib.util.find_spec("derivations.verify.run") is None, reason="verification not landed"
)
def test_derive_with_verification_passes(client: TestClient) -> None:
    response = client.post("/v1/derive", json={"expression": NET, "variables": NET_VARS})
    assert response.status_code == 200, response.text
    result = DeriveResponse.model_validate(response.json())
    assert result.verification.passed is True
    assert result.verification.checks


def test_trace_result_mirrors_the_schema(client: TestClient) -> None:
    response = client.post(
        "/v1/trace",
        json={
            "expression": "z = W @ x; s = sum(tanh(z))",
            "variables": {"W": [2, 2], "x": [2]},
            "values": {"W": [[1, 2], [3, 4]], "x": [0.5, -1]},
        },
    )
    assert response.status_code == 200, response.text
    result = TraceResponse.model_validate(response.json())
    assert result.nodes and set(result.gradients) == {"W", "x"}


V = {"W": ["n", "m"], "x": ["m"], "b": ["n"]}


@pytest.mark.parametrize(
    ("body", "kind", "positioned"),
    [
        ({"expression": "x +", "variables": V}, "syntax", True),
        ({"expression": "y", "variables": V}, "undeclared_name", True),
        ({"expression": "foo(x)", "variables": V}, "unknown_function", True),
        ({"expression": "W @ x + x", "variables": V}, "shape_mismatch", True),
        ({"expression": "dot(x)", "variables": V}, "arity", True),
        (
            {"expression": "z = W @ x; sum(z)", "variables": V, "wrt": ["z"]},
            "not_a_variable",
            False,
        ),
        ({"expression": "x", "variables": {"x": ["a", "b", "c"]}}, "declaration", False),
        ({"expression": "x ** 99999", "variables": V}, "limit", True),
        # the ops of issue 14: misuse is a positioned 422 with a fix, never a 500
        ({"expression": "trace(matpow(W, 2))", "variables": V}, "shape_mismatch", True),
        ({"expression": "sum(matpow(W.T @ W, 1.5))", "variables": V}, "value", True),
        ({"expression": "sum(matpow(W.T @ W, -1))", "variables": V}, "value", True),
        ({"expression": "sum(matpow(W.T @ W))", "variables": V}, "arity", True),
        ({"expression": "sum(matpow(W.T @ W, 99))", "variables": V}, "limit", True),
        ({"expression": "sum(ones(k))", "variables": V}, "undeclared_name", True),
        ({"expression": "sum(ones(x))", "variables": V}, "shape_mismatch", True),
        ({"expression": "sum(eye(0.5))", "variables": V}, "value", True),
        ({"expression": "sum(kron(x, 2))", "variables": V}, "shape_mismatch", True),
        ({"expression": "sum(layernorm(W))", "variables": V}, "shape_mismatch", True),
        ({"expression": "sum(layernorm(x, b))", "variables": V}, "value", True),
        ({"expression": "sum(layernorm(x, 1, 2))", "variables": V}, "arity", True),
        ({"expression": "tan(x, x)", "variables": V}, "arity", True),
    ],
)
def test_each_library_error_is_a_4xx_problem(
    client: TestClient, body: dict, kind: str, positioned: bool
) -> None:
    body = {**body, "verify": False}
    result = problem(client.post("/v1/derive", json=body), 422, kind)
    assert result["type"] == "/problems/" + kind.replace("_", "-")
    assert result["hint"], "every library error names the fix"
    if positioned:
        assert set(result["position"]) == {"line", "column"}
        assert "^" in result["excerpt"]


def test_a_bad_trace_value_is_a_value_problem(client: TestClient) -> None:
    body = {"expression": "sum(x)", "variables": {"x": [3]}, "values": {"x": [1, 2]}}
    problem(client.post("/v1/trace", json=body), 422, "value")


def test_catalog_list_and_unknown_entry(client: TestClient) -> None:
    listing = client.get("/v1/catalog")
    assert listing.status_code == 200
    entries = listing.json()
    assert entries and set(entries[0]) == {"id", "title", "tags", "summary"}
    body = problem(client.get("/v1/catalog/no-such-entry"), 404, "not_found")
    assert body["type"] == "/problems/not-found"


def _assert_healthz_responsive(client: TestClient) -> None:
    start = time.monotonic()
    assert client.get("/healthz").status_code == 200
    assert time.monotonic() - start < SECONDS, "healthz did not answer within seconds"


@pytest.mark.parametrize(
    ("name", "body", "status", "kind"),
    [
        ("nesting 5000 deep", {"expression": "(" * 5000 + "x" + ")" * 5000, "variables": V}, 422, "limit"),
        ("a megabyte body", {"expression": "x" * 1_000_000, "variables": V}, 413, "body_too_large"),
        ("dimension 100000", {"expression": "sum(x)", "variables": {"x": [100000]}}, 422, "limit"),
        ("3000 statements", {"expression": "; ".join(f"a{i} = x" for i in range(3000)), "variables": V}, 422, "limit"),
        ("x ** 1e308", {"expression": "x ** 1e308", "variables": V}, 422, "limit"),
        ("x ** 99999", {"expression": "x ** 99999", "variables": V}, 422, "limit"),
        ("10000 variables", {"expression": "x", "variables": {f"v{i}": [] for i in range(10000)}}, 413, "body_too_large"),
        ("400 variables", {"expression": "x", "variables": {f"v{i}": [] for i in range(400)}}, 422, "limit"),
    ],
)  # fmt: skip
def test_hostile_input_is_a_4xx_within_seconds(
    client: TestClient, name: str, body: dict, status: int, kind: str
) -> None:
    start = time.monotonic()
    response = client.post("/v1/derive", json={**body, "verify": False})
    elapsed = time.monotonic() - start
    problem(response, status, kind)
    assert elapsed < SECONDS, f"{name}: answered after {elapsed:.1f} s"
    _assert_healthz_responsive(client)


def test_a_slow_derivation_is_stopped_and_the_pool_recovers() -> None:
    settings = Settings(workers=1, time_limit_seconds=0.5)
    with TestClient(create_app(settings)) as client:
        outcome: dict[str, object] = {}

        def heavy() -> None:
            square = {"W": ["n", "n"], "x": ["n"], "b": ["n"]}
            body = {"expression": HEAVY, "variables": square, "hessian": True, "verify": False}
            outcome["response"] = client.post("/v1/derive", json=body)

        start = time.monotonic()
        thread = threading.Thread(target=heavy)
        thread.start()
        _assert_healthz_responsive(client)  # the only worker is busy
        thread.join(SECONDS)
        assert not thread.is_alive(), "the slow derivation was not stopped within seconds"
        body = problem(outcome["response"], 422, "time_limit")
        assert body["details"] == {"limit": "time_limit_seconds", "value": 0.5}
        assert time.monotonic() - start < SECONDS
        after = client.post(
            "/v1/derive", json={"expression": "sum(x)", "variables": V, "verify": False}
        )
        assert after.status_code == 200, after.text
        assert client.get("/healthz").json()["workers"]["restarts"] == 1
