"""The entry point inside a grading container: ``python -m derivations.grading.autograder``.

``gradescope``: the assignment in $ROOT/source/assignment.toml, the submission in
$ROOT/submission (answers.json or answers.toml, and any NumPy files), results in
$ROOT/results/results.json, with ROOT = $CHAINRULE_AUTOGRADER_ROOT or /autograder.
``prairielearn``: the assignment in $ROOT/tests/assignment.toml, answers from
$ROOT/data/data.json (``submitted_answers``) and $ROOT/student, results in
$ROOT/results/results.json, with ROOT = $CHAINRULE_GRADE_ROOT or /grade.
A broken submission still gets a results file that says what is wrong.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from ..errors import ChainruleError
from . import gradescope, prairielearn
from .assignment import grade_submission, load_answers, load_assignment


def _answers_in(directory: Path) -> dict[str, Any]:
    for name in ("answers.json", "answers.toml"):
        if (directory / name).is_file():
            return load_answers(directory / name)
    return {}


def _write(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


def run_gradescope(root: Path) -> dict[str, Any]:
    try:
        assignment = load_assignment(root / "source" / "assignment.toml")
        submission = root / "submission"
        graded = grade_submission(assignment, _answers_in(submission), submission)
        out = gradescope.results(graded)
    except ChainruleError as exc:
        out = {"score": 0.0, "output": f"The submission could not be graded: {exc}", "tests": []}
    _write(root / "results" / "results.json", out)
    return out


def run_prairielearn(root: Path) -> dict[str, Any]:
    try:
        assignment = load_assignment(root / "tests" / "assignment.toml")
        answers = _answers_in(root / "student")
        data_path = root / "data" / "data.json"
        if data_path.is_file():
            data = json.loads(data_path.read_text(encoding="utf-8"))
            submitted = data.get("submitted_answers") or {}
            answers.update({k: v for k, v in submitted.items() if isinstance(v, str | dict)})
        graded = grade_submission(assignment, answers, root / "student")
        out = prairielearn.results(graded)
    except (ChainruleError, json.JSONDecodeError) as exc:
        out = {"gradable": False, "format_errors": [str(exc)], "message": str(exc)}
    _write(root / "results" / "results.json", out)
    return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["gradescope"]:
        run_gradescope(gradescope.autograder_root())
        return 0
    if args[:1] == ["prairielearn"]:
        run_prairielearn(prairielearn.grade_root())
        return 0
    print(
        "usage: python -m derivations.grading.autograder gradescope|prairielearn", file=sys.stderr
    )
    return 2


if __name__ == "__main__":
    sys.exit(main())
