"""Verification draws where a softmax is well conditioned (``verify/conditioning.py``).

At the transformer block's second set of sizes (T = 16, e = 10) weights of size ~1 made the
attention scores ~10 and a row's largest probability 1 − 3.5e-6; there a right ∂J/∂W_q failed
finite differences (4e-6 against 1e-6). These pin the draws, not the outcome of one seed only.
"""

from __future__ import annotations

import numpy as np
import pytest

from derivations import derive
from derivations.catalog.loader import catalog
from derivations.expr import axis_nodes as X
from derivations.expr import nodes as N
from derivations.expr import shapes as S
from derivations.verify.conditioning import (
    SATURATED,
    SATURATION_MARGIN,
    saturating,
    top_probabilities,
    xavier_scales,
)
from derivations.verify.numeric import load_module
from derivations.verify.sampling import choose_sizes, compile_nodes, draw_inputs


def _program(source: str, variables: dict, wrt: list[str] | None = None):  # type: ignore[no-untyped-def]
    result = derive(source, variables, wrt=wrt, verify=False)
    return result.derivation.program.as_written, load_module(result.code["numpy"])


def _block():  # type: ignore[no-untyped-def]
    entry = catalog()["transformer-block"]
    return _program(entry.program, dict(entry.variables), list(entry.wrt))


@pytest.mark.parametrize("which", [0, 1])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_blocks_softmaxes_are_not_saturated_where_verification_draws(
    which: int, seed: int
) -> None:
    program, module = _block()
    sizes = choose_sizes(program, which)
    inputs, why = draw_inputs(
        program,
        sizes,
        np.random.default_rng(seed),
        module["value"],
        derivatives_fn=module["value_and_grad"],
    )
    assert inputs is not None and SATURATED not in why, why
    nodes = saturating(program)
    assert [type(n) for n in nodes] == [X.AxisSoftmax, X.AxisLogSoftmax]  # attention, loss
    values = compile_nodes(program, [n.children[0] for n in nodes], sizes)(**inputs)
    assert top_probabilities(values, nodes) <= 1 - SATURATION_MARGIN  # was 1 − 3.5e-6


def test_weights_into_a_softmax_are_scaled_by_their_fan_in() -> None:
    program, _ = _block()
    scales = xavier_scales(program, {"T": 16, "e": 10, "d": 7, "m": 4, "c": 3})
    expected = {"W_q": 10, "W_k": 10, "W_v": 10, "W_1": 10, "W_2": 4, "W_o": 10}
    assert scales == pytest.approx({k: 1 / np.sqrt(v) for k, v in expected.items()})
    # X and Y are data, drawn O(1) as normalised inputs are: never scaled.


def test_no_softmax_no_scaling() -> None:
    program, _ = _program("sum(tanh(W @ x))", {"W": ["n", "m"], "x": ["m"]})
    assert xavier_scales(program, {"n": 3, "m": 4}) == {}
    program, _ = _program("-y.T @ log_softmax(W @ x)", {"W": ["n", "m"], "x": ["m"], "y": ["n"]})
    assert xavier_scales(program, {"n": 3, "m": 4}) == {"W": 0.5}  # x is a vector: as drawn


def test_a_draw_that_saturates_every_time_is_still_checked() -> None:
    """softmax(1000 x) saturates at every draw: the first draw is used (a check at a
    poorly conditioned point is better than none) and verification still runs and passes."""
    program, module = _program("-y.T @ log_softmax(1000 * x)", {"x": ["n"], "y": ["n"]})
    sizes = choose_sizes(program, 0)
    inputs, why = draw_inputs(program, sizes, np.random.default_rng(0), module["value"])
    assert inputs is not None and why.startswith(SATURATED)
    # By x: the displayed form by y, −log softmax(1000 x), reads back as log(0) at such a draw.
    result = derive("-y.T @ log_softmax(1000 * x)", {"x": ["n"], "y": ["n"]}, wrt=["x"])
    assert result.verification_passed


def test_one_entry_along_the_axis_is_not_saturation() -> None:
    node = X.AxisSoftmax(N.Var("Z", (S.dim("n"), S.dim("B"))), 1)
    assert top_probabilities([np.zeros((3, 1))], [node]) == 0.0
    assert top_probabilities([np.array([[0.0, 9.0]])], [node]) > 1 - SATURATION_MARGIN
