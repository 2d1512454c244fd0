"""POST /v1/check and /v1/check/batch with the real library: verdicts, 200 for unreadable
answers, 422 problems for bad problems, and no NumPy-function format (no student code runs)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from service.grading_schemas import CheckBatchResponse, CheckResponse
from service.main import create_app
from service.settings import Settings

NET = {
    "expression": "z = W @ x + b; h = tanh(z); s = u.T @ h",
    "variables": {"W": ["n", "m"], "x": ["m"], "b": ["n"], "u": ["n"]},
    "wrt": "W",
}


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(workers=1, time_limit_seconds=60))) as c:
        yield c


def test_check_correct_and_transposed(client: TestClient) -> None:
    r = client.post("/v1/check", json={"problem": NET, "answer": "delta @ x.T"})
    assert r.status_code == 200, r.text
    body = CheckResponse.model_validate(r.json())
    assert body.correct and body.verdict == "correct" and body.score == 1.0
    assert body.expected_shape == ["n", "m"] and body.answer_latex == "\\delta x^{T}"
    r = client.post("/v1/check", json={"problem": NET, "answer": "x @ delta.T"})
    body = CheckResponse.model_validate(r.json())
    assert body.verdict == "incorrect" and body.diagnosis[0].kind == "transpose"
    assert "(m, n)" in body.diagnosis[0].message and "(n, m)" in body.diagnosis[0].message
    assert "reference_latex" not in r.json()


def test_check_catalog_latex_and_reveal(client: TestClient) -> None:
    problem = {"catalog_id": "one-hidden-layer", "wrt": "W", "reveal_reference": True}
    r = client.post(
        "/v1/check",
        json={"problem": problem, "answer": "u x^T", "answer_format": "latex"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["diagnosis"][0]["kind"] == "missing_factor"
    assert body["reference_latex"] == "\\delta x^{T}"


def test_unreadable_answer_is_feedback_not_an_error(client: TestClient) -> None:
    r = client.post("/v1/check", json={"problem": NET, "answer": "delta @ x.T +"})
    assert r.status_code == 200
    body = r.json()
    assert body["verdict"] == "invalid" and body["diagnosis"][0]["kind"] == "syntax"
    assert body["diagnosis"][0]["details"]["position"] == {"line": 1, "column": 14}


@pytest.mark.parametrize(
    ("problem", "kind"),
    [
        ({**NET, "wrt": "q"}, "not_a_variable"),
        ({**NET, "expression": "z = W @ x +"}, "syntax"),
        ({**NET, "kind": "jacobian"}, "problem"),
        ({"catalog_id": "no-such-entry"}, "not_found"),
    ],
)
def test_bad_problems_are_problems(client: TestClient, problem: dict, kind: str) -> None:
    r = client.post("/v1/check", json={"problem": problem, "answer": "x"})
    assert r.status_code in (404, 422), r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["kind"] == kind


def test_the_service_refuses_numpy_function_answers(client: TestClient) -> None:
    code = "def grad(W, x, b, u):\n    import os\n    return os.system('true')"
    r = client.post("/v1/check", json={"problem": NET, "answer": code, "answer_format": "numpy"})
    assert r.status_code == 422
    assert r.json()["kind"] == "validation"


def test_batch_derives_once_and_keeps_ids(client: TestClient) -> None:
    answers = [
        {"id": "a", "answer": "delta @ x.T"},
        {"id": "b", "answer": "outer(delta, x)"},
        {"id": "c", "answer": "-delta @ x.T"},
        {"answer": "\\delta x^T", "answer_format": "latex"},
        {"answer": "delta @"},
    ]
    r = client.post("/v1/check/batch", json={"problem": NET, "answers": answers})
    assert r.status_code == 200, r.text
    body = CheckBatchResponse.model_validate(r.json())
    verdicts = [x.verdict for x in body.results]
    assert verdicts == ["correct", "correct", "incorrect", "correct", "invalid"]
    assert [x.get("id") for x in r.json()["results"]] == ["a", "b", "c", None, None]
