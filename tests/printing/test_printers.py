"""The printers cover every node class and never leak library internals."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from derivations import derive
from derivations.expr import nodes as N
from derivations.expr import shapes as S
from derivations.ops.registry import FUNCTIONS, NODES
from derivations.printing.index import index_latex
from derivations.printing.latex import LatexPrinter
from derivations.printing.names import latex_name
from derivations.printing.numpy_code import NumpyPrinter
from tests.op_programs import USER_PROGRAMS, nodes_of

n, m = S.dim("n"), S.dim("m")
x = N.Var("x", S.column(n))
y = N.Var("y", S.column(n))
A = N.Var("A", (n, n))
W = N.Var("W", (n, m))
a = N.Var("a", S.SCALAR)

SAMPLES: dict[type, N.Node] = {
    N.Var: x, N.Const: N.Const(sp.Rational(3, 2)), N.Zeros: N.Zeros((n, m)), N.Ones: N.Ones(S.column(n)),
    N.Identity: N.Identity(n), N.Basis: N.Basis("i", n), N.Add: N.Add(x, y), N.Neg: N.Neg(x),
    N.Mul: N.Mul(a, x, y), N.Div: N.Div(x, y), N.Apply: N.Apply("tanh", x),
    N.MatMul: N.MatMul(W.__class__("W", (n, m)), N.Var("v", S.column(m))), N.Transpose: N.Transpose(W),
    N.Inverse: N.Inverse(A), N.Det: N.Det(A), N.LogDet: N.LogDet(A), N.Trace: N.Trace(A),
    N.Diag: N.Diag(x), N.DiagPart: N.DiagPart(A), N.Sum: N.Sum(x), N.Mean: N.Mean(W),
    N.Norm2: N.Norm2(W), N.Softmax: N.Softmax(x), N.LogSoftmax: N.LogSoftmax(x),
    N.LogSumExp: N.LogSumExp(x), N.Concat: N.Concat(x, y), N.Slice: N.Slice(N.Concat(x, y), n, 2 * n),
}  # fmt: skip

INTERNALS = (
    "PermuteDims",
    "Lambda",
    "mapsto",
    "DiagMatrix",
    "Dummy",
    "_a0",
    "ArrayDiagonal",
    "Var(",
    "Node",
)


def _sample(cls: type) -> N.Node:
    """The hand-picked sample, or the op's node in its registry example."""
    if cls in SAMPLES:
        return SAMPLES[cls]
    found = nodes_of(cls)
    assert found, f"{cls.__name__}: its registry examples contain no {cls.__name__} node"
    return found[0]


@pytest.mark.parametrize("cls", list(NODES), ids=lambda c: c.__name__)
def test_every_class_prints(cls: type) -> None:
    node = _sample(cls)
    tex = LatexPrinter().doprint(node)
    code = NumpyPrinter().doprint(node)
    assert tex and code
    assert not any(bad in tex for bad in INTERNALS)
    idx = index_latex(
        node, ("i", "j")[: 0 if node.is_scalar else (1 if S.is_vector(node.shape) else 2)]
    )
    assert idx and not any(bad in idx for bad in INTERNALS)


@pytest.mark.parametrize("fn", sorted(FUNCTIONS))
def test_every_function_prints(fn: str) -> None:
    args = [x] + [a] * (FUNCTIONS[fn].arity - 1)
    node = N.Apply(fn, *args)
    assert LatexPrinter().doprint(node)
    assert NumpyPrinter().doprint(node)


def test_textbook_latex_forms() -> None:
    p = LatexPrinter()
    assert p.doprint(N.Apply("relu", x)) == r"\operatorname{ReLU}\left(x\right)"
    assert p.doprint(N.Apply("gt", x, N.Const(0))) == r"\mathbb{1}\left[x > 0\right]"
    assert p.doprint(N.Apply("sigmoid", x)) == r"\sigma\left(x\right)"
    assert p.doprint(N.Transpose(N.Inverse(A))) == r"A^{-T}"
    assert p.doprint(N.Mul(x, y)) == r"x \circ y"
    assert p.doprint(N.Apply("pow", N.Apply("tanh", x), N.Const(2))) == r"\tanh^{2}\left(x\right)"


def test_names() -> None:
    assert latex_name("lam") == r"\lambda"
    assert latex_name("W1") == "W_{1}"
    assert latex_name("b_2") == "b_{2}"
    assert latex_name("x_museums") == r"x_{\text{museums}}"
    assert latex_name("delta_z") == r"\delta_{z}"
    # The δ of an accented intermediate keeps the accent (batch norm's Δ_X̂, not Δ_(Xhat)).
    assert latex_name("Delta_Xhat") == r"\Delta_{\hat{X}}"
    assert latex_name("delta_yhat") == r"\delta_{\hat{y}}"


@pytest.mark.parametrize(
    ("op", "program", "variables", "hessian"), USER_PROGRAMS, ids=[p for _, p, *_ in USER_PROGRAMS]
)
def test_no_internals_in_results(op: str, program: str, variables: dict, hessian: bool) -> None:
    d = derive(program, variables, hessian=hessian, verify=False).to_dict()
    texts = [d["output"]["latex"], *(x["latex"] for x in d["definitions"])]
    texts += [t for x in d["derivatives"] for t in (x["latex"], x["index_latex"])]
    texts += [s for steps in d["steps"].values() for s in steps]
    for text in texts:
        assert not any(bad in text for bad in INTERNALS), text
    assert "Lambda" not in d["code"]["numpy"]


def test_generated_code_imports_only_numpy_and_is_stable() -> None:
    r = derive(
        "-log(sigmoid(u.T @ v)) + sum(softplus(x)) - y.T @ log_softmax(x)",
        {"u": ("n",), "v": ("n",), "x": ("n",), "y": ("n",)},
        verify=False,
    )
    source = r.code["numpy"]
    imports = [line for line in source.splitlines() if line.startswith(("import", "from"))]
    assert imports == ["import numpy as np"]
    ns: dict = {}
    exec(compile(source, "generated", "exec"), ns)  # our own printer's output
    big = {
        "u": np.full(3, 30.0),
        "v": np.full(3, -30.0),
        "x": np.array([800.0, -800.0, 0.0]),
        "y": np.array([1.0, 0, 0]),
    }
    with np.errstate(
        over="raise", invalid="raise", divide="raise"
    ):  # underflow to 0 is exact enough
        value, grads = ns["value_and_grad"](**big)
    assert np.isfinite(value) and all(np.all(np.isfinite(g)) for g in grads.values())
    assert "np.logaddexp" in source and "_log_softmax" in source


def test_generated_code_is_readable() -> None:
    r = derive(
        "z = W @ x + b; h = tanh(z); s = u.T @ h",
        {"W": ("n", "m"), "x": ("m",), "b": ("n",), "u": ("n",)},
        verify=False,
    )
    source = r.code["numpy"]
    assert "    W: (n, m)" in source and "    x: (m,)" in source
    assert "delta = u * (1.0 - h ** 2)" in source  # reuses h from the forward pass
    assert "grad_W = np.outer(delta, x)" in source
