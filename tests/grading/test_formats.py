"""Assignments graded to Gradescope and PrairieLearn results, validated against schemas written
from their specifications; the autograder zip's run_autograder runs on a fake /autograder tree."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest

from derivations.cli import main
from derivations.grading import gradescope, prairielearn
from derivations.grading.assignment import grade_submission, load_assignment
from derivations.grading.autograder import run_prairielearn

HERE = Path(__file__).parent
ASSIGNMENT = HERE / "assignment_example.toml"
GOOD_CODE = """import numpy as np

def grad_W(W, x, b, u):
    h = np.tanh(W @ x + b)
    return np.outer(u * (1 - h ** 2), x)
"""
HALF_CODE = GOOD_CODE.replace("return np.outer", "return 0.5 * np.outer")


def _schema(name: str) -> dict:
    return json.loads((HERE / "schemas" / name).read_text())


def _submission(tmp: Path, answers: dict, code: str = GOOD_CODE) -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "answers.json").write_text(json.dumps(answers))
    (tmp / "gradients.py").write_text(code)
    return tmp


def test_gradescope_results_follow_the_spec(tmp_path: Path) -> None:
    sub = _submission(tmp_path, {"dW": "x @ delta.T", "db": "\\delta"})
    graded = grade_submission(
        load_assignment(ASSIGNMENT), json.loads((sub / "answers.json").read_text()), sub
    )
    out = gradescope.results(graded)
    jsonschema.validate(out, _schema("gradescope_results.json"))
    scores = {t["name"]: t["score"] for t in out["tests"]}
    assert scores == {"ds/dW": 0.5, "db": 1.0, "dx-code": 2.0}  # transpose credit 0.25 of 2
    assert out["score"] == 3.5
    assert [t["status"] for t in out["tests"]] == ["failed", "passed", "passed"]


def test_known_wrong_answer_gets_its_feedback_and_credit(tmp_path: Path) -> None:
    sub = _submission(tmp_path, {"dW": "outer(u, x)"}, HALF_CODE)
    graded = grade_submission(load_assignment(ASSIGNMENT), {"dW": "outer(u, x)"}, sub)
    dw, db, code = graded.questions
    assert dw.result is not None and dw.result.kinds == ["known_wrong"]
    assert dw.points == pytest.approx(0.2) and "f'(z)" in dw.message
    assert db.points == 0 and "No answer" in db.message
    assert code.result is not None and code.result.kinds == ["scale"]
    assert "1/2 times" in code.message


def test_prairielearn_results_follow_the_spec(tmp_path: Path) -> None:
    root = tmp_path / "grade"
    (root / "tests").mkdir(parents=True)
    (root / "tests" / "assignment.toml").write_text(ASSIGNMENT.read_text())
    _submission(root / "student", {})
    (root / "data").mkdir()
    data = {"submitted_answers": {"dW": "delta @ x.T", "db": "-\\delta"}, "params": {}}
    (root / "data" / "data.json").write_text(json.dumps(data))
    out = run_prairielearn(root)
    written = json.loads((root / "results" / "results.json").read_text())
    assert written == out
    jsonschema.validate(out, _schema("prairielearn_results.json"))
    assert out["gradable"] is True
    assert out["score"] == pytest.approx((2 + 0.5 + 2) / 5)
    assert [t["points"] for t in out["tests"]] == [2.0, 0.5, 2.0]


def test_prairielearn_unreadable_answer_is_not_gradable(tmp_path: Path) -> None:
    sub = _submission(tmp_path, {})
    graded = grade_submission(load_assignment(ASSIGNMENT), {"dW": "delta @", "db": "\\delta"}, sub)
    out = prairielearn.results(graded)
    jsonschema.validate(out, _schema("prairielearn_results.json"))
    assert out["gradable"] is False and "dW" in out["format_errors"][0]


def test_cli_grade_formats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sub = _submission(tmp_path, {"dW": "delta @ x.T", "db": "\\delta^T"})
    for fmt, schema in (
        ("gradescope", "gradescope_results.json"),
        ("prairielearn", "prairielearn_results.json"),
    ):
        assert main(["grade", str(ASSIGNMENT), str(sub / "answers.json"), "--format", fmt]) == 0
        jsonschema.validate(json.loads(capsys.readouterr().out), _schema(schema))
    assert main(["grade", str(ASSIGNMENT), str(sub / "answers.json")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["score"] == pytest.approx(2 + 0.75 + 2) and out["max_score"] == 5


def test_cli_grade_reports_a_broken_assignment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[questions]]\nid = "q"\npoints = 1\nprogram = "x"\n')
    (tmp_path / "a.json").write_text("{}")
    assert main(["grade", str(bad), str(tmp_path / "a.json")]) == 2
    assert "needs program and variables" in capsys.readouterr().err


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "autograder.zip"
    assert main(["grade", "--gradescope-bundle", str(ASSIGNMENT), str(out)]) == 0
    return out


def test_bundle_holds_setup_wheel_and_run_autograder(bundle: Path) -> None:
    with zipfile.ZipFile(bundle) as z:
        names = z.namelist()
        setup = z.read("setup.sh").decode()
        mode = z.getinfo("run_autograder").external_attr >> 16
    assert {"setup.sh", "run_autograder", "assignment.toml"} <= set(names)
    wheels = [n for n in names if n.startswith("wheels/chainrule-") and n.endswith(".whl")]
    assert wheels and "pip install wheels/*.whl" in setup
    assert mode & 0o111


def test_run_autograder_on_a_fake_autograder_tree(bundle: Path, tmp_path: Path) -> None:
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle) as z:
        z.extractall(root / "source")
    _submission(root / "submission", {"dW": "delta @ x.T", "db": "\\delta"}, HALF_CODE)
    env = {**os.environ, "CHAINRULE_AUTOGRADER_ROOT": str(root), "CHAINRULE_PYTHON": sys.executable}
    done = subprocess.run(
        ["bash", str(root / "source" / "run_autograder")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, _schema("gradescope_results.json"))
    assert [t["score"] for t in results["tests"]] == [2.0, 1.0, 1.0]
    assert "1/2 times" in results["tests"][2]["output"]
