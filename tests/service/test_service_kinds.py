"""POST /v1/derive, /v1/trace and /v1/check with declarations: roles, kinds, and their errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from service.grading_schemas import CheckResponse
from service.main import create_app
from service.schemas import DeriveResponse, ProblemDetails
from service.settings import Settings
from tests.helpers import CE, CE_VARS


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(workers=1, time_limit_seconds=60))) as c:
        yield c


def test_derive_with_data_and_a_kind(client: TestClient) -> None:
    r = client.post("/v1/derive", json={"expression": CE, "variables": CE_VARS})
    assert r.status_code == 200, r.text
    body = r.json()
    DeriveResponse.model_validate(body)
    assert [d["wrt"] for d in body["derivatives"]] == ["W", "b"]
    delta = next(d for d in body["definitions"] if d["role"] == "adjoint")
    assert delta["latex"] == r"\operatorname{softmax}\left(W x + b\right) - y"
    assert body["declarations"]["y"] == {"role": "data", "kind": "onehot"}
    assert body["assumptions"] == {"y": ["\\sum y = 1"]}
    assert body["verification"]["passed"] is True


@pytest.mark.parametrize(
    ("variable", "where"),
    [
        ({"shape": ["k"], "kind": "onehat"}, "kind"),
        ({"shape": ["k"], "role": "label"}, "role"),
        ({"shape": ["k"], "colour": "red"}, "colour"),
        ({"kind": "onehot"}, "shape"),
        ({"shape": [True]}, "shape"),
    ],
)
def test_bad_declarations_are_422_problems(client: TestClient, variable: dict, where: str) -> None:
    r = client.post(
        "/v1/derive", json={"expression": "y.T @ z", "variables": {"z": ["k"], "y": variable}}
    )
    assert r.status_code == 422, r.text
    body = r.json()
    ProblemDetails.model_validate(body)
    assert where in r.text


def test_a_kind_that_does_not_fit_the_shape_is_a_declaration_problem(client: TestClient) -> None:
    r = client.post(
        "/v1/derive",
        json={"expression": "sum(A)", "variables": {"A": {"shape": ["k"], "kind": "symmetric"}}},
    )
    assert r.status_code == 422 and r.json()["kind"] == "declaration", r.text
    assert "square matrix" in r.json()["detail"]


def test_trace_checks_the_values_against_the_kind(client: TestClient) -> None:
    body = {
        "expression": "y.T @ z",
        "variables": {"z": [3], "y": {"shape": [3], "kind": "onehot"}},
        "values": {"z": [1, 2, 3], "y": [0, 1, 1]},
    }
    r = client.post("/v1/trace", json=body)
    assert r.status_code == 422 and r.json()["kind"] == "value", r.text
    body["values"]["y"] = [0, 1, 0]
    assert client.post("/v1/trace", json=body).status_code == 200


def test_check_with_a_one_hot_label(client: TestClient) -> None:
    problem = {
        "expression": "J = -y.T @ log_softmax(z)",
        "variables": {"z": ["k"], "y": {"shape": ["k"], "kind": "onehot"}},
        "wrt": "z",
    }
    r = client.post("/v1/check", json={"problem": problem, "answer": "softmax(z) - y"})
    assert r.status_code == 200, r.text
    assert CheckResponse.model_validate(r.json()).verdict == "correct"


LABELLED = {"z": ["k"], "y": {"kind": "label", "classes": "k"}}


def test_derive_by_class_label_shows_tip_3s_cases(client: TestClient) -> None:
    r = client.post("/v1/derive", json={"expression": "cross_entropy(z, y)", "variables": LABELLED})
    assert r.status_code == 200, r.text
    body = r.json()
    DeriveResponse.model_validate(body)
    (item,) = body["derivatives"]
    assert item["latex"] == r"\operatorname{softmax}\left(z\right) - \mathbf{e}_{y}"
    assert [c["when"] for c in item["cases"]] == ["i = y + 1", r"i \neq y + 1"]
    assert body["verification"]["passed"] is True


def test_label_errors_are_problems(client: TestClient) -> None:
    r = client.post(
        "/v1/derive",
        json={"expression": "cross_entropy(z, y)", "variables": LABELLED, "wrt": ["y"]},
    )
    assert r.status_code == 422 and r.json()["kind"] == "not_a_variable", r.text
    r = client.post("/v1/derive", json={"expression": "y * z", "variables": LABELLED})
    assert r.status_code == 422 and "class label" in r.json()["detail"], r.text
    r = client.post(
        "/v1/trace",
        json={"expression": "cross_entropy(z, y)", "variables": LABELLED,
              "values": {"z": [1, 2, 3], "y": 3}},
    )  # fmt: skip
    assert r.status_code == 422 and r.json()["kind"] == "value", r.text


def test_derive_with_a_matrix_of_labels_along_an_axis(client: TestClient) -> None:
    variables = {"Z": ["T", "c"], "Y": {"shape": ["T", "c"], "kind": "onehot", "axis": 1}}
    program = "J = -sum(Y * log_softmax(Z, axis=1))"
    r = client.post("/v1/derive", json={"expression": program, "variables": variables})
    assert r.status_code == 200, r.text
    body = r.json()
    DeriveResponse.model_validate(body)
    assert (
        body["derivatives"][0]["latex"]
        == r"\operatorname{softmax}_{\mathrm{row}}\left(Z\right) - Y"
    )
    assert body["declarations"]["Y"] == {"role": "data", "kind": "onehot", "axis": 1}
    assert body["assumptions"] == {"Y": [r"Y \mathbf{1} = \mathbf{1}"]}
    del variables["Y"]["axis"]
    r = client.post("/v1/derive", json={"expression": program, "variables": variables})
    assert r.status_code == 422 and r.json()["kind"] == "declaration", r.text
    assert "which axis" in r.json()["detail"] and '"axis": 1' in r.json()["hint"]
