"""Issue 8 §3 through the service: each hostile input class is a 4xx problem or a verified 200,
never a 500 or a crashed worker. (Class 6, the exact check's symbol names, is tested with
verify/.) The library-level tests of each class are in tests/language and tests/printing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from service.main import create_app
from service.schemas import ProblemDetails
from service.settings import Settings

pytest.importorskip("derivations.api")

JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    settings = Settings(workers=1, time_limit_seconds=120, max_body_bytes=100_000)
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


def _problem(response, kind: str) -> dict:
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    ProblemDetails.model_validate(body)
    assert body["kind"] == kind, body
    return body


def _verified(client: TestClient, expression: str, variables: dict) -> dict:
    response = client.post("/v1/derive", json={"expression": expression, "variables": variables})
    assert response.status_code == 200, response.text
    body = response.json()
    compile(body["code"]["numpy"], "<service>", "exec")
    assert body["verification"]["passed"], body["verification"]
    return body


@pytest.mark.parametrize("comment", ["\\N", "\\x4", "\\u", "\x00", '"""', "\\"])
def test_class1_comment_text_is_a_verified_200(client: TestClient, comment: str) -> None:
    _verified(client, f"s = x.T @ x  # {comment}", {"x": ["n"]})


@pytest.mark.parametrize(
    "variables", [{"x": ["n"], "y\n": ["n"]}, {"x": ["n\n"]}, {"x": ["5*d\n"], "y": ["d"]}]
)
def test_class2_a_trailing_new_line_is_a_declaration_problem(
    client: TestClient, variables: dict
) -> None:
    body = {"expression": "sum(x)", "variables": variables, "verify": False}
    _problem(client.post("/v1/derive", json=body), "declaration")


@pytest.mark.parametrize("dim", ["²", "٣", "3*٣"])
def test_class3_non_ascii_digits_are_a_declaration_problem(client: TestClient, dim: str) -> None:
    body = {"expression": "sum(x)", "variables": {"x": [dim]}, "verify": False}
    problem = _problem(client.post("/v1/derive", json=body), "declaration")
    assert "in ASCII" in problem["hint"]


@pytest.mark.parametrize("literal", ["1" * 5000, "1e999999999", "0." + "0" * 4400 + "1"])
def test_class4_long_literals_are_a_limit_problem(client: TestClient, literal: str) -> None:
    body = {"expression": f"sum(x) * {literal}", "variables": {"x": ["n"]}, "verify": False}
    problem = _problem(client.post("/v1/derive", json=body), "limit")
    assert problem["position"] == {"line": 1, "column": 10}


@pytest.mark.parametrize(
    ("expression", "variables"),
    [
        ("sum(int * x)", {"int": [], "x": ["5*d"]}),
        ("J_x * J_x * x", {"x": ["n"], "J_x": ["n"]}),
        ("sum(grad_x * grad_x * x)", {"x": ["n"], "grad_x": ["n"]}),
    ],
)
def test_class5_colliding_names_are_a_verified_200(
    client: TestClient, expression: str, variables: dict
) -> None:
    body = _verified(client, expression, variables)
    assert not any("undefined" in (c.get("detail") or "") for c in body["verification"]["checks"])


@pytest.mark.parametrize(
    ("path", "raw"),
    [
        ("/v1/derive", b'{"expression": "x.T @ x # \\ud800", "variables": {"x": ["n"]}}'),
        ("/v1/derive", b'{"expression": "x.T @ x \\udfff", "variables": {"x": ["n"]}}'),
        ("/v1/derive", b'{"expression": "sum(x)", "variables": {"x": ["n\\ud800"]}}'),
        ("/v1/derive", b'{"expression": "sum(x)", "variables": {"x\\ud800": ["n"]}}'),
        ("/v1/derive", b'{"expression": "sum(x)", "variables": {"x": ["n"]}, "wrt": ["\\ud800"]}'),
        ("/v1/trace", b'{"expression": "x # \\ud800", "variables": {"x": []}, "values": {"x": 1}}'),
        # the homework routes too (a surrogate in catalog_id once reached the cache key: a 500)
        ("/v1/check", b'{"problem": {"catalog_id": "\\ud800"}, "answer": "x"}'),
        (
            "/v1/check",
            b'{"problem": {"catalog_id": "one-hidden-layer", "names": ["\\ud800"]}, "answer": "x"}',
        ),
        (
            "/v1/check/batch",
            b'{"problem": {"catalog_id": "\\ud800"}, "answers": [{"answer": "x"}]}',
        ),
        (
            "/v1/check/batch",
            b'{"problem": {"catalog_id": "one-hidden-layer"}, "answers": [{"id": "\\ud800", "answer": "x"}]}',
        ),
    ],
)
def test_class7_a_lone_surrogate_is_a_validation_problem(
    client: TestClient, path: str, raw: bytes
) -> None:
    problem = _problem(client.post(path, content=raw, headers=JSON), "validation")
    assert "lone UTF-16 surrogate" in problem["detail"]
    # the worker is still there: the next request is answered
    ok = {"expression": "sum(x)", "variables": {"x": ["n"]}, "verify": False}
    assert client.post("/v1/derive", json=ok).status_code == 200


def test_class7_a_surrogate_pair_is_an_ordinary_character(client: TestClient) -> None:
    raw = b'{"expression": "x.T @ x # \\ud83d\\ude00", "variables": {"x": ["n"]}, "verify": false}'
    assert client.post("/v1/derive", content=raw, headers=JSON).status_code == 200
