"""NumPy-function answers: run in a limited subprocess, diagnosed like typed answers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from derivations.grading import Problem
from derivations.grading.numpy_answers import check_function, run_function

NET = Problem(
    program="z = W @ x + b; h = tanh(z); s = u.T @ h",
    variables={"W": ["n", "m"], "x": ["m"], "b": ["n"], "u": ["n"]},
    wrt="W",
)
CODE = """import numpy as np

def right(W, x, b, u):
    h = np.tanh(W @ x + b)
    return np.outer(u * (1 - h ** 2), x)

def transposed(W, x, b, u):
    return right(W, x, b, u).T

def half(W, x, b, u):
    return right(W, x, b, u) / 2

def no_factor(W, x, b, u):
    return np.outer(u, x)

def wrong_shape(W, x, b, u):
    return np.zeros(3)

def spin(W, x, b, u):
    while True:
        pass

def hog(W, x, b, u):
    return np.ones((20000, 20000))

def writes(W, x, b, u):
    open("leak.txt", "w").write("x" * 10)
    return right(W, x, b, u)
"""


@pytest.fixture(scope="module")
def student(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("student") / "gradients.py"
    path.write_text(CODE)
    return path


@pytest.mark.parametrize(
    ("function", "verdict", "kind", "phrase"),
    [
        ("right", "correct", None, "Correct"),
        ("transposed", "incorrect", "transpose", "(m, n)"),
        ("half", "incorrect", "scale", "1/2 times"),
        ("no_factor", "incorrect", "missing_factor", "1 - \\tanh^{2}"),
        ("wrong_shape", "incorrect", "shape", "(3,)"),
        ("missing", "invalid", "runtime", "has no attribute"),
    ],
)
def test_numpy_answers_get_the_typed_diagnosis(
    student: Path, function: str, verdict: str, kind: str | None, phrase: str
) -> None:
    result = check_function(NET, student, function)
    assert result.verdict == verdict, result.feedback
    assert (result.diagnosis[0].kind if result.diagnosis else None) == kind
    assert phrase in result.feedback


def test_a_function_that_never_returns_is_stopped(student: Path) -> None:
    values, error = run_function(
        student, "spin", [{"W": [[1.0]], "x": [1.0], "b": [0.0], "u": [1.0]}], seconds=1.0
    )
    assert values is None and error is not None
    assert "within 1 s" in error or "out of time" in error


def test_memory_is_capped_and_files_cannot_be_written(student: Path) -> None:
    draw = [{"W": [[1.0, 2.0], [3.0, 4.0]], "x": [1.0, 2.0], "b": [0.0, 0.0], "u": [1.0, 1.0]}]
    values, error = run_function(student, "hog", draw, memory_mb=512)
    assert values is None and "MemoryError" in (error or "")
    values, error = run_function(student, "writes", draw)
    assert not (student.parent / "leak.txt").exists()  # it ran in a scratch directory


DAEMON = """
import os, time
MARK = {mark!r}
if os.fork() == 0:
    os.setsid()  # out of the process group: killing the group would miss it
    os.closerange(0, 3)  # a daemon lets go of the grader's pipes
    if os.fork() == 0:
        open(os.path.join(MARK, str(os.getpid())), "w").close()
        time.sleep(60)  # then it would replace results.json with the student's own
    os._exit(0)
for _ in range(2000):
    if os.listdir(MARK):
        break
    time.sleep(0.005)


def grad(W, x, b, u):
    return W
"""


def test_a_daemon_the_file_forks_does_not_outlive_the_run(tmp_path: Path) -> None:
    mark = tmp_path / "mark"
    mark.mkdir()
    path = tmp_path / "daemon.py"
    path.write_text(DAEMON.format(mark=str(mark)))
    values, error = run_function(path, "grad", [{"W": [[1.0]], "x": [1.0], "b": [0.0], "u": [1.0]}])
    assert error is None and values is not None
    (pid,) = [int(p.name) for p in mark.iterdir()]
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
