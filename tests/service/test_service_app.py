"""Routes, caching, ETags, request ids, logs and error mapping, with a fake worker handler."""

from __future__ import annotations

import json
import logging
import threading

import pytest
from fastapi.testclient import TestClient

from service.logging import JsonFormatter
from service.main import create_app
from tests.service.svc_support import FAKE_HANDLER, fake_settings

PROBLEM = "application/problem+json"
VARS = {"x": ["n"], "W": ["n", "m"]}


def derive(client: TestClient, expression: str, headers: dict[str, str] | None = None):
    body = {"expression": expression, "variables": VARS}
    return client.post("/v1/derive", json=body, headers=headers)


def assert_problem(response, status: int, kind: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status
    assert body["kind"] == kind
    assert body["type"] == "/problems/" + kind.replace("_", "-")
    assert body["title"] and body["detail"]
    return body


def test_healthz_reports_the_pool(fake_client: TestClient) -> None:
    body = fake_client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["workers"]["size"] == 2
    assert body["workers"]["alive"] == 2


def test_landing_page_links_everything(fake_client: TestClient) -> None:
    response = fake_client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    for link in ("/docs", "/openapi.json", "/v1/catalog", "/healthz"):
        assert f'href="{link}"' in response.text
    assert fake_client.get("/docs").status_code == 200


def test_problem_type_pages(fake_client: TestClient) -> None:
    page = fake_client.get("/problems/shape-mismatch")
    assert page.status_code == 200 and "Shape mismatch" in page.text
    assert_problem(fake_client.get("/problems/no-such-thing"), 404, "not_found")


def test_derive_is_sent_to_a_worker_with_defaults_filled(fake_client: TestClient) -> None:
    response = derive(fake_client, "echo-defaults")
    assert response.status_code == 200
    body = response.json()
    assert body["op"] == "derive"
    assert body["max_depth"] == 7  # the settings' Limits reach the worker
    assert body["payload"] == {
        "expression": "echo-defaults",
        "variables": VARS,
        "wrt": None,
        "hessian": False,
        "verify": True,
    }


def test_cache_etag_and_cache_control(fake_client: TestClient) -> None:
    first = derive(fake_client, "echo-cache")
    second = fake_client.post(
        "/v1/derive",
        json={"verify": True, "variables": VARS, "hessian": False, "expression": "echo-cache"},
    )
    assert first.headers["x-cache"] == "miss"
    assert second.headers["x-cache"] == "hit"  # same request after normalisation
    assert first.content == second.content
    assert first.headers["etag"] == second.headers["etag"]
    assert first.headers["etag"].startswith('"')
    assert first.headers["cache-control"] == "public, max-age=86400"
    reordered = fake_client.post(
        "/v1/derive",
        json={"expression": "echo-cache", "variables": dict(reversed(list(VARS.items())))},
    )
    assert reordered.headers["etag"] != first.headers["etag"]  # declaration order is meaningful


def test_if_none_match_gives_304(fake_client: TestClient) -> None:
    etag = derive(fake_client, "echo-304").headers["etag"]
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        response = derive(fake_client, "echo-304", headers={"If-None-Match": header})
        assert response.status_code == 304, header
        assert response.content == b""
        assert response.headers["etag"] == etag
    assert derive(fake_client, "echo-304", headers={"If-None-Match": '"x"'}).status_code == 200


def test_request_id_is_returned_and_client_ids_are_kept(fake_client: TestClient) -> None:
    generated = fake_client.get("/healthz").headers["x-request-id"]
    assert len(generated) == 32
    kept = fake_client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert kept.headers["x-request-id"] == "abc-123"
    replaced = fake_client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert replaced.headers["x-request-id"] != "bad id\twith spaces"


def test_one_json_log_line_per_request(fake_client: TestClient) -> None:
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(JsonFormatter().format(record))

    handler = Collect()
    logger = logging.getLogger("chainrule.access")
    logger.addHandler(handler)
    try:
        response = derive(fake_client, "echo-log", headers={"X-Request-ID": "log-1"})
    finally:
        logger.removeHandler(handler)
    records = [json.loads(line) for line in lines]
    mine = [r for r in records if r.get("request_id") == "log-1"]
    assert len(mine) == 1, records
    line = mine[0]
    assert response.status_code == 200
    assert (line["method"], line["path"], line["status"]) == ("POST", "/v1/derive", 200)
    assert line["total_ms"] >= line["worker_ms"] >= 0
    assert line["cache"] == "miss"


def test_library_errors_become_problems_and_are_cached(fake_client: TestClient) -> None:
    for _ in range(2):
        body = assert_problem(derive(fake_client, "error"), 422, "shape_mismatch")
        assert body["detail"] == "bad shapes"
        assert body["position"] == {"line": 1, "column": 3}
        assert body["hint"] == "fix it"
        assert body["excerpt"] == "  x + y\n    ^"
        assert isinstance(body["details"]["k"], str)  # unpicklable detail survived as text


def test_a_bug_is_an_opaque_500_and_the_worker_is_replaced(fake_client: TestClient) -> None:
    for command in ("crash", "exit"):
        response = derive(fake_client, command)
        body = assert_problem(response, 500, "internal")
        assert "secret" not in response.text and "Traceback" not in response.text
        assert body["request_id"] == response.headers["x-request-id"]
        assert derive(fake_client, f"echo-after-{command}").status_code == 200


def test_recursion_in_a_worker_is_a_limit(fake_client: TestClient) -> None:
    body = assert_problem(derive(fake_client, "recurse"), 422, "limit")
    assert "split" in body["hint"]


def test_time_limit_kills_the_worker_and_the_next_request_works(fake_client: TestClient) -> None:
    before = fake_client.get("/healthz").json()["workers"]["restarts"]
    body = assert_problem(derive(fake_client, "sleep:30"), 422, "time_limit")
    assert body["details"] == {"limit": "time_limit_seconds", "value": 0.5}
    assert "0.5 s" in body["detail"]
    assert "CHAINRULE_TIME_LIMIT_SECONDS" in body["hint"]
    for i in range(3):  # both the surviving and the replacement worker answer
        assert derive(fake_client, f"echo-after-timeout-{i}").status_code == 200
    assert fake_client.get("/healthz").json()["workers"]["restarts"] == before + 1


def test_healthz_answers_while_every_worker_is_busy() -> None:
    app = create_app(fake_settings(time_limit_seconds=20), handler=FAKE_HANDLER)
    with TestClient(app) as client:
        threads = [
            threading.Thread(target=derive, args=(client, f"sleep:{1.5 + i / 10}"))
            for i in range(2)
        ]
        for t in threads:
            t.start()
        seen_busy = 0
        for _ in range(200):
            stats = client.get("/healthz").json()["workers"]
            seen_busy = max(seen_busy, stats["busy"])
            if seen_busy == 2:
                break
        for t in threads:
            t.join()
    assert seen_busy == 2, "healthz never answered while both workers were busy"


def test_pool_saturation_is_a_503_with_retry_after() -> None:
    app = create_app(
        fake_settings(workers=1, time_limit_seconds=20, queue_timeout_seconds=0.2),
        handler=FAKE_HANDLER,
    )
    with TestClient(app) as client:
        busy = threading.Thread(target=derive, args=(client, "sleep:1.5"))
        busy.start()
        try:
            for _ in range(100):
                if client.get("/healthz").json()["workers"]["busy"] == 1:
                    break
            response = derive(client, "echo-while-busy")
        finally:
            busy.join()
    body = assert_problem(response, 503, "busy")
    assert response.headers["retry-after"] == "1"
    assert body["hint"]


def test_body_over_the_limit_is_413_by_content_length(fake_client: TestClient) -> None:
    big = json.dumps({"expression": "x" * 1_000_000, "variables": {}})
    response = fake_client.post(
        "/v1/derive", content=big, headers={"Content-Type": "application/json"}
    )
    body = assert_problem(response, 413, "body_too_large")
    assert body["details"] == {"limit": "max_body_bytes", "value": 4096}
    assert "CHAINRULE_MAX_BODY_BYTES" in body["hint"]


def test_body_over_the_limit_is_413_when_streamed(fake_client: TestClient) -> None:
    def chunks():
        yield b'{"expression": "'
        for _ in range(100):
            yield b"x" * 1000
        yield b'", "variables": {}}'

    response = fake_client.post(
        "/v1/derive", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 413, "body_too_large")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"variables": VARS}, "expression"),
        ({"expression": "x", "variables": {"x": [2.5]}}, "variables.x.0"),
        ({"expression": "x", "variables": {"x": "n"}}, "variables.x"),
        ({"expression": "x", "variables": VARS, "hesian": True}, "hesian"),
        ({"expression": "x", "variables": VARS, "verify": "yes"}, "verify"),
        ({"expression": 3, "variables": VARS}, "expression"),
        ([], ""),
    ],
)
def test_validation_errors_are_problems_naming_the_field(
    fake_client: TestClient, body: object, field: str
) -> None:
    problem = assert_problem(fake_client.post("/v1/derive", json=body), 422, "validation")
    assert field in [e["field"] for e in problem["errors"]], problem
    assert problem["hint"]


def test_invalid_json_is_a_validation_problem(fake_client: TestClient) -> None:
    response = fake_client.post(
        "/v1/derive", content=b'{"expression": ', headers={"Content-Type": "application/json"}
    )
    problem = assert_problem(response, 422, "validation")
    assert problem["detail"] == "the request body is not valid JSON"


def test_trace_values_are_capped_and_must_be_finite(fake_client: TestClient) -> None:
    values = {"W": [[1.0] * 5] * 5}
    response = fake_client.post(
        "/v1/trace", json={"expression": "sum(W)", "variables": {"W": [5, 5]}, "values": values}
    )
    body = assert_problem(response, 422, "limit")
    assert body["details"] == {"limit": "max_trace_numbers", "value": 20}
    nan = '{"expression": "x", "variables": {"x": []}, "values": {"x": NaN}}'
    response = fake_client.post(
        "/v1/trace", content=nan, headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 422, "validation")
    ok = fake_client.post(
        "/v1/trace", json={"expression": "echo", "variables": {"x": []}, "values": {"x": 1}}
    )
    assert ok.status_code == 200 and ok.json()["op"] == "trace"


def test_unknown_routes_and_methods_are_problems(fake_client: TestClient) -> None:
    assert_problem(fake_client.get("/v2/nothing"), 404, "not_found")
    assert_problem(fake_client.get("/v1/derive"), 405, "method_not_allowed")


def test_repeated_bytes_are_answered_before_parsing(fake_client: TestClient) -> None:
    raw = json.dumps({"expression": "echo-fast", "variables": VARS}).encode()
    headers = {"Content-Type": "application/json"}
    first = fake_client.post("/v1/derive", content=raw, headers=headers)
    again = fake_client.post("/v1/derive", content=raw, headers=headers)
    assert (first.headers["x-cache"], again.headers["x-cache"]) == ("miss", "hit")
    assert again.content == first.content
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["cache-control"] == first.headers["cache-control"]
    assert again.headers["content-type"] == "application/json"
    conditional = fake_client.post(
        "/v1/derive", content=raw, headers={**headers, "If-None-Match": first.headers["etag"]}
    )
    assert conditional.status_code == 304 and conditional.content == b""
    # the same bytes as another operation, or another content type, are not confused with it
    other = fake_client.post("/v1/trace", content=raw, headers=headers)
    assert_problem(other, 422, "validation")  # trace needs values
    text = fake_client.post("/v1/derive", content=raw, headers={"Content-Type": "text/plain"})
    assert text.headers.get("x-cache") != "hit"


def test_a_body_that_is_not_utf8_is_a_validation_problem(fake_client: TestClient) -> None:
    response = fake_client.post(
        "/v1/derive", content=b"\xff\xfe{", headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 422, "validation")


def test_derive_example_in_the_openapi_document_is_real_output() -> None:
    """The documented example is what chainrule returns for it, field for field."""
    from derivations import derive
    from service.schemas import DeriveResponse

    example = DeriveResponse.model_config["json_schema_extra"]["examples"][0]
    wrt = [d["wrt"] for d in example["derivatives"]]
    real = derive(example["expression"], example["variables"], wrt=wrt).to_dict()
    for field in ("expression", "variables", "output", "definitions", "steps"):
        assert example[field] == real[field], field
    for documented, actual in zip(example["derivatives"], real["derivatives"], strict=True):
        assert documented == actual
    check = example["verification"]["checks"][0]
    assert check["detail"] == real["verification"]["checks"][0]["detail"]
