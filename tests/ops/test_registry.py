"""Every registered op, through every layer: parametrised over the op registry, so that a new op
is covered the moment it is registered (its examples come from its own spec).

- completeness: a derivative rule, an engine gate, and every spec field its kind needs;
- printers: LaTeX, index, Unicode, NumPy, PyTorch and JAX code for each op's own nodes;
- the engine: each gate's backward against finite differences of its own forward;
- a trace of each example program.

Finite differences, the engine check, the exact check and the displayed forms of each example
run in ``tests/calculus/test_rules.py`` (through ``tests/op_programs.py``).
"""

from __future__ import annotations

import numpy as np
import pytest

from derivations import trace
from derivations.calculus.elementwise import SYMPY
from derivations.calculus.rules import RULES
from derivations.engine import FUNCTION_GATES, GATES, compile_program
from derivations.expr import nodes as N
from derivations.expr import shapes as S
from derivations.expr.program import TypedProgram
from derivations.language.elaborate import elaborate
from derivations.ops.registry import CALLS, FUNCTIONS, NODES, every_spec
from derivations.ops.spec import CallSpec, FunctionSpec, NodeSpec
from derivations.printing.backends import BACKENDS
from derivations.printing.index import index_latex
from derivations.printing.latex import LatexPrinter
from derivations.printing.numpy_code import CodePrinter
from derivations.printing.unicode import to_unicode
from derivations.verify.sampling import choose_sizes, draw_inputs
from tests.op_programs import INDEX_ONLY, SPECS, op_name

EXAMPLES = [
    pytest.param(spec, ex, id=f"{op_name(spec)}-{i}")
    for spec in SPECS
    for i, ex in enumerate(spec.examples)
]


def _typed(ex) -> TypedProgram:  # type: ignore[no-untyped-def]
    if ex.tree is None:
        return elaborate(ex.program, dict(ex.variables))
    node, inputs = ex.tree()
    return TypedProgram(
        "<tree>", inputs, [], node, None, S.free_dims([v.shape for v in inputs.values()])
    )


def _is_op(spec: FunctionSpec | NodeSpec | CallSpec, node: N.Node) -> bool:
    if isinstance(spec, FunctionSpec):
        return isinstance(node, N.Apply) and node.fn == spec.name
    if isinstance(spec, NodeSpec):
        return type(node) is spec.cls
    return True  # sugar: every node it builds


# -- completeness ----------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", SPECS, ids=op_name)
def test_every_op_has_examples_a_rule_and_a_gate(spec) -> None:  # type: ignore[no-untyped-def]
    assert spec.examples or op_name(spec) in INDEX_ONLY, f"{op_name(spec)} has no examples"
    if isinstance(spec, FunctionSpec):
        assert spec.name in SYMPY, f"no derivative rule (calculus/elementwise.py) for {spec.name}"
        assert spec.name in FUNCTION_GATES, f"no engine gate for {spec.name}"
        assert spec.latex and spec.code and spec.index_form
        assert spec.exact is not None and spec.value is not None
    elif isinstance(spec, NodeSpec):
        assert spec.cls in RULES, f"no derivative rule (calculus/rules.py) for {spec.key}"
        assert spec.cls in GATES, f"no engine gate for {spec.key}"
        assert spec.label is not None and spec.trace_name
        if not spec.structural:
            assert spec.latex is not None, f"{spec.key}: no LaTeX form"
            assert spec.exact is not None, f"{spec.key}: no exact meaning"
            assert spec.index is not None, f"{spec.key}: no index form ('opaque' or a function)"
            for backend in BACKENDS:
                assert spec.code_form(backend) is not None, f"{spec.key}: no {backend} form"
    if op_name(spec) in CALLS:
        assert spec.value is not None and spec.doc is not None, op_name(spec)


def test_every_user_call_is_registered_once() -> None:
    names = [s.name for s in every_spec() if getattr(s, "name", None) and s.name in CALLS]
    assert sorted(names) == sorted(CALLS)
    assert set(FUNCTIONS) <= {s.name for s in every_spec() if isinstance(s, FunctionSpec)}
    assert set(NODES) == {s.cls for s in every_spec() if isinstance(s, NodeSpec)}


# -- printers ----------------------------------------------------------------------------------------


def _indices(node: N.Node) -> tuple[str, ...]:
    return ("i", "j")[: 0 if node.is_scalar else (1 if S.is_vector(node.shape) else 2)]


@pytest.mark.parametrize(("spec", "ex"), EXAMPLES)
def test_every_printer_writes_the_op(spec, ex) -> None:  # type: ignore[no-untyped-def]
    program = _typed(ex)
    root = program.inlined()
    nodes = [n for n in N.walk(root) if _is_op(spec, n)] or [root]
    for node in nodes:
        tex = LatexPrinter().doprint(node)
        assert tex, node
        text = to_unicode(tex)
        assert "\\" not in text, f"{op_name(spec)}: no Unicode form for {tex!r}"
        assert index_latex(node, _indices(node)), node
        for backend in BACKENDS.values():
            assert CodePrinter(backend).doprint(node), (backend.name, node)


# -- the engine ---------------------------------------------------------------------------------------


def _engine_program(program: TypedProgram) -> TypedProgram:
    """sum(output ∘ R) with random weights R: a non-uniform upstream gradient into the op."""
    out = program.output
    weights = N.Var("_R", out.shape)
    scalar = N.Sum(N.Mul(out, weights)) if not out.is_scalar else N.Mul(out, weights)
    return TypedProgram(
        program.source, {**program.inputs, "_R": weights}, program.definitions, scalar,
        None, program.dims,
    )  # fmt: skip


@pytest.mark.parametrize(("spec", "ex"), EXAMPLES)
def test_every_gate_against_finite_differences(spec, ex) -> None:  # type: ignore[no-untyped-def]
    """The engine's backward of each example against central differences of its forward."""
    program = _engine_program(_typed(ex))
    sizes = choose_sizes(program)
    graph = compile_program(program)

    def value(**kw):  # type: ignore[no-untyped-def]
        return graph.forward(kw)

    inputs, why = draw_inputs(program, sizes, np.random.default_rng(3), value)
    assert inputs is not None, why
    wrt = [k for k in program.inputs if k != "_R"]
    _, grads = graph.backward(inputs, wrt)
    h = 1e-6
    for name in wrt:
        x = np.asarray(inputs[name], dtype=float)
        numeric = np.zeros_like(x)
        for index in np.ndindex(x.shape):
            step = np.zeros_like(x)
            step[index] = h
            up = graph.forward({**inputs, name: x + step})
            down = graph.forward({**inputs, name: x - step})
            numeric[index] = (up - down) / (2 * h)
        got = np.asarray(grads[name], dtype=float).reshape(x.shape)
        scale = max(1.0, float(np.max(np.abs(numeric))))
        assert np.max(np.abs(got - numeric)) <= 1e-5 * scale, (op_name(spec), name, got, numeric)


@pytest.mark.parametrize(("spec", "ex"), [p for p in EXAMPLES if p.values[1].tree is None])
def test_every_example_traces(spec, ex) -> None:  # type: ignore[no-untyped-def]
    program = elaborate(ex.program, dict(ex.variables))
    sizes = choose_sizes(program)
    graph = compile_program(program)
    inputs, why = draw_inputs(
        program, sizes, np.random.default_rng(5), lambda **kw: graph.forward(kw)
    )
    assert inputs is not None, why
    values = {k: np.asarray(v).tolist() for k, v in inputs.items()}
    result = trace(ex.program, dict(ex.variables), values)
    table = result.to_dict()
    names = {row["op"] for row in table["nodes"]}
    if isinstance(spec, NodeSpec) and spec.cls not in (N.Apply, N.Var, N.Const):
        assert spec.trace_name in names, (spec.trace_name, names)  # Apply rows: the function
    elif isinstance(spec, FunctionSpec):
        assert spec.name in names, (spec.name, names)


# -- misuse -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CALLS), ids=str)
def test_every_call_with_a_wrong_arity_is_a_positioned_error(name: str) -> None:
    """One argument too many (none, for calls of any arity): an arity error at the call's name,
    with the usage as its fix, never a crash."""
    from derivations.errors import ChainruleError

    arity = CALLS[name].arity
    args = "" if arity is None else ", ".join(["x"] * (arity + 1))
    with pytest.raises(ChainruleError) as info:
        elaborate(f"y.T @ {name}({args})", {"x": ("n",), "y": ("n",)})
    error = info.value
    assert error.kind == "arity", (name, error)
    assert error.position == {"line": 1, "column": 7}, (name, error.position)
    assert error.hint and name in error.hint, (name, error.hint)
