"""The graph: the lecture's example, fan-out, pruning, depth, Jacobians and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from derivations.engine import Graph, compile_program
from derivations.engine.gates import GATES
from derivations.errors import ChainruleError
from derivations.expr import nodes as N
from derivations.language.elaborate import elaborate


def lecture_graph() -> tuple[Graph, dict[str, int]]:
    g = Graph()
    x, y, z = g.input("x"), g.input("y"), g.input("z")
    a = g.add(x, y)
    b = g.max(y, z)
    g.mul(a, b)
    return g, {"a": a.id, "b": b.id}


def test_lecture_max_example_every_value_and_gradient() -> None:
    g, ids = lecture_graph()
    run = g.run({"x": 1, "y": 2, "z": 0}, ["x", "y", "z"])
    assert run.values[ids["a"]][0, 0] == 3.0 and run.values[ids["b"]][0, 0] == 2.0
    assert run.values[g.output][0, 0] == 6.0
    assert run.grads[ids["a"]][0, 0] == 2.0  # multiply switches: d f / d a = b
    assert run.grads[ids["b"]][0, 0] == 3.0
    value, grads = g.backward({"x": 1, "y": 2, "z": 0}, ["x", "y", "z"])
    assert value == 6.0 and grads == {"x": 2.0, "y": 5.0, "z": 0.0}  # add distributes, max routes


def test_ten_thousand_node_chain_has_no_recursion_limit() -> None:
    g = Graph()
    x = g.input("x")
    node = x
    for _ in range(10_000):
        node = g.add(node, x)
    value, grads = g.backward({"x": 0.5}, ["x"])
    assert len(g.nodes) > 10_000
    assert value == pytest.approx(0.5 * 10_001) and grads["x"] == 10_001.0
    assert len(g.nodes[-1].label) <= 60  # labels are capped, not quadratic


def test_fan_out_accumulates() -> None:
    g = Graph()
    x = g.input("x")
    g.mul(x, x)
    assert g.backward({"x": 3.0}, ["x"]) == (9.0, {"x": 6.0})
    program = elaborate("z = x * y; z * z + z", {"x": (), "y": ()})
    graph = compile_program(program)
    value, grads = graph.backward({"x": 2.0, "y": 3.0}, ["x", "y"])
    # f = z² + z with z = xy: df/dz = 2z + 1 = 13
    assert value == 42.0 and grads == {"x": 39.0, "y": 26.0}
    assert sum(1 for node in graph.nodes if node.label == "z") == 1


def test_equal_subtrees_are_not_merged_but_intermediates_are() -> None:
    graph = compile_program(elaborate("(x + y) * (x + y)", {"x": (), "y": ()}))
    assert sum(node.op is N.Add for node in graph.nodes) == 2
    assert graph.backward({"x": 1.0, "y": 2.0}, ["x"])[1]["x"] == 6.0


def test_only_requested_gradients_are_computed(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    for op in (N.MatMul, N.Apply):
        gate = GATES[op]

        def spy(params, g, out, ins, needs, _gate=gate, _op=op):
            calls.append(f"{_op.__name__}{tuple(needs)}")
            return _gate.backward(params, g, out, ins, needs)

        monkeypatch.setitem(GATES, op, type(gate)(gate.forward, spy))
    graph = compile_program(
        elaborate("sum(tanh(W @ x) + tanh(V @ x))", {"W": ("n", "m"), "V": ("n", "m"), "x": ("m",)})
    )
    rng = np.random.default_rng(0)
    inputs = {"W": rng.normal(size=(3, 2)), "V": rng.normal(size=(3, 2)), "x": rng.normal(size=2)}
    _, grads = graph.backward(inputs, ["W"])
    assert set(grads) == {"W"}
    # only the W branch is walked back, and its matmul computes dW but not dx
    assert sorted(calls) == ["Apply(True,)", "MatMul(True, False)"]


def test_jacobian_rows_are_backward_passes() -> None:
    graph = compile_program(elaborate("tanh(W @ x)", {"W": ("n", "m"), "x": ("m",)}))
    rng = np.random.default_rng(1)
    W, x = rng.normal(size=(3, 4)), rng.normal(size=4)
    jac = graph.jacobian({"W": W, "x": x}, ["W", "x"])
    local = 1 - np.tanh(W @ x) ** 2
    np.testing.assert_allclose(jac["x"], local[:, None] * W, rtol=1e-12)
    assert jac["W"].shape == (3, 3, 4)
    np.testing.assert_allclose(jac["W"][1], np.outer(np.eye(3)[1] * local, x), rtol=1e-12)


def test_vector_jacobian_product_needs_a_seed() -> None:
    graph = compile_program(elaborate("W @ x", {"W": ("n", "m"), "x": ("m",)}))
    W, x = np.arange(6.0).reshape(2, 3), np.ones(3)
    with pytest.raises(ChainruleError, match="seed"):
        graph.backward({"W": W, "x": x}, ["x"])
    value, grads = graph.backward({"W": W, "x": x}, ["x"], seed=np.array([1.0, -1.0]))
    np.testing.assert_allclose(value, W @ x)
    np.testing.assert_allclose(grads["x"], W.T @ [1.0, -1.0])


def test_basis_index_is_bound_at_compile_or_run_time() -> None:
    x = N.Var("x", (N.S.dim("n"), N.S.ONE))
    from derivations.expr.program import TypedProgram

    program = TypedProgram("", {"x": x}, [], N.MatMul(N.Transpose(N.Basis("i", x.shape[0])), x))
    values = {"x": np.array([5.0, 6.0, 7.0])}
    assert compile_program(program, {"i": 2}).forward(values) == 7.0
    graph = compile_program(program)
    assert graph.forward(values, indices={"i": 0}) == 5.0
    with pytest.raises(ChainruleError, match="index i"):
        graph.forward(values)
    with pytest.raises(ChainruleError, match="outside"):
        graph.forward(values, indices={"i": 3})


def test_gradients_have_the_inputs_shapes() -> None:
    graph = compile_program(
        elaborate("u.T @ W @ x * c", {"u": ("n",), "W": ("n", "m"), "x": ("m",), "c": ()})
    )
    inputs = {"u": np.ones(2), "W": np.ones((2, 3)), "x": np.ones(3), "c": 2.0}
    _, grads = graph.backward(inputs, list(inputs))
    assert {k: np.shape(v) for k, v in grads.items()} == {
        "u": (2,),
        "W": (2, 3),
        "x": (3,),
        "c": (),
    }
    assert isinstance(grads["c"], float)


def test_bad_inputs_are_refused_clearly() -> None:
    graph = compile_program(elaborate("W @ x", {"W": ("n", "m"), "x": ("m",)}))
    with pytest.raises(ChainruleError, match="x has length 2 but its declaration needs m = 3"):
        graph.forward({"W": np.ones((2, 3)), "x": np.ones(2)})
    with pytest.raises(ChainruleError, match="no value given for x"):
        graph.forward({"W": np.ones((2, 3))})
    with pytest.raises(ChainruleError, match="not an input"):
        graph.forward({"W": np.ones((2, 3)), "x": np.ones(3), "q": 1.0})
    with pytest.raises(ChainruleError, match="cannot differentiate with respect to 'b'"):
        graph.backward({"W": np.ones((2, 3)), "x": np.ones(3)}, ["b"])
    g = Graph()
    g.add(g.input("a"), g.input("b"))
    with pytest.raises(ChainruleError, match="do not match"):  # no silent (n,1) + (1,m)
        g.forward({"a": np.ones(3), "b": np.ones((1, 4))})


def test_unused_input_gets_a_zero_gradient() -> None:
    graph = compile_program(elaborate("sum(x)", {"x": ("n",), "y": ("n",)}))
    _, grads = graph.backward({"x": np.ones(2), "y": np.ones(2)}, ["x", "y"])
    np.testing.assert_array_equal(grads["y"], np.zeros(2))


def test_returned_gradients_never_alias_each_other_or_the_inputs() -> None:
    g = Graph()
    g.add(g.input("a"), g.input("b"))  # the add hands one upstream array to both operands
    a, b = np.ones(3), np.ones(3)
    _, grads = g.backward({"a": a, "b": b}, ["a", "b"], seed=np.ones(3))
    grads["a"][0] = 5.0
    assert grads["b"][0] == 1.0 and a[0] == 1.0
    g2 = Graph()
    g2.name(g2.input("x"), "x")
    _, grads = g2.backward({"x": a}, ["x"], seed=a)  # the seed itself flows back to x
    grads["x"][0] = 7.0
    assert a[0] == 1.0
