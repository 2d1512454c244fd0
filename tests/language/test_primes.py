"""f'(z) in a LaTeX answer reads as the function's ``prime`` from the op registry.

The reader once had its own table of nine derivatives; a function added to the registry was
"f' has no form" until someone remembered that table. Now every user-facing function of one
argument declares its prime beside its definition, and each is checked here against finite
differences of the function's own NumPy meaning, through the reader's whole path (LaTeX ->
syntax -> elaborator -> NumPy).
"""

from __future__ import annotations

import numpy as np
import pytest

from derivations.errors import ChainruleError
from derivations.language.latex_reader import parse_latex
from derivations.language.latex_tables import PRIMES
from derivations.ops.registry import FUNCTIONS
from derivations.ops.spec import FunctionSpec
from tests.language.test_latex_reader import _value

UNARY = [f for f in FUNCTIONS.values() if f.arity == 1 and f.user_facing]
# Away from the kinks at 0 (abs, relu), inside each domain.
POINTS = {"real": [-1.7, -0.6, 0.45], "positive": [0.6, 1.1, 1.9], "unit": [-0.7, 0.2, 0.8]}


def _latex_head(spec: FunctionSpec) -> str:
    if spec.latex_words:
        return rf"\operatorname{{{spec.latex_words[0]}}}"
    assert isinstance(spec.latex, str), spec.name
    return spec.latex


@pytest.mark.parametrize("spec", UNARY, ids=lambda f: f.name)
def test_every_function_declares_its_prime(spec: FunctionSpec) -> None:
    assert spec.prime is not None, f"{spec.name}: write prime='…' in derivations/ops/functions.py"
    assert spec.name in PRIMES


@pytest.mark.parametrize("spec", UNARY, ids=lambda f: f.name)
def test_every_prime_is_the_derivative(spec: FunctionSpec) -> None:
    z = np.array(POINTS[spec.domain]).reshape(-1, 1)
    h = 1e-6
    expected = (spec.value(z + h) - spec.value(z - h)) / (2 * h)
    read = _value(rf"{_latex_head(spec)}'(z)", {"z": z})
    np.testing.assert_allclose(read, expected, rtol=1e-6, atol=1e-8)


def test_the_prime_is_placed_where_it_was_read() -> None:
    program = parse_latex(r"u \circ \tanh'(z)", names={"u", "z"})
    tree = program.statements[0].value
    prime = tree.right
    assert prime.op == "-" and prime.left.pos == prime.right.left.func_pos  # one position


def test_a_function_without_one_is_still_a_positioned_error() -> None:
    with pytest.raises(ChainruleError) as e:
        parse_latex(r"\operatorname{softmax}'(z)", names={"z"})
    assert "derivative of softmax explicitly" in str(e.value)
