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
    if isinstance(node, ast.Call) and node.keywords:
        return AXIS_CALLS[node.func](_eval(node.args[0], env), _axis(node))
    if isinstance(node, ast.Call):
        return CALLS[node.func](*(_eval(a, env) for a in node.args))
    raise TypeError(f"unknown syntax {type(node).__name__}")


def evaluate_source(program: ast.Program, inputs: Mapping[str, Any]) -> Array:
    """The value of the program's last statement at ``inputs``, from the parsed source alone."""
    env: dict[str, Array] = {name: _column(v) for name, v in inputs.items()}
    value: Array | None = None
    for statement in program.statements:
        value = _eval(statement.value, env)
        if statement.target is not None:
            env[statement.target] = value
    assert value is not None
    return value
