"""Assertions and programs several test modules share (one copy each, imported by name).

- ``assert_verified``: a verification that passed, with all five methods reported;
- ``CE``/``CE_VARS``: softmax cross-entropy with every declaration form (data, a one-hot kind).
"""

from __future__ import annotations

METHODS = {
    "finite_differences",
    "backprop_engine",
    "source_reference",
    "exact_componentwise",
    "displayed_form",
}


def assert_verified(verification: dict) -> None:
    """Passed, and every method reported (the failed or skipped ones shown if not)."""
    failed = [c for c in verification["checks"] if not c["passed"] or c.get("skipped")]
    assert verification["passed"], failed
    assert {c["method"] for c in verification["checks"]} == METHODS


CE = "J = -y.T @ log_softmax(W @ x + b)"
CE_VARS = {
    "W": ["k", "m"],
    "b": ["k"],
    "x": {"shape": ["m"], "role": "data"},
    "y": {"shape": ["k"], "role": "data", "kind": "onehot"},
}
