"""Vectorization, measured: N matrix-vector products in a loop against one matrix product.

The lecture's example: N = 500 windows of dimension d = 300, C = 5 classes. Prints a table
(median of repeats); this is a benchmark script, never a timed test.

Run: python bench/vectorization.py
"""

from __future__ import annotations

import os
import platform
import statistics
import time

import numpy as np

from derivations.catalog.techniques.vectorization import scores_batched, scores_loop


def median_ms(fn, repeat: int = 50) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    rng = np.random.default_rng(0)
    N, d, C = 500, 300, 5
    W = rng.random((C, d))
    xs = [rng.random(d) for _ in range(N)]
    X = np.stack(xs, axis=1)
    assert np.allclose(scores_loop(W, xs), scores_batched(W, X))
    loop = median_ms(lambda: scores_loop(W, xs))
    batched = median_ms(lambda: scores_batched(W, X))
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, NumPy {np.__version__}"
    )
    print(f"\n| C x d weights, N = {N} windows of d = {d} | median | speed-up |")
    print("|---|---|---|")
    print(f"| loop of W @ x_i | {loop:.3f} ms | 1.0x |")
    print(f"| one W @ X | {batched:.3f} ms | {loop / batched:.1f}x |")


if __name__ == "__main__":
    main()
