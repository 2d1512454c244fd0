"""The vectorized scores equal the loop they replace (the speed is measured in bench/)."""

from __future__ import annotations

import numpy as np

from derivations.catalog.techniques.vectorization import scores_batched, scores_loop


def test_batched_scores_equal_the_loop() -> None:
    rng = np.random.default_rng(1)
    W = rng.standard_normal((5, 7))
    xs = [rng.standard_normal(7) for _ in range(11)]
    np.testing.assert_allclose(
        scores_batched(W, np.stack(xs, axis=1)), scores_loop(W, xs), rtol=1e-13
    )
