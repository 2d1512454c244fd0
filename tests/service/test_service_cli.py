"""The console script, the committed OpenAPI document and the Dockerfile."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from service import cli
from service.main import app

ROOT = Path(__file__).resolve().parents[2]
REGENERATE = "regenerate it with: chainrule openapi > openapi/openapi.json"


def test_committed_openapi_document_is_current() -> None:
    path = ROOT / "openapi" / "openapi.json"
    assert path.exists(), f"openapi/openapi.json is missing; {REGENERATE}"
    expected = cli.openapi_json(app.openapi())
    assert path.read_text().strip() == expected, (
        f"openapi/openapi.json is out of date; {REGENERATE}"
    )


def test_openapi_command_prints_the_document(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["openapi"]) == 0
    printed = capsys.readouterr().out
    assert json.loads(printed) == app.openapi()
    assert printed.strip() == cli.openapi_json(app.openapi())


def test_operation_ids_are_stable_and_errors_are_problems() -> None:
    doc = app.openapi()
    ops = {
        (path, method): op["operationId"]
        for path, item in doc["paths"].items()
        for method, op in item.items()
    }
    assert ops == {
        ("/v1/derive", "post"): "derive",
        ("/v1/trace", "post"): "trace",
        ("/v1/catalog", "get"): "list_catalog",
        ("/v1/catalog/{entry_id}", "get"): "get_catalog_entry",
        ("/v1/check", "post"): "check",
        ("/v1/check/batch", "post"): "check_batch",
        ("/healthz", "get"): "healthz",
    }
    for item in doc["paths"].values():
        for op in item.values():
            for code, response in op["responses"].items():
                if int(code) >= 400:
                    assert list(response["content"]) == ["application/problem+json"], code
    assert doc["paths"]["/v1/derive"]["post"]["responses"]["413"]
    assert "examples" in doc["components"]["schemas"]["DeriveRequest"]


def test_serve_runs_uvicorn_on_loopback_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **kw: calls.append((app, kw)))
    assert cli.main(["serve", "--workers", "1", "--port", "9123"]) == 0
    served, options = calls[0]
    assert options["host"] == "127.0.0.1" and options["port"] == 9123
    assert served.state.settings.workers == 1


def test_library_commands_are_still_there() -> None:
    parser = cli.build_service_parser()
    assert parser.parse_args(["derive", "x", "--var", "x"]).command == "derive"
    assert parser.parse_args(["serve"]).host == "127.0.0.1"


def test_dockerfile_has_the_required_instructions() -> None:
    text = (ROOT / "Dockerfile").read_text()
    lines = [
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    ]
    assert lines[0].startswith("FROM python:3.11-slim")
    assert any(line.startswith("RUN pip install .") for line in lines)
    assert any(line.startswith("USER ") and "root" not in line for line in lines)
    assert "EXPOSE 8000" in lines
    assert "HEALTHCHECK" in text and "/healthz" in text and "urllib" in text
    assert lines[-1] == 'CMD ["chainrule", "serve", "--host", "0.0.0.0", "--port", "8000"]'
    ignored = (ROOT / ".dockerignore").read_text().split()
    for entry in (".venv", ".git", "tests", ".pytest_cache"):
        assert entry in ignored
