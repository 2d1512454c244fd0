"""Acceptance for issue 14's batches: a batched layer with a broadcast bias and the axis ops,
through the real service and the command line (the library's own tests are in tests/calculus)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from derivations.cli import main
from service.main import create_app
from service.schemas import DeriveResponse
from service.settings import Settings

BATCH = "Z = W @ X + b; H = tanh(Z); J = -sum(Y * log_softmax(U @ H, axis=0))"
BATCH_VARS = {"W": ["n", "m"], "X": ["m", "B"], "b": ["n"], "U": ["k", "n"], "Y": ["k", "B"]}


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(workers=1, time_limit_seconds=60))) as c:
        yield c


def test_the_service_derives_a_batch_with_a_broadcast_bias(client: TestClient) -> None:
    response = client.post(
        "/v1/derive", json={"expression": BATCH, "variables": BATCH_VARS, "wrt": ["W", "b"]}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    DeriveResponse.model_validate(body)
    assert body["verification"]["passed"] is True
    latex = {d["wrt"]: d["latex"] for d in body["derivatives"]}
    assert latex["b"].endswith(r"\mathbf{1}")  # Δ 𝟏: the sum over the batch
    definitions = {d["name"]: d["latex"] for d in body["definitions"]}
    assert definitions["Z"] == r"W X + b \mathbf{1}^{T}"


@pytest.mark.parametrize(
    ("expression", "variables", "kind", "column"),
    [
        ("W @ X + b", {"W": ["n", "m"], "X": ["m", "B"], "b": ["m"]}, "shape_mismatch", 7),
        ("sum(X, axis=3)", {"X": ["n", "B"]}, "value", 8),
        ("softmax(x, axis=1)", {"x": ["n"]}, "shape_mismatch", 12),
        ("sum(axis=0, X)", {"X": ["n", "B"]}, "syntax", 13),
    ],
)
def test_batch_errors_are_problems_with_a_position(
    client: TestClient, expression: str, variables: dict, kind: str, column: int
) -> None:
    response = client.post("/v1/derive", json={"expression": expression, "variables": variables})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["kind"] == kind, body
    assert body["position"]["column"] == column and body["hint"]


def test_the_cli_derives_a_row_wise_softmax(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["derive", "A = softmax(Q @ K.T, axis=1); s = sum(A @ V)"]
    args += ["--var", "Q=T,d", "--var", "K=T,d", "--var", "V=T,d", "--json"]
    assert main(args) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["verification"]["passed"] is True
    assert {x["name"]: x["latex"] for x in d["definitions"]}["A"] == (
        r"\operatorname{softmax}_{\mathrm{row}}\left(Q K^{T}\right)"
    )


def test_the_cli_explains_a_bad_axis(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["derive", "sum(x, axis=1)", "--var", "x=n"]) == 2
    err = capsys.readouterr().err
    assert "line 1, column 8" in err and "axis 1 of a vector (n,)" in err
