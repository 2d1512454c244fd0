"""An independent evaluator of typed trees with HIPS autograd, the engine's test oracle.

Values are 2-D (a vector is (n, 1), a scalar (1, 1)), as inside the engine. Piecewise functions
use ``anp.where`` with the table's tie conventions, so that ties route as the engine's gates do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import autograd.numpy as anp
import numpy as np
import sympy as sp

from derivations.expr import nodes as N
from derivations.expr.program import TypedProgram


def _bcast(*args: Any) -> list[Any]:
    shape = np.broadcast_shapes(*(anp.shape(a) for a in args))
    return [a + anp.zeros(shape) for a in args]


def _max(a, b):
    a, b = _bcast(a, b)
    return anp.where(a >= b, a, b)


def _min(a, b):
    a, b = _bcast(a, b)
    return anp.where(b >= a, a, b)


def _leaky_relu(x, alpha):
    x, alpha = _bcast(x, alpha)
    return anp.where(x > 0, x, alpha * x)


def _leaky_step(x, alpha):
    x, alpha = _bcast(x, alpha)
    return anp.where(x > 0, anp.ones(anp.shape(x)), alpha)


def _relu(x):
    return anp.where(x > 0, x, 0.0 * x)


FUNCTIONS = {
    "exp": anp.exp,
    "log": anp.log,
    "sqrt": anp.sqrt,
    "abs": anp.abs,
    "sin": anp.sin,
    "cos": anp.cos,
    "tanh": anp.tanh,
    "sigmoid": lambda x: 1.0 / (1.0 + anp.exp(-x)),
    "relu": _relu,
    "leaky_relu": _leaky_relu,
    "softplus": lambda x: anp.log(1.0 + anp.exp(x)),
    "max": _max,
    "min": _min,
    "pow": lambda a, p: a**p,
    "gt": lambda a, b: 1.0 * (a > b) + 0.0 * (a + b),
    "ge": lambda a, b: 1.0 * (a >= b) + 0.0 * (a + b),
    "sign": lambda x: anp.sign(x) + 0.0 * x,
    "leaky_step": _leaky_step,
}


def _num(expr: Any, dims: Mapping) -> Any:
    if isinstance(expr, tuple):
        return tuple(_num(e, dims) for e in expr)
    value = sp.sympify(expr).subs(dims)
    return int(value) if value.is_Integer else float(value)


def evaluate(
    node: N.Node, env: Mapping[str, Any], dims: Mapping, indices: Mapping[str, int]
) -> Any:
    """The value of ``node``; ``env`` holds inputs and already-evaluated intermediates."""
    memo: dict[int, Any] = {}
    for n in N.walk(node):
        kids = [memo[id(c)] for c in n.children]
        t = type(n)
        if t is N.Var:
            v = env[n.name]
        elif t is N.Const:
            v = anp.ones((1, 1)) * float(_num(n.value, dims))
        elif t is N.Zeros:
            v = anp.zeros(_num(n.params[0], dims))
        elif t is N.Ones:
            v = anp.ones(_num(n.params[0], dims))
        elif t is N.Identity:
            v = anp.eye(_num(n.params[0], dims))
        elif t is N.Basis:
            size = _num(n.params[1], dims)
            v = np.eye(size)[:, [indices[n.index]]]
        elif t is N.Add:
            v = kids[0]
            for k in kids[1:]:
                v = v + k
        elif t is N.Neg:
            v = -kids[0]
        elif t is N.Mul:
            v = kids[0]
            for k in kids[1:]:
                v = v * k
        elif t is N.Div:
            v = kids[0] / kids[1]
        elif t is N.Apply:
            v = FUNCTIONS[n.fn](*kids)
        elif t is N.MatMul:
            v = anp.dot(kids[0], kids[1])
        elif t is N.Transpose:
            v = anp.transpose(kids[0])
        elif t is N.Inverse:
            v = anp.linalg.inv(kids[0])
        elif t is N.Det:
            v = anp.reshape(anp.linalg.det(kids[0]), (1, 1))
        elif t is N.LogDet:
            v = anp.reshape(anp.linalg.slogdet(kids[0])[1], (1, 1))
        elif t is N.Trace:
            v = anp.reshape(anp.trace(kids[0]), (1, 1))
        elif t is N.Diag:
            v = anp.diag(anp.ravel(kids[0]))
        elif t is N.DiagPart:
            v = anp.reshape(anp.diag(kids[0]), (-1, 1))
        elif t is N.Sum:
            v = anp.reshape(anp.sum(kids[0]), (1, 1))
        elif t is N.Mean:
            v = anp.reshape(anp.mean(kids[0]), (1, 1))
        elif t is N.Norm2:
            v = anp.reshape(anp.sqrt(anp.sum(kids[0] ** 2)), (1, 1))
        elif t is N.Softmax:
            e = anp.exp(kids[0])
            v = e / anp.sum(e)
        elif t is N.LogSoftmax:
            v = kids[0] - anp.log(anp.sum(anp.exp(kids[0])))
        elif t is N.LogSumExp:
            v = anp.reshape(anp.log(anp.sum(anp.exp(kids[0]))), (1, 1))
        elif t is N.Concat:
            v = anp.concatenate(kids, axis=0)
        elif t is N.Slice:
            start, stop = _num(n.params, dims)
            v = kids[0][start:stop]
        else:  # pragma: no cover - a new node class needs an entry here
            raise NotImplementedError(t.__name__)
        memo[id(n)] = v
    return memo[id(node)]


def evaluate_program(
    program: TypedProgram, inputs: Mapping[str, Any], dims: Mapping, indices: Mapping[str, int]
) -> Any:
    env = dict(inputs)
    for d in program.definitions:
        env[d.name] = evaluate(d.node, env, dims, indices)
    return evaluate(program.output, env, dims, indices)


def to_api(value: np.ndarray, shape: tuple) -> Any:
    """2-D reference value -> the engine's boundary form for a declared shape."""
    if shape[0] == 1 and shape[1] == 1:
        return float(value[0, 0])
    if shape[1] == 1 or shape[0] == 1:
        return np.ravel(value)
    return value
