"""An independent reference for the front end: the parsed source evaluated with plain NumPy.

Every other check starts from the elaborated program, so a mistake of the elaborator (``a - b``
read as ``b - a``, ``mean`` as ``sum``) would be verified as faithfully as a right reading. This
evaluator starts from the syntax tree the parser returns, before elaboration and name
introduction, and gives each construct the meaning the README's language table states, in
NumPy: each call's ``value`` from the op registry, one line each, written apart from the
elaborator's builders. Vectors are columns (n, 1) and scalars 1×1, so ``x @ x.T`` is an outer
product and broadcasting does the scalar cases. It imports nothing from the elaborator or the
printers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ..language import ast
from ..ops.registry import CALLS as OP_CALLS

Array = np.ndarray


def _scalar(x: Any) -> Array:
    return np.array([[float(x)]])


# Each call's NumPy meaning, as the op registry states it (one line per op there).
CALLS: dict[str, Callable[..., Array]] = {name: spec.value for name, spec in OP_CALLS.items()}


def _lse(v: Array, axis: int) -> Array:
    m = np.max(v, axis=axis, keepdims=True)
    return m + np.log(np.sum(np.exp(v - m), axis=axis, keepdims=True))


# f(X, axis=k), NumPy's meaning with keepdims (the README's "Axes" section).
AXIS_CALLS: dict[str, Callable[[Array, int], Array]] = {
    "sum": lambda x, k: np.sum(x, axis=k, keepdims=True),
    "mean": lambda x, k: np.mean(x, axis=k, keepdims=True),
    "max": lambda x, k: np.max(x, axis=k, keepdims=True),
    "logsumexp": _lse,
    "softmax": lambda x, k: np.exp(x - _lse(x, k)),
    "log_softmax": lambda x, k: x - _lse(x, k),
}


def _axis(call: ast.Call) -> int:
    (keyword,) = call.keywords
    value = keyword.value
    if isinstance(value, ast.Unary):
        return -int(value.operand.text) % 2  # type: ignore[union-attr]
    return int(value.text)  # type: ignore[union-attr]


BINARY: dict[str, Callable[[Array, Array], Array]] = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "/": np.divide,
    "@": np.matmul,
    "**": np.power,
}


def _column(value: Any) -> Array:
    a = np.asarray(value, dtype=float)
    return a.reshape(-1, 1) if a.ndim == 1 else a.reshape(1, 1) if a.ndim == 0 else a


def _eval(node: ast.Syntax, env: Mapping[str, Array]) -> Array:
    if isinstance(node, ast.Name):
        return env[node.id]
    if isinstance(node, ast.Number):
        return _scalar(node.text)
    if isinstance(node, ast.Unary):
        value = _eval(node.operand, env)
        return -value if node.op == "-" else value
    if isinstance(node, ast.TransposeOp):
        return _eval(node.operand, env).T
    if isinstance(node, ast.BinOp):
        return BINARY[node.op](_eval(node.left, env), _eval(node.right, env))
    if isinstance(node, ast.Call) and node.func in _INDEXING:
        return _INDEXING[node.func](node, env)
    if isinstance(node, ast.Call) and node.keywords:
        return AXIS_CALLS[node.func](_eval(node.args[0], env), _axis(node))
    if isinstance(node, ast.Call):
        return CALLS[node.func](*(_eval(a, env) for a in node.args))
    raise TypeError(f"unknown syntax {type(node).__name__}")


# -- indexing, as NumPy indexes (0-based, negative from the end; a label is an integer) ------------


def _subscript(node: ast.Syntax, env: Mapping[str, Array]) -> Any:
    if isinstance(node, ast.Call) and node.func == "_span":
        lo, hi = (None if _is_end(b) else _int(b, env) for b in node.args)
        return slice(lo, hi)
    return _int(node, env)


def _is_end(node: ast.Syntax) -> bool:
    return isinstance(node, ast.Call) and node.func == "_end"


def _int(node: ast.Syntax, env: Mapping[str, Array]) -> int:
    return int(round(float(_eval(node, env).reshape(()))))


def _index(node: ast.Call, env: Mapping[str, Array]) -> Array:
    """x[i], X[i, j], X[:, j], x[a:b], z[y] with NumPy's semantics on the 1-D/2-D arrays."""
    base = _eval(node.args[0], env)
    subs = tuple(_subscript(s, env) for s in node.args[1:])
    if base.shape[1] == 1 and len(subs) == 1:  # a column vector is 1-D in NumPy
        return _column(base[:, 0][subs[0]])
    if base.shape[0] == 1 and len(subs) == 1:  # a row vector too
        return (
            _column(base[0, :][subs[0]]).T
            if isinstance(subs[0], slice)
            else _column(base[0, :][subs[0]])
        )
    return _column(base[subs])


def _onehot(node: ast.Call, env: Mapping[str, Array]) -> Array:
    index, n = (_int(a, env) for a in node.args)
    out = np.zeros((n, 1))
    out[index, 0] = 1.0
    return out


def _cross_entropy(node: ast.Call, env: Mapping[str, Array]) -> Array:
    """−log softmax(z)_y, computed stably."""
    z = _eval(node.args[0], env).ravel()
    y = _int(node.args[1], env)
    m = float(np.max(z))
    return _scalar(m + np.log(np.sum(np.exp(z - m))) - z[y])


_INDEXING: dict[str, Callable[[ast.Call, Mapping[str, Array]], Array]] = {
    "_index": _index,
    "onehot": _onehot,
    "cross_entropy": _cross_entropy,
}


def evaluate_source(
    program: ast.Program, inputs: Mapping[str, Any], sizes: Mapping[str, int] | None = None
) -> Array:
    """The value of the program's last statement at ``inputs``, from the parsed source alone
    (``sizes``: the dimensions a program may use as numbers, as in ``onehot(y, k)``)."""
    env: dict[str, Array] = {"pi": _scalar(np.pi)}  # π, unless a name shadows it
    env.update({name: _scalar(v) for name, v in (sizes or {}).items()})
    env.update({name: _column(v) for name, v in inputs.items()})
    value: Array | None = None
    for statement in program.statements:
        value = _eval(statement.value, env)
        if statement.target is not None:
            env[statement.target] = value
    assert value is not None
    return value
