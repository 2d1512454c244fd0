"""The derivative by a scalar, driven by the rules: every registered op declares one, verified.

``cumsum(t * x)`` by t, ``softmax(t * X, axis=1)`` and ``(t * X)[0]`` once raised
NotImplementedError("no tangent rule for …") from a tangent table of its own in
``calculus/tangent.py`` (a 500 in the service), and then fell back to the Jacobian or the
index form: ops added through the registry (cumsum, the axis ops, indexing, kron, matpow, var,
layernorm) had no entry. The rule of each op in ``calculus/rules.py::RULES`` now gives it
(elementwise: the partial times the tangent; linear: the op over the tangents; general: written
beside its VJP), and every registry example is differentiated by a scalar here: each array
variable V becomes V + t dV, a scalar output is multiplied by a vector r so that the result is
a derivative by a scalar (not a gradient), and the result is verified three ways.
"""

from __future__ import annotations

import re

import pytest

from derivations import derive
from derivations.calculus import forward
from derivations.calculus.derivation import derive_program
from derivations.calculus.rules import RULES, SCALAR
from derivations.expr import nodes as N
from derivations.expr.program import TypedProgram
from derivations.expr.shapes import SCALAR as SCALAR_SHAPE
from derivations.expr.shapes import column, dim, free_dims, user_shape
from derivations.limits import DEFAULT_LIMITS
from derivations.ops.registry import NODES
from derivations.result import make_result
from derivations.verify.run import verify_result
from tests.op_programs import NODE_PROGRAMS, USER_PROGRAMS

T = {"t": ()}
BY_SCALAR = "derivative by a scalar: the output's shape"


@pytest.mark.parametrize("cls", list(NODES), ids=lambda c: c.__name__)
def test_every_registered_op_declares_its_derivative_by_a_scalar(cls: type) -> None:
    assert RULES[cls].scalar is not None, (
        f"{cls.__name__}: declare its derivative by a scalar in calculus/rules.py::RULES"
    )


def test_an_op_without_one_is_an_explicit_error_and_the_result_falls_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(SCALAR, N.Softmax, None)
    x, t = N.Var("x", column(dim("n"))), N.Var("t", SCALAR_SHAPE)
    with pytest.raises(forward.NoTangentRule, match=r"Softmax.*calculus/rules\.py::RULES"):
        forward.derivative_by_scalar([], N.Softmax(N.Mul(t, x)), t)
    d = derive("softmax(t * x)", {**T, "x": ("n",)}, wrt=["t"]).to_dict()
    assert d["verification"]["passed"], d["verification"]
    assert d["derivatives"][0]["layout"] != BY_SCALAR  # the Jacobian instead of a crash


@pytest.mark.parametrize(
    ("program", "variables"),
    [
        ("cumsum(t * x)", {"x": ("n",)}),
        ("cumsum(t * X)", {"X": ("n", "m")}),
        ("softmax(t * X, axis=1)", {"X": ("n", "m")}),
        ("log_softmax(t * X, axis=0)", {"X": ("n", "m")}),
        ("logsumexp(t * X, axis=0)", {"X": ("n", "m")}),
        ("max(t * X, axis=1)", {"X": ("n", "m")}),
        ("(t * X)[0]", {"X": ("n", "m")}),
        ("(t * X)[:, 1]", {"X": ("n", "m")}),
        ("(t * X)[y]", {"X": ("k", "m"), "y": {"kind": "label", "classes": "k"}}),
    ],
)
def test_derivative_by_a_scalar_through_every_op(program: str, variables: dict) -> None:
    d = derive(program, {**T, **variables}, wrt=["t"]).to_dict()
    assert d["verification"]["passed"], d["verification"]
    assert [(x["wrt"], x["layout"]) for x in d["derivatives"]] == [("t", BY_SCALAR)]


def _along_t(program: str, variables: dict) -> tuple[str, dict] | None:
    """Every array variable V of the program replaced by V + t dV (None: it has none)."""
    out, extra = program, {}
    for name, shape in variables.items():
        if not (isinstance(shape, tuple) and shape):
            continue
        new = re.sub(rf"(?<![\w.]){re.escape(name)}(?![\w(=])", f"({name} + t * d{name})", out)
        if new != out:
            out, extra = new, {**extra, f"d{name}": shape}
    return None if out == program else (out, {**variables, **extra, **T})


def _cases() -> list:
    cases = []
    for op, program, variables, _ in USER_PROGRAMS:
        moved = _along_t(program, variables)
        if moved is not None:
            cases.append(pytest.param(*moved, id=f"{op}:{program}"))
    return cases


# A displayed form the LaTeX reader cannot read back (its shape inference of ⊗ beside a row
# vector): the other checks still hold.
_NOT_READ = {"(w + t * dw).T @ kron((x + t * dx), (y + t * dy))"}


@pytest.mark.parametrize(("program", "variables"), _cases())
def test_every_example_by_a_scalar_verifies(program: str, variables: dict) -> None:
    first = derive(program, variables, wrt=["t"], verify=False).to_dict()
    if first["derivatives"][0]["kind"] == "gradient":  # a scalar output: make it a vector
        head, sep, last = program.rpartition(";")
        program = f"{head}{sep} ({last.strip()}) * r".lstrip()
        variables = {**variables, "r": ("q",)}
    d = derive(program, variables, wrt=["t"]).to_dict()
    assert [x["layout"] for x in d["derivatives"]] == [BY_SCALAR]
    checks = d["verification"]["checks"]
    failed = [c for c in checks if not c["passed"] or c.get("skipped")]
    if any(program.startswith(f"({gap})") for gap in _NOT_READ):
        failed = [c for c in failed if c["method"] != "displayed_form"]
    assert not failed, failed


@pytest.mark.parametrize(
    ("op", "node", "inputs"), NODE_PROGRAMS, ids=[op for op, *_ in NODE_PROGRAMS]
)
def test_every_derivative_only_op_by_a_scalar_verifies(op: str, node: N.Node, inputs: dict) -> None:
    """The ops only derivatives produce (diag_part, slices, kron shares), on built trees."""
    t, r = N.Var("t", SCALAR_SHAPE), N.Var("r", column(dim("q")))
    moved = {v: N.Add(v, N.Mul(t, N.Var(f"d{k}", v.shape))) for k, v in inputs.items()}
    root = N.substitute(node, moved)
    root = N.Mul(root, r) if root.is_scalar else root
    names = {**inputs, **{f"d{k}": N.Var(f"d{k}", v.shape) for k, v in inputs.items()}}
    names.update({"t": t, "r": r})
    program = TypedProgram(
        f"<{op}>", names, [], root, None, free_dims([v.shape for v in names.values()])
    )
    result = make_result(derive_program(program, ["t"], hessian=False), hessian=False)
    assert [x["layout"] for x in result.to_dict()["derivatives"]] == [BY_SCALAR]
    variables = {name: user_shape(v.shape) for name, v in names.items()}
    verification = verify_result(result, variables, DEFAULT_LIMITS)
    assert verification["passed"], verification
