"""Homework-checking benchmark; prints tables (never a timed test).

1. Latency of one answer to the one-hidden-layer problem (∂s/∂W) with the reference cached:
   p50 and p90 per kind of answer (correct ones are confirmed exactly; near misses are
   diagnosed).
2. Batch throughput: 500 answers to one problem (a class's mix of correct answers and near
   misses, each text distinct), in one process as /v1/check/batch runs it, and split over two
   processes (2 cores), each deriving the reference once.

Run: python bench/check.py
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from derivations.grading import Problem, check  # noqa: E402
from derivations.grading.check import check_in, context  # noqa: E402
from derivations.limits import DEFAULT_LIMITS  # noqa: E402

PROBLEM = Problem(
    program="z = W @ x + b; h = tanh(z); s = u.T @ h",
    variables={"W": ["n", "m"], "x": ["m"], "b": ["n"], "u": ["n"]},
    wrt="W",
)
KINDS = {
    "correct (expression)": ("delta @ x.T", "expression"),
    "correct, expanded": ("(u * (1 - tanh(W @ x + b)**2)) @ x.T", "expression"),
    "correct (LaTeX)": ("\\delta x^T", "latex"),
    "transpose": ("x @ delta.T", "expression"),
    "sign": ("-delta @ x.T", "expression"),
    "missing_factor": ("u @ x.T", "expression"),
    "substitution": ("(u * (1 - z**2)) @ x.T", "expression"),
    "not equivalent": ("h @ b.T + W", "expression"),
}
MIX = [
    "delta @ x.T", "outer(delta, x)", "(u * (1 - h**2)) @ x.T", "x @ delta.T", "-delta @ x.T",
    "u @ x.T", "2 * delta @ x.T", "(u * (1 - z**2)) @ x.T", "delta @ x.T +", "W",
]  # fmt: skip


def distinct(k: int) -> str:
    """The k-th answer of the class: the mix, each made textually distinct by a neutral k/k."""
    base = MIX[k % len(MIX)]
    return base if base.endswith("+") else f"({base}) * {k + 2} / {k + 2}"


def latency() -> list[tuple[str, float, float]]:
    check(PROBLEM, "delta @ x.T")  # derive and cache the reference
    rows = []
    for name, (answer, fmt) in KINDS.items():
        times = []
        for k in range(40):
            text = answer if fmt == "latex" else f"({answer}) * {k + 3} / {k + 3}"
            start = time.perf_counter()
            check(PROBLEM, text, fmt)
            times.append(time.perf_counter() - start)
        rows.append((name, statistics.median(times), float(np.percentile(times, 90))))
    return rows


def grade_slice(indices: range) -> int:
    ctx = context(PROBLEM)
    for k in indices:
        check_in(ctx, distinct(k), "expression", DEFAULT_LIMITS)
    return len(indices)


def batch(n: int = 500) -> tuple[float, float, float]:
    start = time.perf_counter()
    ctx = context(Problem(**{**PROBLEM.model_dump(), "credit": {"sign": 0.5}}))  # a fresh one
    derive_s = time.perf_counter() - start
    start = time.perf_counter()
    for k in range(n):
        check_in(ctx, distinct(k), "expression", DEFAULT_LIMITS)
    one = n / (time.perf_counter() - start)
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(grade_slice, [range(0, 2), range(2, 4)]))  # start, import, derive once
        start = time.perf_counter()
        done = sum(pool.map(grade_slice, [range(0, n // 2), range(n // 2, n)]))
        two = done / (time.perf_counter() - start)
    return derive_s, one, two


def main() -> None:
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print("\n| answer to ∂s/∂W (reference cached) | p50 | p90 |\n|---|---|---|")
    for name, p50, p90 in latency():
        print(f"| {name} | {p50 * 1000:.1f} ms | {p90 * 1000:.1f} ms |")
    derive_s, one, two = batch()
    print("\n| 500 answers to one problem | answers/s |\n|---|---|")
    print(f"| one process (as /v1/check/batch) | {one:.0f} |")
    print(f"| two processes (2 cores, warmed: each has derived the reference) | {two:.0f} |")
    print(f"\nreference and draws for a new problem: {derive_s * 1000:.0f} ms")


if __name__ == "__main__":
    main()
