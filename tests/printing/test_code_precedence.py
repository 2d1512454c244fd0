"""Every registered op's code, in every backend, read with a compound argument: a matmul, a
sum, a difference, a negation in each operand's place must mean what the op means of it.

A template pastes printed text into its slots; φ's ``np.exp(-0.5 * {0} ** 2)`` over ``W @ x``
read as ``W @ (x ** 2)`` and gave a wrong Hessian. Here each op's example node (from the
registry, so a new op is covered with no edit) has its operands replaced by compound
expressions whose values are drawn inside the op's domain; the printed code is run and held
to the op's meaning, the explicit SymPy evaluation of the same tree (``verify/explicit.py``).
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np
import pytest
import sympy as sp

from derivations.expr import nodes as N
from derivations.expr import shapes as S
from derivations.language.elaborate import elaborate
from derivations.ops.indexing import Index, OneHot
from derivations.ops.registry import FUNCTIONS, NODES
from derivations.ops.spec import FunctionSpec, NodeSpec
from derivations.printing.backends import BACKENDS
from derivations.printing.numpy_code import CodePrinter
from derivations.verify.explicit import Explicit
from derivations.verify.sampling import good_sizes
from tests.op_programs import nodes_of

COMPOUNDS = ("matmul", "sum", "difference", "negation")
INNER = sp.Symbol("q", integer=True, positive=True)  # the inner size of a scalar's u·v


def _function_nodes(spec: FunctionSpec) -> list[N.Node]:
    trees = [
        ex.tree()[0] if ex.tree else elaborate(ex.program, dict(ex.variables)).inlined()
        for ex in spec.examples
    ]
    found = [n for t in trees for n in N.walk(t) if isinstance(n, N.Apply) and n.fn == spec.name]
    assert found, f"no example of {spec.name} applies it"
    return found[:1]


def _example(spec: FunctionSpec | NodeSpec) -> N.Node:
    nodes = _function_nodes(spec) if isinstance(spec, FunctionSpec) else nodes_of(spec.cls)
    return nodes[0]


# Every op with operands (a leaf has nothing to bracket).
OPS = [
    *[pytest.param(s, id=s.name) for s in FUNCTIONS.values()],
    *[pytest.param(s, id=s.key) for s in NODES.values() if s.examples and _example(s).children],
]


def _labels(node: N.Node) -> set[int]:
    """Operands that are class labels (integers, kept as they are)."""
    if isinstance(node, OneHot):
        return set(range(len(node.children)))
    if isinstance(node, Index):
        return set(range(1, len(node.children)))
    return set()


def _domain(spec: FunctionSpec | NodeSpec, position: int) -> str:
    if isinstance(spec, FunctionSpec):
        if spec.name == "pow":  # a real power of a negative base is complex
            return "positive" if position == 0 else "real"
        first = spec.domain if position == 0 else "real"
        return first if not (spec.scalar_params and position > 0) else "unit"
    return spec.domain or "real"


def _sample(rng: np.random.Generator, shape: tuple[int, int], domain: str) -> np.ndarray:
    """In the op's domain, away from zero (kinks, poles) and ties."""
    if domain == "positive":
        return rng.uniform(0.5, 2.0, shape)
    if domain == "unit":
        return rng.uniform(0.2, 0.8, shape) * rng.choice([-1.0, 1.0], shape)
    if domain == "conditioned":
        return 2.0 * np.eye(shape[0]) + rng.uniform(-0.3, 0.3, shape)
    return rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


def _compound(
    kind: str, i: int, child: N.Node, target: np.ndarray, rng: Any, values: dict
) -> N.Node:
    """An expression of ``child``'s shape whose value is ``target``; its inputs go to ``values``."""
    a, b = N.Var(f"arg{i}a", child.shape), N.Var(f"arg{i}b", child.shape)
    noise = rng.uniform(-1.0, 1.0, target.shape)
    if kind == "negation":
        values[a.name] = -target
        return N.Neg(a)
    if kind in ("sum", "difference"):
        values[b.name] = noise
        values[a.name] = target - noise if kind == "sum" else target + noise
        return N.Add(a, b) if kind == "sum" else N.Add(a, N.Neg(b))
    rows, cols = target.shape
    if rows == 1 and cols == 1:  # uᵀ v
        u, v = N.Var(f"arg{i}a", S.column(INNER)), N.Var(f"arg{i}b", S.column(INNER))
        values[u.name] = rng.uniform(0.5, 1.5, (3, 1))
        values[v.name] = values[u.name] * target[0, 0] / float(np.sum(values[u.name] ** 2))
        return N.MatMul(N.Transpose(u), v)
    if rows == 1:  # uᵀ Q, a row
        u, q = N.Var(f"arg{i}a", S.column(child.shape[1])), N.Var(f"arg{i}b", (child.shape[1],) * 2)
        values[q.name] = 2.0 * np.eye(cols) + rng.uniform(-0.3, 0.3, (cols, cols))
        values[u.name] = np.linalg.solve(values[q.name].T, target.T)
        return N.MatMul(N.Transpose(u), q)
    p, q = N.Var(f"arg{i}a", (child.shape[0],) * 2), N.Var(f"arg{i}b", child.shape)
    values[p.name] = 2.0 * np.eye(rows) + rng.uniform(-0.3, 0.3, (rows, rows))
    values[q.name] = np.linalg.solve(values[p.name], target)
    return N.MatMul(p, q)


def _sizes(node: N.Node) -> dict[str, int]:
    symbols = sorted(
        {str(s) for n in N.walk(node) for d in n.shape for s in sp.sympify(d).free_symbols}
        - {str(INNER)}
    )
    return {**dict(zip(symbols, good_sizes(len(symbols)), strict=True)), str(INNER): 3}


def _concrete(dim: Any, sizes: dict[str, int]) -> int:
    symbols = sp.sympify(dim).free_symbols
    return int(sp.sympify(dim).subs({s: sizes[str(s)] for s in symbols}))


def _case(spec: FunctionSpec | NodeSpec, kind: str) -> tuple[N.Node, dict, dict]:
    node = _example(spec)
    sizes = _sizes(node)
    rng = np.random.default_rng(7)
    values: dict[str, np.ndarray] = {}
    children = []
    for i, child in enumerate(node.children):
        if i in _labels(node):
            values[child.name] = np.array([[1.0]])  # class 1 of at least 3
            children.append(child)
            continue
        shape = tuple(_concrete(d, sizes) for d in child.shape)
        target = _sample(rng, shape, _domain(spec, i))
        children.append(_compound(kind, i, child, target, rng, values))
    return node.rebuild(tuple(children)), values, sizes


def _meaning(tree: N.Node, values: dict, sizes: dict) -> np.ndarray:
    env = {k: sp.Matrix(v.tolist()).applyfunc(sp.Float) for k, v in values.items()}
    return np.array(Explicit(env, sizes).evaluate(tree).tolist(), dtype=float)


def _code_value(tree: N.Node, backend: str, values: dict, sizes: dict) -> np.ndarray:
    """The backend's printed code for ``tree``, run on the same values."""
    spelling = BACKENDS[backend]
    lib = importlib.import_module({"numpy": "numpy", "torch": "torch", "jax": "jax"}[backend])
    if backend == "jax":
        lib.config.update("jax_enable_x64", True)
    text = CodePrinter(spelling).doprint(tree)
    namespace: dict[str, Any] = {}
    exec(spelling.header + "\n\n" + "\n\n".join(spelling.helpers.values()), namespace)  # noqa: S102 - our own generated code
    arrays = {
        "numpy": lambda v: v,
        "torch": lambda v: lib.tensor(v, dtype=lib.float64),
        "jax": lambda v: lib.numpy.asarray(v),
    }[backend]
    for name, v in values.items():
        flat = v.reshape(-1) if 1 in v.shape and v.size > 1 else v.reshape(()) if v.size == 1 else v
        namespace[name] = arrays(flat)
    namespace.update(sizes)
    namespace["_dev"] = None if backend != "torch" else lib.device("cpu")
    got = eval(text, namespace)  # noqa: S307 - the printer's output for a tree built here
    if backend == "torch":
        got = got.detach().numpy()
    return np.asarray(got, dtype=float)


@pytest.mark.parametrize("backend", ["numpy", "torch", "jax"])
@pytest.mark.parametrize("kind", COMPOUNDS)
@pytest.mark.parametrize("spec", OPS)
def test_code_reads_a_compound_argument_as_a_whole(spec: Any, kind: str, backend: str) -> None:
    if backend != "numpy":
        pytest.importorskip(backend, reason=f"{backend} is not installed")
    tree, values, sizes = _case(spec, kind)
    expected = _meaning(tree, values, sizes)
    got = _code_value(tree, backend, values, sizes)
    assert got.size == expected.size, (CodePrinter(BACKENDS[backend]).doprint(tree), got.shape)
    np.testing.assert_allclose(
        got.reshape(-1),
        expected.reshape(-1),
        rtol=1e-9,
        atol=1e-12,
        err_msg=CodePrinter(BACKENDS[backend]).doprint(tree),
    )


def test_the_phi_of_a_product_is_bracketed() -> None:
    """The review's case: φ(W x) in GELU's Hessian."""
    w, x = N.Var("W", (sp.Symbol("m"), sp.Symbol("n"))), N.Var("x", S.column(sp.Symbol("n")))
    text = CodePrinter().doprint(N.Apply("normal_pdf", N.MatMul(w, x)))
    assert text == "np.exp(-0.5 * (W @ x) ** 2) / 2.5066282746310002"
    quotient = CodePrinter().doprint(N.Div(N.Const(1), N.Apply("normal_pdf", x)))
    assert quotient == "1.0 / (np.exp(-0.5 * x ** 2) / 2.5066282746310002)"
