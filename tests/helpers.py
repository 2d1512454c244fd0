"""Assertions and programs several test modules share (one copy each, imported by name).

- ``assert_verified``: a verification that passed, with all five methods reported;
- ``CE``/``CE_VARS``: softmax cross-entropy with every declaration form (data, a one-hot kind);
- ``draw_for``: the verifier's own inputs for a program (kinds, domains and conditioning applied).
"""

from __future__ import annotations

import numpy as np

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


def draw_for(program: str, variables: dict, seed: int = 0) -> dict:
    """The inputs verification would draw for ``program`` at its first sizes, with this seed."""
    from derivations import derive
    from derivations.verify.numeric import load_module
    from derivations.verify.sampling import choose_sizes, draw_inputs

    result = derive(program, variables, verify=False)
    typed = result.derivation.program
    module = load_module(result.code["numpy"])
    inputs, why = draw_inputs(
        typed, choose_sizes(typed), np.random.default_rng(seed), module["value"]
    )
    assert inputs is not None, why
    return inputs
