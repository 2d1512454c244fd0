"""Round trip through the grader's path: every matrix-form derivative and definition chainrule
prints, read with the LaTeX reader, typed by the elaborator (latex_typing) and printed as NumPy,
equals the generated code at a sampled point (issue 9's round-trip requirement)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from derivations import derive
from derivations.errors import ChainruleError
from derivations.expr import nodes as N
from derivations.language.latex_typing import elaborate_latex
from derivations.printing.numpy_code import HELPERS, NumpyPrinter
from derivations.verify.displayed import _environment, _references, unreadable_ops
from derivations.verify.numeric import load_module, rel_error
from derivations.verify.sampling import choose_sizes, draw_inputs
from tests.calculus.test_random_programs import VARIABLES, scalars
from tests.verify.test_displayed import PROGRAMS

# Printed forms the expression language cannot say (the read-back check evaluates them
# directly instead): slices of a concatenation's gradient, block columns [I; 0], diag of a matrix,
# and e_y (what the gradient of an entry z[y] sends back: the LaTeX reader has no basis vector).
NOT_IN_THE_LANGUAGE = (
    r"\right]_{",
    r"\mathbf{e}_{",
    r"\begin{bmatrix} I",
    r"\begin{bmatrix} 0",
    "diag needs a vector",
    "of two vectors is ambiguous",  # x ⊗ y: a LaTeX answer may mean the outer product by it
)


def _value(node: N.Node, env: dict) -> np.ndarray:
    printer = NumpyPrinter()
    code = printer.doprint(node)
    helpers = "\n\n".join(HELPERS[h] for h in sorted(printer.helpers))
    source = f"import numpy as np\n\n{helpers}\n\ndef _f({', '.join(env)}):\n    return {code}"
    return np.asarray(load_module(source)["_f"](**env), dtype=float)


@pytest.mark.parametrize(("program", "variables", "wrt", "hessian"),
                         [p[1:] for p in PROGRAMS], ids=[p[0] for p in PROGRAMS])  # fmt: skip
def test_printed_latex_elaborates_to_the_generated_code(program, variables, wrt, hessian) -> None:
    compared = _round_trip(program, variables, wrt, hessian)
    # concat's Jacobians are block columns only
    assert compared >= 1 or program == "concat(x, y)"


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
@given(scalars(2))
def test_random_programs_round_trip_through_the_elaborator(program: str) -> None:
    assert _round_trip(program, VARIABLES, None, False) >= 1


def _round_trip(program, variables, wrt, hessian) -> int:
    """How many printed formulas elaborated and matched (a mismatch fails the test)."""
    result = derive(program, variables, wrt=wrt, hessian=hessian, verify=False)
    derivation = result.derivation
    sizes = choose_sizes(derivation.program)
    module = load_module(result.code["numpy"])
    inputs, _ = draw_inputs(derivation.program, sizes, np.random.default_rng(0), module["value"])
    if inputs is None:  # every draw near a kink: nothing to compare at
        return 1
    env = _environment(result, inputs, sizes)
    refs = _references(result, inputs)
    names = dict(derivation.program.inputs)
    for d in derivation.extended_definitions():
        names[d.name] = N.Var(d.name, d.node.shape, "intermediate")
    for name in {derivation.program.output_name, derivation.output_symbol} - {None, ""}:
        # a result may read the output by name: p in diag(p) − p pᵀ
        names.setdefault(name, N.Var(name, derivation.program.output.shape, "intermediate"))
    shown = result.to_dict()
    cases = [
        (x["latex"], m.shape, refs[(x["kind"], x["wrt"])])
        for x, m in zip(shown["derivatives"], [i.matrix for i in derivation.items], strict=True)
        if x["matrix_form"]
    ]
    by_name = {d["name"]: d["latex"] for d in shown["definitions"]}
    cases += [
        (by_name[d.name], d.node.shape, env[d.name]) for d in derivation.extended_definitions()
    ]
    # Ops the registry declares unreadable (a block G_{[i,j]} of a Kronecker product).
    opaque = [text for text, _ in unreadable_ops(derivation)]
    cases = [c for c in cases if not any(text in c[0] for text in opaque)]
    compared = 0
    for latex, shape, reference in cases:
        try:
            typed = elaborate_latex(latex, names, shape)
        except ChainruleError as exc:
            assert any(m in latex or m in exc.message for m in NOT_IN_THE_LANGUAGE), (
                latex,
                str(exc),
            )
            continue
        assert typed.output.shape == shape, latex
        with np.errstate(all="ignore"):
            value = _value(typed.output, env).reshape(np.shape(reference))
        err, _ = rel_error(value, np.asarray(reference, dtype=float))
        assert err <= 1e-8, (latex, err)
        compared += 1
    return compared
