"""The engine's softmax-family gates stay accurate when a softmax saturates.

The textbook backward p ∘ (g − Σ g∘p) loses about 1e-16 / (1 − p_max) of relative accuracy
(see ``engine/stable.py``): at the transformer block's verification draw (1 − p ≈ 3.5e-6) the
engine's ∂J/∂W_q was 6.6e-7 away from a 40-digit reference while the generated code, which it
checks to 1e-9, was 6.5e-9 away. Each gate is compared here with 40-digit arithmetic, entry by
entry, at rows whose largest probability is 1 − 1e-5 … 1 − 1e-12.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from derivations import derive
from derivations.engine import compile_program
from derivations.engine.gates import GATES
from derivations.expr import axis_nodes as X
from derivations.expr import nodes as N

# Rows (axis=1) whose top probability is 1 − 1e-5, 1 − 6e-9 and 1 − 2e-12, and one that is not
# saturated at all; columns are the same rows transposed.
SCORES = np.array(
    [
        [14.0, 0.3, -1.2, 2.0],
        [20.0, 1.0, -3.0, 0.5],
        [-2.0, 0.0, 28.0, 1.5],
        [0.1, -0.4, 0.7, 0.2],
    ]
)
UPSTREAM = np.array(
    [
        [0.7, -1.3, 0.4, 2.1],
        [-0.9, 0.6, 1.8, -0.2],
        [1.1, 0.3, -1.6, 0.8],
        [0.5, -0.7, 0.2, 1.4],
    ]
)
# Cross-entropy's upstream −y: labels at the top score (where log-softmax's g_j − p_j Σ g is
# −(1 − p_j), a difference of nearly equal numbers) and, in the last row, elsewhere.
LABELS = -np.eye(4)[[0, 0, 2, 1]]


def _upstream(op: type) -> np.ndarray:
    return LABELS if op in (X.AxisLogSoftmax, N.LogSoftmax) else UPSTREAM


def _exact(z: np.ndarray, g: np.ndarray, log: bool) -> np.ndarray:
    """gᵀ ∂softmax (or ∂log-softmax) of one vector z, in 40-digit arithmetic."""
    with mpmath.workdps(40):
        zs = [mpmath.mpf(float(v)) for v in z]
        gs = [mpmath.mpf(float(v)) for v in g]
        top = max(zs)
        total = mpmath.fsum(mpmath.exp(v - top) for v in zs)
        p = [mpmath.exp(v - top) / total for v in zs]
        if log:
            s = mpmath.fsum(gs)
            return np.array([float(gk - pk * s) for gk, pk in zip(gs, p, strict=True)])
        s = mpmath.fsum(gk * pk for gk, pk in zip(gs, p, strict=True))
        return np.array([float(pk * (gk - s)) for gk, pk in zip(gs, p, strict=True)])


def _exact_along(z: np.ndarray, g: np.ndarray, axis: int, log: bool) -> np.ndarray:
    if axis == 0:
        return _exact_along(z.T, g.T, 1, log).T
    return np.stack([_exact(zr, gr, log) for zr, gr in zip(z, g, strict=True)])


def _entrywise(ours: np.ndarray, exact: np.ndarray) -> float:
    return float(np.max(np.abs(ours - exact) / np.abs(exact)))  # no exact zeros here


def _backward(gate, params: tuple, z: np.ndarray, g: np.ndarray) -> np.ndarray:
    out = gate.forward(params, [z])
    return gate.backward(params, g, out, [z], [True])[0]


@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("op", [X.AxisSoftmax, X.AxisLogSoftmax])
def test_axis_gates_are_accurate_at_saturated_rows(op: type, axis: int) -> None:
    z = SCORES if axis == 1 else SCORES.T
    g = _upstream(op) if axis == 1 else _upstream(op).T
    ours = _backward(GATES[op], (axis,), z, g)
    exact = _exact_along(z, g, axis, log=op is X.AxisLogSoftmax)
    assert _entrywise(ours, exact) < 1e-13  # the textbook forms: 1e-4 and 2e-4 here


@pytest.mark.parametrize("op", [N.Softmax, N.LogSoftmax])
def test_vector_gates_are_accurate_at_a_saturated_vector(op: type) -> None:
    z, g = SCORES[2:3].T, _upstream(op)[2:3].T  # a column, 1 − p_max ≈ 2e-12
    ours = _backward(GATES[op], (), z, g)
    exact = _exact(z[:, 0], g[:, 0], log=op is N.LogSoftmax)[:, None]
    assert _entrywise(ours, exact) < 1e-13


def test_log_probabilities_of_a_saturated_row_keep_their_digits() -> None:
    """log p_max = −log1p(Σ e^{z_k − z_max}): computed as z − logsumexp(z) it was 0 to 1e-16."""
    log_p = GATES[X.AxisLogSoftmax].forward((1,), [SCORES])
    with mpmath.workdps(40):
        top = [
            float(-mpmath.log1p(mpmath.fsum(mpmath.exp(mpmath.mpf(v) - max(r)) for v in r) - 1))
            for r in SCORES.tolist()
        ]
    assert np.max(np.abs(log_p.max(axis=1) - top) / np.abs(top)) < 1e-13


def test_an_attention_gradient_through_a_saturated_softmax() -> None:
    """The engine's ∂/∂S of sum(G ∘ softmax(S, axis=1)) against 40 digits, through a program."""
    result = derive(
        "sum(G * softmax(S, axis=1))", {"G": (4, 4), "S": (4, 4)}, wrt=["S"], verify=False
    )
    graph = compile_program(result.derivation.program.as_written)
    ours = graph.backward({"G": UPSTREAM, "S": SCORES}, ["S"])[1]["S"]
    assert _entrywise(ours, _exact_along(SCORES, UPSTREAM, 1, log=False)) < 1e-13
