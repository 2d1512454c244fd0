"""Gradescope: results.json per its autograder specification, and the autograder zip.

results.json has the submission's ``score`` (points), an ``output`` for the whole submission
and one test per question: ``{name, score, max_score, status, output, output_format,
visibility}``. The zip holds ``setup.sh`` (installs chainrule from the wheel inside the zip),
``run_autograder`` (reads /autograder/submission, writes /autograder/results/results.json) and
the assignment.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from ..errors import ChainruleError
from .assignment import GradedSubmission

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once when it builds the autograder image.
set -euo pipefail
cd /autograder/source
if ! command -v python3 >/dev/null 2>&1; then
  apt-get update && apt-get install -y python3 python3-pip
fi
python3 -m pip install --upgrade pip
python3 -m pip install wheels/*.whl
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this per submission: answers in $ROOT/submission, results in $ROOT/results.
set -uo pipefail
ROOT="${CHAINRULE_AUTOGRADER_ROOT:-/autograder}"
cd "$ROOT/source"
exec "${CHAINRULE_PYTHON:-python3}" -m derivations.grading.autograder gradescope
"""


def results(graded: GradedSubmission) -> dict[str, Any]:
    tests = []
    for g in graded.questions:
        q = g.question
        tests.append(
            {
                "name": q.title or q.id,
                "score": round(g.points, 4),
                "max_score": q.points,
                "status": "passed" if g.result is not None and g.result.correct else "failed",
                "output": g.message,
                "output_format": "md",
                "visibility": "visible",
            }
        )
    total = sum(t["score"] for t in tests)
    return {
        "score": round(total, 4),
        "output": f"{graded.assignment.title}: {total:g} of {graded.assignment.max_points:g} points.",
        "output_format": "md",
        "visibility": "visible",
        "tests": tests,
    }


def project_root() -> Path | None:
    """The source checkout this chainrule runs from (the wheel is built from it), if any."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").is_file() else None


def build_wheel(out_dir: Path) -> Path:
    root = project_root()
    if root is None:
        raise ChainruleError(
            "assignment",
            "chainrule is not running from a source checkout, so no wheel can be built",
            hint="pass --wheel PATH with a chainrule wheel (pip wheel --no-deps .)",
        )
    with tempfile.TemporaryDirectory() as build:
        done = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps",
             "-q", "-w", build, str(root)],
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        wheels = list(Path(build).glob("chainrule-*.whl"))
        if done.returncode != 0 or not wheels:
            raise ChainruleError(
                "assignment", "building the chainrule wheel failed: " + done.stderr[-500:]
            )
        target = out_dir / wheels[0].name
        shutil.copy(wheels[0], target)
        return target


def bundle(assignment_path: Path, out: Path, wheel: Path | None = None) -> Path:
    """Write the autograder zip: setup.sh, run_autograder, assignment.toml, wheels/."""
    from .assignment import load_assignment

    load_assignment(assignment_path)  # refuse a broken assignment before packaging it
    for q in load_assignment(assignment_path).questions:
        q.problem()
    with tempfile.TemporaryDirectory() as tmp:
        wheel = wheel or build_wheel(Path(tmp))
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for name, text in (("setup.sh", SETUP_SH), ("run_autograder", RUN_AUTOGRADER)):
                info = zipfile.ZipInfo(name)
                info.external_attr = 0o755 << 16
                z.writestr(info, text)
            z.write(assignment_path, "assignment.toml")
            z.write(wheel, f"wheels/{Path(wheel).name}")
    return out


def autograder_root() -> Path:
    return Path(os.environ.get("CHAINRULE_AUTOGRADER_ROOT", "/autograder"))
