"""Random programs with hostile names and comments (hypothesis): whatever chainrule accepts, its
generated NumPy module compiles and runs, and its gradients match finite differences.

Names are drawn from the ones most likely to collide with the generated code: Python builtins
(``int``, ``float``, ``len``), soft keywords (``match``, ``type``), the names the module writer
invents (``grad_x``, ``J_x``, ``H_W``, ``vjp_x``, ``hvp``, ``t1``), the δ and output names the
derivation invents (``delta``, ``delta_z``, ``Delta``, ``f``, ``out``), names that print as Greek
letters, and ``T`` as a size. Comments are arbitrary text, escapes and NUL included.
"""

from __future__ import annotations

import re

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derivations import ChainruleError, derive
from derivations.verify.numeric import load_module
from derivations.verify.run import finite_difference_check
from derivations.verify.sampling import choose_sizes, draw_inputs
from tests.calculus.test_random_programs import scalars, vectors

HOSTILE = [
    "int", "float", "len", "range", "print", "object", "list", "dict", "max_", "e", "inf",
    "match", "case", "type", "seed", "J_x", "J_W", "grad_x", "grad_W", "H_x", "H_W", "vjp_x",
    "vjp_W", "hvp", "t1", "t2", "delta", "delta_z", "delta1", "Delta", "f", "F", "f_out", "out",
    "z", "x", "W", "alpha", "lam", "sigma", "Sigma", "x_0", "x_1", "i", "j", "k", "n", "m",
]  # fmt: skip
SIZES = ["T", "n", "m", "int", "t1", "delta", "f", "hvp", "d"]
COMMENTS = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\n"), max_size=12
) | st.sampled_from(["\\N", "\\x4", "\\u", '"""', "'''", "\\", "\x00", "\r", "\u2028", "\\ud800"])


@st.composite
def hostile_programs(draw: st.DrawFn) -> tuple[str, dict[str, tuple[str, ...]]]:
    """A random program of test_random_programs, its names replaced by hostile ones."""
    roles = draw(st.lists(st.sampled_from(HOSTILE), min_size=7, max_size=7, unique=True))
    x, y, w, v, a, hidden, output = roles
    free_sizes = [size for size in SIZES if size not in roles]
    n, m = draw(st.lists(st.sampled_from(free_sizes), min_size=2, max_size=2, unique=True))
    rename = {"x": x, "y": y, "W": w, "v": v, "a": a}

    def hostile(text: str) -> str:
        return re.sub(r"\b[xyWva]\b", lambda g: rename[g.group(0)], text)

    vector = hostile(draw(vectors(1)))
    scalar = hostile(draw(scalars(2)))
    comment = draw(COMMENTS)
    program = f"{hidden} = {vector}  # {comment}\n{output} = sum({hidden} * {x}) + {scalar}"
    variables = {x: (n,), y: (n,), w: (n, m), v: (m,), a: ()}
    return program, variables


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(hostile_programs(), st.booleans())
def test_every_accepted_program_compiles_and_runs(case: tuple[str, dict], hessian: bool) -> None:
    program, variables = case
    try:
        result = derive(program, variables, verify=False, hessian=hessian)
    except ChainruleError:
        return  # refused with a user-facing error (e.g. a size named like a variable)
    module = load_module(result.code["numpy"])  # compiles, whatever the names and the comment
    derivation = result.derivation
    sizes = choose_sizes(derivation.program)
    rng = np.random.default_rng(0)
    inputs, _ = draw_inputs(derivation.program, sizes, rng, module["value"])
    if inputs is None:  # every draw lands near a kink: nothing to compare
        return
    with np.errstate(all="ignore"):
        value = module["value"](**inputs)
        both, grads = module["value_and_grad"](**inputs)
        assert np.isclose(value, both, rtol=1e-12, atol=0), (program, value, both)
        assert set(grads) == set(variables)
        for name, grad in grads.items():
            assert np.shape(grad) == np.shape(inputs[name]), (program, name)
        fd = finite_difference_check(derivation, module, inputs, sizes, hessian)
    assert fd["passed"], (program, fd)
    if hessian:
        hess = module["hessian"](**inputs)
        for name, h in hess.items():
            assert np.shape(h) == np.shape(inputs[name]) * 2, (program, name)


def test_the_hostile_generator_is_mostly_accepted() -> None:
    """Guard against a property that passes by refusing everything."""
    accepted = 0
    for seed in range(20):
        program, variables = _example(seed)
        try:
            derive(program, variables, verify=False)
            accepted += 1
        except ChainruleError:
            pass
    assert accepted == 20


def _example(seed: int) -> tuple[str, dict]:
    rng = np.random.default_rng(seed)
    x, y, w, v, a, hidden, output = rng.choice(HOSTILE, 7, replace=False)
    n, m = rng.choice(
        [s for s in SIZES if s not in (x, y, w, v, a, hidden, output)], 2, replace=False
    )
    program = f"{hidden} = tanh({w} @ {v}) * {x}  # \\N\n{output} = sum({hidden} * {y}) + {a}"
    return program, {x: (n,), y: (n,), w: (n, m), v: (m,), a: ()}
