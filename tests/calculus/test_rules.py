"""Every op's rules against finite differences, the engine and exact SymPy (via derive)."""

from __future__ import annotations

import pytest

from derivations import derive
from derivations.calculus.derivation import derive_program
from derivations.calculus.rules import JACOBIAN, VJP
from derivations.expr import nodes as N
from derivations.expr.program import TypedProgram
from derivations.expr.shapes import free_dims, user_shape
from derivations.limits import DEFAULT_LIMITS
from derivations.ops.registry import FUNCTIONS, NODES, SUGAR
from derivations.result import make_result
from derivations.verify.run import verify_result
from tests.helpers import assert_verified
from tests.op_programs import INDEX_ONLY, NODE_PROGRAMS, USER_PROGRAMS


def test_every_op_is_covered() -> None:
    covered = {op for op, *_ in USER_PROGRAMS} | {op for op, *_ in NODE_PROGRAMS} | INDEX_ONLY
    missing_classes = {cls.__name__ for cls in NODES} - covered
    missing_functions = (set(FUNCTIONS) | {s.name for s in SUGAR}) - covered
    assert not missing_classes, (
        f"node classes without an example in the registry: {missing_classes}"
    )
    assert not missing_functions, (
        f"functions without an example in the registry: {missing_functions}"
    )


def test_every_class_has_both_rules() -> None:
    for cls in NODES:
        assert cls in VJP, f"no adjoint rule for {cls.__name__}"
        assert cls in JACOBIAN, f"no Jacobian rule for {cls.__name__}"


@pytest.mark.parametrize(
    ("op", "program", "variables", "hessian"),
    USER_PROGRAMS,
    ids=[f"{op}:{program}" for op, program, *_ in USER_PROGRAMS],
)
def test_op_verifies_three_ways(op: str, program: str, variables: dict, hessian: bool) -> None:
    result = derive(program, variables, hessian=hessian)
    assert_verified(result.to_dict()["verification"])
    kinds = {d["kind"] for d in result.to_dict()["derivatives"]}
    if hessian:
        assert "hessian" in kinds


@pytest.mark.parametrize(
    ("op", "node", "inputs"), NODE_PROGRAMS, ids=[op for op, *_ in NODE_PROGRAMS]
)
def test_derivative_only_op_verifies(op: str, node: N.Node, inputs: dict) -> None:
    program = TypedProgram(
        f"<{op}>", inputs, [], node, None, free_dims([v.shape for v in inputs.values()])
    )
    derivation = derive_program(program, None, hessian=node.is_scalar)
    result = make_result(derivation, hessian=node.is_scalar)
    variables = {name: user_shape(v.shape) for name, v in inputs.items()}
    assert_verified(verify_result(result, variables, DEFAULT_LIMITS))
