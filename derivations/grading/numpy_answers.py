"""NumPy-function answers (CS231n style), graded only by the CLI grader, never the service.

The student's file runs in a separate Python process (isolated mode, no site directory of the
user) under a CPU-time limit, an address-space cap (``resource.setrlimit``) and a wall-clock
timeout. That process imports the file, calls the named function at the judge's draws and
sends back the arrays as JSON; nothing of the student's code runs in the grader itself. The
returned arrays stand in for the answer as an ``Observed`` leaf, so the same diagnosis (a
transposed or half-size gradient, a sign, a missing factor) applies as for a typed answer.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from ..expr import nodes as N
from ..expr import shapes as S
from .check import Context, context, judge_node
from .containment import become_subreaper, children, kill_new_children
from .diagnosis import Diagnosis, shape_text, what_is_asked
from .problem import Problem
from .result import CheckResult, feedback_markdown

TIME_LIMIT_SECONDS = 10.0
MEMORY_MB = 1024

RUNNER = r"""
import importlib.util, json, sys
import numpy as np
path, name = sys.argv[1], sys.argv[2]
draws = json.loads(sys.stdin.read())
spec = importlib.util.spec_from_file_location("student_answer", path)
module = importlib.util.module_from_spec(spec)
out = {"values": [], "error": None}
try:
    spec.loader.exec_module(module)
    fn = getattr(module, name)
    for inputs in draws:
        args = {k: (np.array(v, dtype=float) if isinstance(v, list) else float(v)) for k, v in inputs.items()}
        value = np.asarray(fn(**args), dtype=float)
        out["values"].append({"shape": list(value.shape), "data": value.ravel().tolist()})
except BaseException as exc:
    out["error"] = f"{type(exc).__name__}: {exc}"[:2000]
sys.stdout.write(json.dumps(out))
"""


def _limits(memory_mb: int, seconds: float) -> Any:
    def apply() -> None:
        import resource

        cap = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        cpu = int(seconds) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
        resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # it may not write files

    return apply


def run_function(
    path: Path,
    function: str,
    draws: list[dict[str, Any]],
    seconds: float = TIME_LIMIT_SECONDS,
    memory_mb: int = MEMORY_MB,
) -> tuple[list[np.ndarray] | None, str | None]:
    """The function's values at the draws, or None and what went wrong."""
    payload = json.dumps([{k: np.asarray(v).tolist() for k, v in d.items()} for d in draws])
    env = {"PATH": os.environ.get("PATH", ""), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    # The file runs from an empty scratch directory (files it makes stay empty: RLIMIT_FSIZE
    # is 0) that is removed afterwards.
    # Whatever the file forks (a daemon that would rewrite results.json later) is adopted
    # and killed when the run ends (containment.py).
    become_subreaper()
    before = children()
    with tempfile.TemporaryDirectory(prefix="chainrule-student-") as scratch:
        try:
            done = subprocess.run(
                [sys.executable, "-I", "-c", RUNNER, str(path.resolve()), function],
                input=payload, capture_output=True, text=True, timeout=seconds, env=env,
                cwd=scratch, preexec_fn=_limits(memory_mb, seconds), start_new_session=True,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            return None, f"your function did not finish within {seconds:g} s"
        finally:
            kill_new_children(before)
    if done.returncode != 0 or not done.stdout:
        why = "it ran out of time or memory" if done.returncode < 0 else done.stderr[-500:]
        return None, f"your file could not be run ({why.strip() or 'no output'})"
    try:
        out = json.loads(done.stdout)
    except json.JSONDecodeError:
        return None, "your file printed to standard output; remove the print statements"
    if out.get("error"):
        return None, f"calling {function} failed: {out['error']}"
    values = [np.asarray(v["data"], dtype=float).reshape(v["shape"]) for v in out["values"]]
    return values, None


class Observed(N.Node):
    """The student's function as a leaf: its values are supplied per draw, never computed."""

    __slots__ = ()

    def __init__(self, token: str, shape: S.Shape) -> None:
        super().__init__((), (token, shape))

    def _shape(self) -> S.Shape:
        return self.params[1]


def _internal(value: np.ndarray) -> np.ndarray:
    if value.ndim == 0:
        return value.reshape(1, 1)
    if value.ndim == 1:
        return value.reshape(-1, 1)
    return value


def _symbolic_shape(ctx: Context, values: list[np.ndarray]) -> S.Shape | None:
    """The answer's shape if every draw agrees with the expected shape or its transpose."""
    expected = ctx.ref.expected_shape
    for shape in (expected, S.transpose(expected)):
        ok = True
        for draw, value in zip(ctx.judge.draws, values, strict=True):
            want = tuple(int(d.xreplace(draw.dims)) for d in shape)
            got = _internal(value).shape
            if value.ndim == 1 and S.is_vector(shape):
                got = want if value.shape[0] == max(want) else got
            ok = ok and got == want
        if ok:
            return shape
    return None


def check_function(problem: Problem, path: Path, function: str) -> CheckResult:
    ctx = context(problem)
    draws = ctx.judge.draws
    values, error = run_function(path, function, [d.inputs for d in draws])
    if values is None:
        return _failed(ctx, "runtime", error or "no values")
    shape = _symbolic_shape(ctx, values)
    if shape is None:
        first = draws[0]
        sizes = ", ".join(f"{k} = {v}" for k, v in first.sizes.items())
        got = tuple(values[0].shape)
        message = (
            f"Your function returned an array of shape {got} at {sizes}; {what_is_asked(ctx.ref)}."
        )
        return _failed(ctx, "shape", message, verdict="incorrect")
    leaf = Observed(f"{path.name}:{function}", shape)
    for draw, value in zip(draws, values, strict=True):
        internal = _internal(value)
        draw.memo[leaf] = internal.T if internal.shape != _concrete(shape, draw) else internal
    try:
        return judge_node(ctx, leaf)
    finally:
        for draw in draws:
            draw.memo.pop(leaf, None)  # keep the cached draws free of student values
            _forget(draw, leaf)


def _concrete(shape: S.Shape, draw: Any) -> tuple[int, int]:
    return tuple(int(d.xreplace(draw.dims)) for d in shape)  # type: ignore[return-value]


def _forget(draw: Any, leaf: N.Node) -> None:
    """Drop memoised candidates built on the student's values (they hold the leaf)."""
    stale = [n for n in draw.memo if leaf in N.walk(n)]
    for n in stale:
        del draw.memo[n]


def _failed(ctx: Context, kind: str, message: str, verdict: str = "invalid") -> CheckResult:
    result = CheckResult(
        correct=False,
        score=0.0,
        verdict=verdict,
        diagnosis=[Diagnosis(kind, message, 0.0)],
        expected_shape=S.user_shape(ctx.ref.expected_shape),
        answer_shape=None,
        answer_latex=None,
        evidence={},
        feedback="",
    )
    result.feedback = feedback_markdown(result, f"∂{ctx.ref.symbol}/∂{ctx.ref.problem.wrt}")
    return result


__all__ = ["check_function", "run_function", "shape_text"]
