"""Random well-typed programs (hypothesis): derivatives agree with finite differences and the engine."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derivations import derive
from derivations.verify.numeric import load_module
from derivations.verify.run import engine_check, finite_difference_check
from derivations.verify.sampling import choose_sizes, draw_inputs

VARIABLES = {"x": ("n",), "y": ("n",), "W": ("n", "m"), "v": ("m",), "a": ()}
UNARY = ["tanh", "sigmoid", "softplus", "sin", "cos", "exp", "relu", "abs"]


def vectors(depth: int) -> st.SearchStrategy[str]:
    """Expressions of shape (n,)."""
    leaves = st.sampled_from(["x", "y", "(W @ v)", "(a * x)", "softmax(x)"])
    if depth == 0:
        return leaves
    sub = vectors(depth - 1)
    return st.one_of(
        leaves,
        st.builds(lambda f, e: f"{f}({e})", st.sampled_from(UNARY), sub),
        st.builds(
            lambda lhs, op, rhs: f"({lhs} {op} {rhs})", sub, st.sampled_from(["+", "-", "*"]), sub
        ),
        st.builds(lambda e: f"(W @ (W.T @ {e}))", sub),
        st.builds(lambda lhs, rhs: f"max({lhs}, {rhs})", sub, sub),
        st.builds(lambda e: f"({e} / (1 + {e} ** 2))", sub),
        st.builds(lambda e: f"(diag({e}) @ x)", sub),
    )


def scalars(depth: int) -> st.SearchStrategy[str]:
    vec = vectors(depth)
    return st.one_of(
        st.builds(lambda e: f"sum({e})", vec),
        st.builds(lambda lhs, rhs: f"({lhs}).T @ {rhs}", vec, vec),
        st.builds(lambda e: f"logsumexp({e})", vec),
        st.builds(lambda e: f"norm2({e} + 3)", vec),
        st.builds(lambda e: f"-y.T @ log_softmax({e})", vec),
        st.builds(lambda e: f"mean({e}) * a", vec),
    )


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(scalars(3))
def test_random_programs_match_finite_differences_and_the_engine(program: str) -> None:
    result = derive(program, VARIABLES, verify=False)
    derivation = result.derivation
    module = load_module(result.code["numpy"])
    sizes = choose_sizes(derivation.program)
    inputs, why = draw_inputs(derivation.program, sizes, np.random.default_rng(0), module["value"])
    if inputs is None:  # e.g. every draw lands near a relu/abs/max kink: nothing to check
        return
    with np.errstate(all="ignore"):
        fd = finite_difference_check(derivation, module, inputs, sizes, False)
        engine = engine_check(derivation, module, inputs, sizes, False)
    assert fd["passed"], (program, fd)
    assert engine["passed"], (program, engine)
