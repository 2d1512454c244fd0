"""The op registry: every op's spec, looked up by op (a node class, or a function's name).

- ``FUNCTIONS``: elementwise function name -> ``FunctionSpec`` (an ``Apply`` node's ``fn``);
- ``NODES``: node class -> ``NodeSpec``;
- ``CALLS``: the functions a user may call -> the spec that builds them (including sugar such
  as ``dot`` and ``outer``, which build other ops), in the op reference's order.

A missing entry is an error that names the op and this module (``MissingOp``), never a
fallback: every consumer reads its entry through ``node_spec``/``function_spec``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..expr import nodes as N
from ..expr import shapes as S
from .functions import FUNCTIONS
from .nodeops import NODE_SPECS
from .spec import CallSpec, Doc, Example, FunctionSpec, NodeSpec

__all__ = ["CALLS", "FUNCTIONS", "NODES", "MissingOp", "function_spec", "node_spec"]


class MissingOp(NotImplementedError):
    """An op the registry has no spec for (a bug: every op is registered)."""


NODES: dict[type, NodeSpec] = {spec.cls: spec for spec in NODE_SPECS}


def node_spec(op: type | N.Node) -> NodeSpec:
    cls = op if isinstance(op, type) else type(op)
    spec = NODES.get(cls)
    if spec is None:
        raise MissingOp(
            f"no registry entry for the op {getattr(cls, '__name__', cls)!r}; "
            "add a NodeSpec to derivations/ops/nodeops.py"
        )
    return spec


def function_spec(name: str) -> FunctionSpec:
    spec = FUNCTIONS.get(name)
    if spec is None:
        raise MissingOp(
            f"no registry entry for the function {name!r}; "
            "add a FunctionSpec to derivations/ops/functions.py"
        )
    return spec


# -- sugar: calls that build other ops ---------------------------------------------------------

Nv = ["n"]


def _build_dot(e: Any, args: list[N.Node], syn: Any) -> N.Node:
    a, b = args
    if S.is_column(a.shape) and a.shape == b.shape:
        return N.MatMul(N.Transpose(a), b)
    if S.is_matrix(a.shape) and a.shape == b.shape:
        return N.Sum(N.Mul(a, b))  # the Frobenius inner product
    raise e.shape_error(
        f"dot needs two vectors (or matrices) of the same shape, got {S.describe(a.shape)} and {S.describe(b.shape)}",
        syn.func_pos,
        "for a matrix-vector product write A @ x",
        a,
        b,
    )


def _build_outer(e: Any, args: list[N.Node], syn: Any) -> N.Node:
    a, b = args
    for x in args:
        e.need_vector("outer", x, syn)
    return N.MatMul(a, N.Transpose(b))


SUGAR = [
    CallSpec("dot", 2, _build_dot, lambda a, b: np.array([[float(np.sum(a * b))]]), "scalar",
             usage="dot(u, v)", latex_words=("dot",), plain_word=True,
             doc=Doc("dot(a, b)", "inner product of two vectors", "dot(x, y)", {"x": Nv, "y": Nv}),
             examples=(Example("dot(x, y)", {"x": ("n",), "y": ("n",)}, True),)),
    CallSpec("outer", 2, _build_outer, lambda a, b: a @ b.T, usage="outer(u, v)",
             latex_words=("outer",), plain_word=True,
             doc=Doc("outer(a, b)", "outer product a bᵀ", "u.T @ outer(x, y) @ v",
                     {"u": Nv, "x": Nv, "y": ["m"], "v": ["m"]}),
             examples=(Example("u.T @ outer(x, y) @ v",
                               {"u": ("n",), "x": ("n",), "y": ("m",), "v": ("m",)}),)),
]  # fmt: skip

CallableSpec = FunctionSpec | NodeSpec | CallSpec

# The op reference's order: functions, then reductions and linear algebra.
_CALL_ORDER = ["sum", "mean", "dot", "outer", "norm2", "trace", "det", "logdet", "inv", "diag",
               "softmax", "log_softmax", "logsumexp", "concat", "kron", "matpow", "ones",
               "eye", "var", "layernorm"]  # fmt: skip


def _calls() -> dict[str, CallableSpec]:
    named: dict[str, CallableSpec] = {s.name: s for s in NODE_SPECS if s.name}
    named.update({s.name: s for s in SUGAR})
    out: dict[str, CallableSpec] = {n: f for n, f in FUNCTIONS.items() if f.user_facing}
    for name in [*_CALL_ORDER, *sorted(set(named) - set(_CALL_ORDER))]:
        if name in named:
            assert name not in out, f"{name!r} names two ops"
            out[name] = named[name]
    return out


CALLS: dict[str, CallableSpec] = _calls()


def usage(name: str) -> str:
    """How a call is written, for arity errors: leaky_relu(x, alpha), concat(x1, x2, ...)."""
    spec = CALLS.get(name) or FUNCTIONS.get(name)
    return (spec.usage if spec is not None else None) or f"{name}(x)"


def every_spec() -> list[FunctionSpec | NodeSpec | CallSpec]:
    return [*FUNCTIONS.values(), *NODES.values(), *SUGAR]
