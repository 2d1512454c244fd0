"""PrairieLearn: an external grader's results.json.

The grading job sees the student's files in /grade/student/, the question's data in
/grade/data/data.json (its ``submitted_answers`` map question ids to answer text) and the
question's own files in /grade/tests/ (the assignment). Results go to
/grade/results/results.json: ``gradable``, ``score`` (0 to 1), ``message`` and ``tests`` of
``{name, points, max_points, message, output}``. An answer that cannot be read makes the
submission not gradable (``format_errors``), so the student keeps the attempt.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .assignment import GradedSubmission


def results(graded: GradedSubmission) -> dict[str, Any]:
    invalid = [
        f"{g.question.id}: {g.result.diagnosis[0].message}"
        for g in graded.questions
        if g.result is not None and g.result.verdict == "invalid"
    ]
    if invalid:
        return {"gradable": False, "format_errors": invalid, "message": "; ".join(invalid)}
    tests = [
        {
            "name": g.question.title or g.question.id,
            "points": round(g.points, 4),
            "max_points": g.question.points,
            "message": g.message,
            "output": _evidence(g),
        }
        for g in graded.questions
    ]
    total = graded.assignment.max_points
    score = sum(t["points"] for t in tests) / total if total else 0.0
    return {
        "gradable": True,
        "score": round(min(1.0, max(0.0, score)), 6),
        "message": f"{graded.assignment.title}: {score:.0%}",
        "tests": tests,
    }


def _evidence(g: Any) -> str:
    if g.result is None:
        return ""
    ev = g.result.evidence
    if not ev:
        return ""
    return f"checked at {ev.get('draws', 0)} random inputs, sizes {ev.get('sizes')}"


def grade_root() -> Path:
    return Path(os.environ.get("CHAINRULE_GRADE_ROOT", "/grade"))
