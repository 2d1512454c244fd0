"""Forward/backward pairs ("gates"): one per node class, one per elementwise function.

Why hand-written: the engine is the *independent* numeric check of the symbolic rules in
``derivations.calculus``; deriving these gates from the same SymPy table would check the rules
against themselves. Every backward is the lecture's recipe, downstream = upstream × local.

Convention inside the engine: every value is a 2-D float64 array whose shape matches the
symbolic (rows, cols) shape, a scalar being (1, 1). Elementwise ops broadcast a (1, 1) operand,
and such an operand's gradient is the sum of the broadcast gradient (``unbroadcast``).

A forward is ``forward(params, inputs) -> array``; a backward is
``backward(params, upstream, output, inputs, needs) -> [gradient or None per input]`` and only
computes the entries whose ``needs`` flag is set, so pruned branches cost nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..expr import nodes as N
from ..ops.indexing import Index, OneHot
from ..ops.nodeops import Cumsum
from . import stable

Array = np.ndarray
Grads = list[Array | None]
Forward = Callable[[tuple, Sequence[Array]], Array]
Backward = Callable[[tuple, Array, Array, Sequence[Array], Sequence[bool]], Grads]


class UnknownOpError(NotImplementedError):
    """An op with no gate: the engine cannot evaluate or differentiate it."""


@dataclass(frozen=True)
class Gate:
    forward: Forward
    backward: Backward | None  # None: a leaf (nothing flows further back)


@dataclass(frozen=True)
class FunctionGate:
    """An elementwise function; ``backward`` returns partials in the output's (broadcast) shape."""

    forward: Callable[..., Array]
    backward: Callable[[Array, Array, Sequence[Array], Sequence[bool]], Grads]


def unbroadcast(grad: Array, shape: tuple[int, ...]) -> Array:
    """Sum a gradient back to a broadcast (1, 1) operand's shape (scalars broadcast only)."""
    if grad.shape == shape:
        return grad
    if shape == (1, 1):
        return np.sum(grad).reshape(1, 1)
    return np.broadcast_to(grad, shape)


def _sigmoid(x: Array) -> Array:
    # exp(-log(1 + e^-x)) never overflows, unlike 1 / (1 + exp(-x)) for very negative x.
    return np.exp(-np.logaddexp(0.0, -x))


def _erf(x: Array) -> Array:
    return np.vectorize(math.erf, otypes=[float])(x)


def _cdf(x: Array) -> Array:
    return 0.5 * (1.0 + _erf(x / math.sqrt(2.0)))


def _pdf(x: Array) -> Array:
    return np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def _gelu(x: Array) -> Array:
    return x * _cdf(x)


def _gelu_local(x: Array, y: Array) -> Array:
    # GELU = x Φ(x): the product rule gives Φ(x) + x φ(x), with Φ′ = φ the normal density.
    return _cdf(x) + x * _pdf(x)


def _zero(g: Array) -> Array:
    return np.zeros_like(g)


def _pow_forward(a: Array, p: Array) -> Array:
    return np.power(a, p)


def _pow_backward(g: Array, out: Array, ins: Sequence[Array], needs: Sequence[bool]) -> Grads:
    a, p = ins
    da = g * p * np.power(a, p - 1.0) if needs[0] else None
    dp = None
    if needs[1]:
        # d a^p / dp = a^p log a; at a == 0 the limit is 0, for a < 0 it does not exist (nan).
        safe = np.where(a > 0, a, 1.0)
        dp = np.where(a > 0, g * out * np.log(safe), np.where(a == 0, 0.0, np.nan))
    return [da, dp]


def _unary(
    forward: Callable[[Array], Array], local: Callable[[Array, Array], Array]
) -> FunctionGate:
    """A one-argument function whose local derivative is ``local(x, y)``."""

    def backward(g: Array, out: Array, ins: Sequence[Array], needs: Sequence[bool]) -> Grads:
        return [g * local(ins[0], out)]

    return FunctionGate(forward, backward)


def _indicator(forward: Callable[..., Array], arity: int) -> FunctionGate:
    """Indicators and sign: piecewise constant, so the gradient is zero everywhere it exists."""

    def backward(g: Array, out: Array, ins: Sequence[Array], needs: Sequence[bool]) -> Grads:
        return [_zero(g) if need else None for need in needs[:arity]]

    return FunctionGate(forward, backward)


def _max_backward(g: Array, out: Array, ins: Sequence[Array], needs: Sequence[bool]) -> Grads:
    a, b = ins  # ties route to a: d/da = 1[a >= b], d/db = 1[b > a]
    return [g * (a >= b) if needs[0] else None, g * (b > a) if needs[1] else None]


def _min_backward(g: Array, out: Array, ins: Sequence[Array], needs: Sequence[bool]) -> Grads:
    a, b = ins  # ties route to a: d/da = 1[b >= a], d/db = 1[a > b]
    return [g * (b >= a) if needs[0] else None, g * (a > b) if needs[1] else None]


def _leaky_relu_forward(x: Array, alpha: Array) -> Array:
    return np.where(x > 0, x, alpha * x)


def _leaky_relu_backward(
    g: Array, out: Array, ins: Sequence[Array], needs: Sequence[bool]
) -> Grads:
    x, alpha = ins
    dx = g * np.where(x > 0, 1.0, alpha) if needs[0] else None
    dalpha = g * np.minimum(x, 0.0) if needs[1] else None
    return [dx, dalpha]


def _leaky_step_forward(x: Array, alpha: Array) -> Array:
    return np.where(x > 0, 1.0, alpha + np.zeros_like(x))


def _leaky_step_backward(
    g: Array, out: Array, ins: Sequence[Array], needs: Sequence[bool]
) -> Grads:
    x, _ = ins  # zero in x almost everywhere; in α it is the indicator 1[x <= 0]
    return [_zero(g) if needs[0] else None, g * (x <= 0) if needs[1] else None]


FUNCTION_GATES: dict[str, FunctionGate] = {
    "exp": _unary(np.exp, lambda x, y: y),
    "log": _unary(np.log, lambda x, y: 1.0 / x),
    "log1p": _unary(np.log1p, lambda x, y: 1.0 / (1.0 + x)),
    "sqrt": _unary(np.sqrt, lambda x, y: 0.5 / y),
    "abs": _unary(np.abs, lambda x, y: np.sign(x)),
    "sin": _unary(np.sin, lambda x, y: np.cos(x)),
    "cos": _unary(np.cos, lambda x, y: -np.sin(x)),
    "tan": _unary(np.tan, lambda x, y: 1.0 + y * y),
    "erf": _unary(_erf, lambda x, y: 2.0 / math.sqrt(math.pi) * np.exp(-x * x)),
    "gelu": _unary(_gelu, _gelu_local),
    "normal_cdf": _unary(_cdf, lambda x, y: _pdf(x)),
    "normal_pdf": _unary(_pdf, lambda x, y: -x * y),
    "tanh": _unary(np.tanh, lambda x, y: 1.0 - y * y),
    "sigmoid": _unary(_sigmoid, lambda x, y: y * (1.0 - y)),
    "relu": _unary(lambda x: np.maximum(x, 0.0), lambda x, y: x > 0),
    "softplus": _unary(lambda x: np.logaddexp(0.0, x), lambda x, y: _sigmoid(x)),
    "leaky_relu": FunctionGate(_leaky_relu_forward, _leaky_relu_backward),
    "max": FunctionGate(np.maximum, _max_backward),
    "min": FunctionGate(np.minimum, _min_backward),
    "pow": FunctionGate(_pow_forward, _pow_backward),
    "gt": _indicator(lambda a, b: (a > b).astype(np.float64), 2),
    "ge": _indicator(lambda a, b: (a >= b).astype(np.float64), 2),
    "sign": _indicator(np.sign, 1),
    "leaky_step": FunctionGate(_leaky_step_forward, _leaky_step_backward),
}


# --- node gates ----------------------------------------------------------------------------


def _leaf(forward: Forward) -> Gate:
    return Gate(forward, None)


def _var_forward(params: tuple, ins: Sequence[Array]) -> Array:
    # Inputs are fed by the graph; a Var with one input aliases an intermediate (z = x).
    return ins[0]


def _const_forward(params: tuple, ins: Sequence[Array]) -> Array:
    return np.full((1, 1), float(params[0]))


def _basis_forward(params: tuple, ins: Sequence[Array]) -> Array:
    index, n = params
    e = np.zeros((n, 1))
    e[index, 0] = 1.0
    return e


def _add_forward(params: tuple, ins: Sequence[Array]) -> Array:
    out = ins[0] + ins[1]
    for x in ins[2:]:
        out = out + x
    return out


def _add_backward(params, g, out, ins, needs) -> Grads:
    return [unbroadcast(g, x.shape) if need else None for x, need in zip(ins, needs, strict=True)]


def _mul_forward(params: tuple, ins: Sequence[Array]) -> Array:
    out = ins[0] * ins[1]
    for x in ins[2:]:
        out = out * x
    return out


def _mul_backward(params, g, out, ins, needs) -> Grads:
    grads: Grads = []
    for k, (x, need) in enumerate(zip(ins, needs, strict=True)):
        if not need:
            grads.append(None)
            continue
        # The product of the other factors (not out / x, which fails where x == 0).
        local = g
        for j, other in enumerate(ins):
            if j != k:
                local = local * other
        grads.append(unbroadcast(local, x.shape))
    return grads


def _div_backward(params, g, out, ins, needs) -> Grads:
    a, b = ins
    da = unbroadcast(g / b, a.shape) if needs[0] else None
    db = unbroadcast(-g * out / b, b.shape) if needs[1] else None
    return [da, db]


def _apply_forward(params: tuple, ins: Sequence[Array]) -> Array:
    return FUNCTION_GATES[params[0]].forward(*ins)


def _apply_backward(params, g, out, ins, needs) -> Grads:
    parts = FUNCTION_GATES[params[0]].backward(g, out, ins, needs)
    return [
        None if p is None else unbroadcast(np.broadcast_to(p, out.shape), x.shape)
        for p, x in zip(parts, ins, strict=True)
    ]


def _matmul_forward(params: tuple, ins: Sequence[Array]) -> Array:
    a, b = ins
    if a.shape[1] == 1:  # an outer product (b 1ᵀ broadcasts a bias): BLAS is slow at k = 1
        return a * b
    return a @ b


def _matmul_backward(params, g, out, ins, needs) -> Grads:
    a, b = ins
    return [g @ b.T if needs[0] else None, a.T @ g if needs[1] else None]


def _inverse_backward(params, g, out, ins, needs) -> Grads:
    # d(A⁻¹) = -A⁻¹ dA A⁻¹  =>  dA = -A⁻ᵀ G A⁻ᵀ
    return [-out.T @ g @ out.T]


def _det_forward(params: tuple, ins: Sequence[Array]) -> Array:
    return np.linalg.det(ins[0]).reshape(1, 1)


# Below this ratio of smallest to largest singular value, A⁻¹ is too inaccurate to use.
_DET_WELL_CONDITIONED = 1e-8


def _det_backward(params, g, out, ins, needs) -> Grads:
    # ∂det/∂A = adj(A)ᵀ, which exists for singular A too (det(A)·A⁻ᵀ does not). With
    # A = UΣVᵀ: adj(A) = det(V)·det(U)·V adj(Σ) Uᵀ, where adj(Σ)_ii = Π_{j≠i} σ_j.
    # That route rounds n − 1 singular values into every entry and det(U), det(V) into all
    # of them: at 16×16 it is ~25× less accurate than det(A)·A⁻ᵀ by LU, and finite differences
    # of this gradient (the engine's Hessian reference) divide that error by h. So a
    # well-conditioned A takes det(A)·A⁻ᵀ, and only a (nearly) singular one the SVD.
    u, sigma, vt = np.linalg.svd(ins[0])
    if sigma.size and sigma[-1] > _DET_WELL_CONDITIONED * sigma[0]:
        return [g * (np.linalg.det(ins[0]) * np.linalg.inv(ins[0]).T)]
    others = np.array([np.prod(np.delete(sigma, i)) for i in range(sigma.size)])
    adjugate = np.linalg.det(vt) * np.linalg.det(u) * (vt.T * others) @ u.T
    return [g * adjugate.T]


def _logdet_forward(params: tuple, ins: Sequence[Array]) -> Array:
    _, logabs = np.linalg.slogdet(ins[0])
    return np.reshape(logabs, (1, 1))


def _logdet_backward(params, g, out, ins, needs) -> Grads:
    return [g * np.linalg.inv(ins[0]).T]  # log|det A| has gradient A⁻ᵀ for either sign


def _trace_backward(params, g, out, ins, needs) -> Grads:
    return [g * np.eye(ins[0].shape[0])]


def _diag_forward(params: tuple, ins: Sequence[Array]) -> Array:
    return np.diag(ins[0].ravel())


def _diag_backward(params, g, out, ins, needs) -> Grads:
    return [np.diag(g).reshape(ins[0].shape).copy()]


def _diagpart_backward(params, g, out, ins, needs) -> Grads:
    return [np.diag(g.ravel())]


def _sum_backward(params, g, out, ins, needs) -> Grads:
    return [np.broadcast_to(g, ins[0].shape)]


def _mean_backward(params, g, out, ins, needs) -> Grads:
    return [np.broadcast_to(g / ins[0].size, ins[0].shape)]


def _norm_backward(params, g, out, ins, needs) -> Grads:
    norm = out[0, 0]
    # At 0 the norm has no gradient; 0 is the minimum-norm subgradient.
    return [g * ins[0] / norm if norm > 0 else np.zeros_like(ins[0])]


def _softmax(x: Array) -> Array:
    return stable.softmax(x, None)


def _logsumexp(x: Array) -> float:
    return float(stable.logsumexp(x, None).reshape(()))


def _softmax_backward(params, g, out, ins, needs) -> Grads:
    return [stable.softmax_backward(out, g, None)]


def _log_softmax_backward(params, g, out, ins, needs) -> Grads:
    return [stable.log_softmax_backward(out, g, None)]


def _logsumexp_backward(params, g, out, ins, needs) -> Grads:
    return [g * _softmax(ins[0])]


def _concat_backward(params, g, out, ins, needs) -> Grads:
    grads: Grads = []
    start = 0
    for x, need in zip(ins, needs, strict=True):
        stop = start + x.shape[0]
        grads.append(g[start:stop] if need else None)
        start = stop
    return grads


def _slice_backward(params, g, out, ins, needs) -> Grads:
    start, stop = params
    full = np.zeros_like(ins[0])
    full[start:stop] = g
    return [full]


def _pick(pick: tuple, labels: list) -> object:
    if pick[0] == "label":
        return int(round(float(labels.pop(0).reshape(()))))
    if pick[0] == "unit":
        return 0
    return pick[1] if pick[0] == "at" else slice(None)


def _index_at(params: tuple, ins: Sequence[Array]) -> tuple[object, object]:
    labels = list(ins[1:])
    return _pick(params[0], labels), _pick(params[1], labels)


def _index_forward(params, ins) -> Array:
    r, c = _index_at(params, ins)
    return np.asarray(ins[0][r, c], dtype=float).reshape(
        ins[0].shape[0] if r == slice(None) else 1, ins[0].shape[1] if c == slice(None) else 1
    )


def _index_backward(params, g, out, ins, needs) -> Grads:
    r, c = _index_at(params, ins)
    full = np.zeros_like(ins[0])
    full[r, c] = np.reshape(g, np.shape(full[r, c]))
    return [full, *(None for _ in ins[1:])]


def _onehot_forward(params, ins) -> Array:
    n, pick = params
    out = np.zeros((int(n), 1))
    out[_pick(pick, list(ins)), 0] = 1.0
    return out


def _cumsum_backward(params, g, out, ins, needs) -> Grads:
    # Entry i of the input feeds every output entry j >= i: a running sum from the end.
    return [np.flip(np.cumsum(np.flip(g, axis=0), axis=0), axis=0)]


GATES: dict[type[N.Node], Gate] = {
    N.Var: Gate(_var_forward, lambda p, g, out, ins, needs: [g]),
    N.Const: _leaf(_const_forward),
    N.Zeros: _leaf(lambda p, ins: np.zeros(p[0])),
    N.Ones: _leaf(lambda p, ins: np.ones(p[0])),
    N.Identity: _leaf(lambda p, ins: np.eye(p[0])),
    N.Basis: _leaf(_basis_forward),
    N.Add: Gate(_add_forward, _add_backward),
    N.Neg: Gate(lambda p, ins: -ins[0], lambda p, g, out, ins, needs: [-g]),
    N.Mul: Gate(_mul_forward, _mul_backward),
    N.Div: Gate(lambda p, ins: ins[0] / ins[1], _div_backward),
    N.Apply: Gate(_apply_forward, _apply_backward),
    N.MatMul: Gate(_matmul_forward, _matmul_backward),
    N.Transpose: Gate(lambda p, ins: ins[0].T, lambda p, g, out, ins, needs: [g.T]),
    N.Inverse: Gate(lambda p, ins: np.linalg.inv(ins[0]), _inverse_backward),
    N.Det: Gate(_det_forward, _det_backward),
    N.LogDet: Gate(_logdet_forward, _logdet_backward),
    N.Trace: Gate(lambda p, ins: np.trace(ins[0]).reshape(1, 1), _trace_backward),
    N.Diag: Gate(_diag_forward, _diag_backward),
    N.DiagPart: Gate(lambda p, ins: np.diag(ins[0]).reshape(-1, 1), _diagpart_backward),
    N.Sum: Gate(lambda p, ins: np.sum(ins[0]).reshape(1, 1), _sum_backward),
    N.Mean: Gate(lambda p, ins: np.mean(ins[0]).reshape(1, 1), _mean_backward),
    N.Norm2: Gate(lambda p, ins: np.sqrt(np.sum(ins[0] ** 2)).reshape(1, 1), _norm_backward),
    N.Softmax: Gate(lambda p, ins: _softmax(ins[0]), _softmax_backward),
    N.LogSoftmax: Gate(lambda p, ins: stable.log_softmax(ins[0], None), _log_softmax_backward),
    N.LogSumExp: Gate(lambda p, ins: np.full((1, 1), _logsumexp(ins[0])), _logsumexp_backward),
    N.Concat: Gate(lambda p, ins: np.concatenate(ins, axis=0), _concat_backward),
    N.Slice: Gate(lambda p, ins: ins[0][p[0] : p[1]], _slice_backward),
    Index: Gate(_index_forward, _index_backward),
    OneHot: Gate(_onehot_forward, lambda p, g, out, ins, needs: [None for _ in ins]),
    Cumsum: Gate(lambda p, ins: np.cumsum(ins[0], axis=0), _cumsum_backward),
}

# Ops whose operands broadcast elementwise (a (1, 1) operand against any shape).
ELEMENTWISE: frozenset[type[N.Node]] = frozenset({N.Add, N.Mul, N.Div, N.Apply})


def gate_for(op: type[N.Node], fn: str | None = None) -> Gate:
    """The gate of an op, or a clear error naming what is missing."""
    gate = GATES.get(op)
    if gate is None:
        raise UnknownOpError(
            f"the engine has no gate for op {getattr(op, '__name__', op)!r}; "
            "add a forward/backward pair to derivations/engine/gates.py::GATES"
        )
    if op is N.Apply and fn not in FUNCTION_GATES:
        raise UnknownOpError(
            f"the engine has no gate for function {fn!r}; "
            "add a forward/backward pair to derivations/engine/gates.py::FUNCTION_GATES"
        )
    return gate


# The ops along an axis keep their gates in one module; registered here, where gate_for looks.
from .axis_gates import AXIS_GATES  # noqa: E402 - axis_gates builds on Gate, defined above

GATES.update(AXIS_GATES)

from .product_gates import PRODUCT_GATES  # noqa: E402 - kron, matpow, var, layernorm

GATES.update(PRODUCT_GATES)
