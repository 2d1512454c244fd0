"""``--json`` prints errors as the service's problem document too (issue 8 §5)."""

from __future__ import annotations

import json

import pytest

from derivations.cli import main
from derivations.errors import ChainruleError


def _problem(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.err == ""
    return json.loads(captured.out)


def test_derive_json_prints_a_syntax_error_as_a_problem(capsys) -> None:
    body = _problem(capsys, ["derive", "W x", "--var", "W=n,m", "--var", "x=m", "--json"])
    assert body["type"] == "/problems/syntax" and body["status"] == 422
    assert body["title"] == "Syntax error" and body["kind"] == "syntax"
    assert body["position"] == {"line": 1, "column": 3}
    assert "W @ x" in body["hint"] and "^" in body["excerpt"]


def test_derive_json_prints_a_declaration_error_as_a_problem(capsys) -> None:
    body = _problem(capsys, ["derive", "sum(x)", "--var", "x=²", "--json"])
    assert body["kind"] == "declaration" and "write the digit 2 in ASCII" in body["hint"]


def test_trace_and_catalog_json_print_problems(capsys) -> None:
    body = _problem(capsys, ["trace", "x * 2", "--var", "x", "--at", "x=[1,", "--json"])
    assert body["kind"] == "value" and "JSON" in body["detail"]
    body = _problem(capsys, ["trace", "x * 2", "--var", "x", "--at", "x=" + "9" * 5000, "--json"])
    assert body["kind"] == "value"
    body = _problem(capsys, ["catalog", "no-such-entry", "--json"])
    assert body["kind"] == "not_found" and body["status"] == 404


def test_without_json_errors_stay_text_on_stderr(capsys) -> None:
    assert main(["derive", "np.tanh(x)", "--var", "x=n"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "drop the 'np.' prefix" in captured.err


@pytest.mark.parametrize(
    "error",
    [
        ChainruleError("syntax", "unexpected 'x'", 1, 3, "write W @ x", "W x"),
        ChainruleError.limit("max_depth", 7, "too deep", "split it"),
        ChainruleError("not_found", "no catalog entry", hint="see chainrule catalog"),
        ChainruleError("value", "bad value"),
    ],
)
def test_the_cli_problem_is_the_services_problem(error: ChainruleError) -> None:
    problems = pytest.importorskip("service.problems")
    assert error.to_problem() == problems.chainrule_problem(error)
