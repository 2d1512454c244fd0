"""Every gate (node class, elementwise function) against HIPS autograd on a small program."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import sympy as sp
from autograd import grad

from derivations.engine import FUNCTION_GATES, GATES, Graph, UnknownOpError, compile_program
from derivations.expr import nodes as N
from derivations.expr import shapes as S
from derivations.expr.program import TypedProgram
from derivations.ops.registry import FUNCTIONS, NODES
from tests.engine.engine_reference import FUNCTIONS as REFERENCE
from tests.engine.engine_reference import evaluate_program, to_api

n, m = S.dim("n"), S.dim("m")
SIZES = {n: 3, m: 4}  # distinct, so a transposed gradient cannot hide
x = N.Var("x", (m, S.ONE))
y = N.Var("y", (m, S.ONE))
p = N.Var("p", (m, S.ONE))  # positive entries
u = N.Var("u", (n, S.ONE))
A = N.Var("A", (n, m))
B = N.Var("B", (m, m))  # well-conditioned: 4 I + small noise
c = N.Var("c", S.SCALAR)
d = N.Var("d", S.SCALAR)  # positive scalar


def _fn_case(name: str) -> N.Node:
    spec = FUNCTIONS[name]
    first = p if spec.domain == "positive" else x
    if spec.arity == 1:
        return N.Apply(name, first)
    if spec.scalar_params:
        return N.Apply(name, first, c)
    if name == "pow":
        return N.Apply(name, p, d)  # a positive base, so d a^p / dp = a^p log a exists
    return N.Apply(name, x, y)


CASES: dict[object, Callable[[], N.Node]] = {
    N.Var: lambda: x,
    N.Const: lambda: N.Mul(N.Const(1 / m), x),  # a constant involving a dimension
    N.Zeros: lambda: N.Add(x, N.Zeros((m, S.ONE))),
    N.Ones: lambda: N.Mul(x, N.Ones((m, S.ONE))),
    N.Identity: lambda: N.MatMul(N.Identity(m), x),
    N.Basis: lambda: N.MatMul(N.Transpose(N.Basis("i", m)), x),
    N.Add: lambda: N.Add(x, y, c),
    N.Neg: lambda: N.Neg(x),
    N.Mul: lambda: N.Mul(x, y, c),
    N.Div: lambda: N.Add(N.Div(x, p), N.Div(c, p), N.Div(x, d)),
    N.Apply: lambda: N.Apply("tanh", N.Mul(x, c)),
    N.MatMul: lambda: N.MatMul(A, x),
    N.Transpose: lambda: N.MatMul(N.Transpose(A), u),
    N.Inverse: lambda: N.Inverse(B),
    N.Det: lambda: N.Det(B),
    N.LogDet: lambda: N.LogDet(B),
    N.Trace: lambda: N.Trace(B),
    N.Diag: lambda: N.Diag(x),
    N.DiagPart: lambda: N.DiagPart(B),
    N.Sum: lambda: N.Sum(A),
    N.Mean: lambda: N.Mean(A),
    N.Norm2: lambda: N.Norm2(A),
    N.Softmax: lambda: N.Softmax(x),
    N.LogSoftmax: lambda: N.LogSoftmax(x),
    N.LogSumExp: lambda: N.LogSumExp(x),
    N.Concat: lambda: N.Concat(x, u),
    N.Slice: lambda: N.Slice(N.Concat(x, u), m - 1, m + 2),
    **{name: (lambda name=name: _fn_case(name)) for name in FUNCTIONS if name in REFERENCE},
}


def _value(var: N.Var, rng: np.random.Generator) -> np.ndarray:
    """A 2-D value in the variable's domain, away from kinks (|entries| >= 0.1)."""
    rows, cols = (int(sp.sympify(s).subs(SIZES)) for s in var.shape)
    if var.name == "B":
        return rows * np.eye(rows) + 0.3 * rng.standard_normal((rows, cols))
    if var.name in ("p", "d"):
        return rng.uniform(0.5, 2.0, (rows, cols))
    magnitude = rng.uniform(0.1, 2.0, (rows, cols))
    return magnitude * rng.choice([-1.0, 1.0], (rows, cols))


def check_against_autograd(program: TypedProgram, rng: np.random.Generator, indices=None) -> None:
    """Engine gradients (and value) w.r.t. every input equal autograd's, to round-off."""
    indices = indices or {}
    values = {name: _value(var, rng) for name, var in program.inputs.items()}
    api = {name: to_api(v, program.inputs[name].shape) for name, v in values.items()}
    graph = compile_program(program, indices)
    wrt = list(program.inputs)
    value, grads = graph.backward(api, wrt)

    def reference(args):
        return evaluate_program(program, args, SIZES, indices)[0, 0]

    assert value == pytest.approx(float(reference(values)), rel=1e-12, abs=1e-12)
    with np.errstate(all="ignore"):
        expected = grad(reference)(values)
    if not all(np.all(np.isfinite(expected[name])) for name in wrt):
        # A point where the derivative does not exist (‖relu(x)‖ with every x < 0 is the norm
        # at 0): no reference to compare with, so the draw says nothing either way.
        pytest.skip("the reference gradient is undefined at this draw")
    for name in wrt:
        want = to_api(np.asarray(expected[name]), program.inputs[name].shape)
        assert np.shape(grads[name]) == np.shape(api[name]), name
        np.testing.assert_allclose(grads[name], want, rtol=1e-9, atol=1e-11, err_msg=name)


def _program(node: N.Node) -> TypedProgram:
    """sum(node * R) with fixed random weights R: a non-uniform upstream gradient."""
    weights = N.Var("R", node.shape)
    out = N.Sum(N.Mul(node, weights)) if not node.is_scalar else N.Mul(node, weights)
    inputs = {v.name: v for v in N.walk(out) if isinstance(v, N.Var)}
    return TypedProgram("", inputs, [], out)


def test_every_node_class_and_function_has_a_gate() -> None:
    assert set(GATES) == set(NODES)
    assert set(FUNCTION_GATES) == set(FUNCTIONS)


# Ops the autograd reference knows; every gate (these and any newer op) is also checked against
# finite differences of its own forward, from the registry's examples (test_engine_registry.py).
@pytest.mark.parametrize("op", list(CASES), ids=lambda k: getattr(k, "__name__", k))
def test_gate_matches_autograd(op: object) -> None:
    program = _program(CASES[op]())
    check_against_autograd(program, np.random.default_rng(7), indices={"i": 2})


def test_logdet_of_a_negative_determinant_is_log_abs() -> None:
    graph = compile_program(TypedProgram("", {"B": B}, [], N.LogDet(B)))
    mat = np.diag([-2.0, 1.0, 3.0, 0.5]) + 0.1 * np.random.default_rng(1).standard_normal((4, 4))
    value, grads = graph.backward({"B": mat}, ["B"])
    assert value == pytest.approx(np.log(abs(np.linalg.det(mat))))
    np.testing.assert_allclose(grads["B"], np.linalg.inv(mat).T, rtol=1e-12)


@pytest.mark.parametrize(
    ("fn", "a", "b", "da", "db"),
    [("max", 1.0, 1.0, 1.0, 0.0), ("min", 1.0, 1.0, 1.0, 0.0), ("max", 1.0, 2.0, 0.0, 1.0)],
)
def test_ties_route_to_the_first_argument(
    fn: str, a: float, b: float, da: float, db: float
) -> None:
    g = Graph()
    g.apply(fn, g.input("a"), g.input("b"))
    _, grads = g.backward({"a": a, "b": b}, ["a", "b"])
    assert grads == {"a": da, "b": db}


def test_indicator_gates_have_zero_gradient() -> None:
    for fn in ("gt", "ge"):
        g = Graph()
        g.apply(fn, g.input("a"), g.input("b"))
        value, grads = g.backward({"a": 2.0, "b": 1.0}, ["a", "b"])
        assert value == 1.0 and grads == {"a": 0.0, "b": 0.0}


def test_stable_forwards_do_not_overflow() -> None:
    g = Graph()
    v = g.input("v")
    g.sum(g.add(g.sigmoid(v), g.softplus(v), g.op(N.LogSoftmax, v), g.op(N.LogSumExp, v)))
    value, grads = g.backward({"v": np.array([-1000.0, 0.0, 1000.0])}, ["v"])
    assert np.isfinite(value) and np.all(np.isfinite(grads["v"]))


def test_unknown_op_is_named() -> None:
    class Mystery(N.Node):
        arity = 1

    with pytest.raises(UnknownOpError, match="Mystery"):
        Graph().op(Mystery, Graph().input("x"))
    g = Graph()
    with pytest.raises(UnknownOpError, match="'frobnicate'"):
        g.apply("frobnicate", g.input("x"))
