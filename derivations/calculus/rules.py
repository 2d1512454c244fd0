"""One rule per op: the adjoint (reverse mode) and the Jacobian (forward mode) of each node class.

Like PyTorch's derivatives.yaml or JAX's defjvp registry, this is a table with one entry per op
and one generic driver each (``reverse.py``, ``forward.py``). An op missing from a table raises
``NotImplementedError`` naming it; ``tests/calculus/test_rules.py`` is parametrised over the
tables, so a new op gets its finite-difference tests by being added here.

VJP entries take the node and its upstream adjoint G (shape of the node, shape convention) and
return one adjoint contribution per child (None where the child gets nothing). Jacobian entries
take the node and its children's Jacobians (numerator layout; None for "does not depend on the
variable") and return the node's Jacobian, or raise ``NoMatrixForm`` when the derivative is a
higher-order tensor, in which case the index form is used.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

from ..expr import nodes as N
from ..expr import shapes as S
from . import algebra as A
from .axis_rules import AXIS_VJP, jacobian_rules
from .scalar import partial


class NoMatrixForm(Exception):
    """The derivative is a 3- or 4-index tensor: only its index form exists."""


def unbroadcast(g: N.Node, child: N.Node) -> N.Node:
    """A scalar that was broadcast receives the sum of its adjoint's entries."""
    if child.is_scalar and not g.is_scalar:
        return A.sum_(g)
    return g


# --- reverse mode: vector-Jacobian products ------------------------------------------------

Vjp = Callable[[N.Node, N.Node], list[N.Node | None]]


def _vjp_add(node: N.Node, g: N.Node) -> list[N.Node | None]:
    return [unbroadcast(g, c) for c in node.children]


def _vjp_neg(node: N.Node, g: N.Node) -> list[N.Node | None]:
    return [A.neg(g)]


def _vjp_mul(node: N.Node, g: N.Node) -> list[N.Node | None]:
    out: list[N.Node | None] = []
    for k, child in enumerate(node.children):
        others = [c for j, c in enumerate(node.children) if j != k]
        out.append(unbroadcast(A.mul(g, *others), child))
    return out


def _vjp_div(node: N.Node, g: N.Node) -> list[N.Node | None]:
    a, b = node.children
    ga = unbroadcast(A.div(g, b), a)
    gb = unbroadcast(A.neg(A.div(A.mul(g, a), A.power(b, N.Const(2)))), b)
    return [ga, gb]


def _vjp_apply(node: N.Node, g: N.Node) -> list[N.Node | None]:
    assert isinstance(node, N.Apply)
    out: list[N.Node | None] = []
    for k, child in enumerate(node.children):
        d = partial(node.fn, node.children, k)
        out.append(None if A.is_zero(d) else unbroadcast(A.mul(g, d), child))
    return out


def _vjp_matmul(node: N.Node, g: N.Node) -> list[N.Node | None]:
    a, b = node.children
    return [A.matmul(g, A.transpose(b)), A.matmul(A.transpose(a), g)]


def _vjp_transpose(node: N.Node, g: N.Node) -> list[N.Node | None]:
    return [A.transpose(g)]


def _inverse_t(a: N.Node) -> N.Node:
    return A.transpose(N.Inverse(a))


def _vjp_inverse(node: N.Node, g: N.Node) -> list[N.Node | None]:
    (a,) = node.children
    return [A.neg(A.matmul(A.matmul(_inverse_t(a), g), _inverse_t(a)))]


def _vjp_det(node: N.Node, g: N.Node) -> list[N.Node | None]:
    (a,) = node.children
    return [A.mul(g, N.Det(a), _inverse_t(a))]


def _vjp_logdet(node: N.Node, g: N.Node) -> list[N.Node | None]:
    (a,) = node.children
    return [A.mul(g, _inverse_t(a))]


def _vjp_trace(node: N.Node, g: N.Node) -> list[N.Node | None]:
    (a,) = node.children
    return [A.mul(g, N.Identity(a.shape[0]))]


def _vjp_diag(node: N.Node, g: N.Node) -> list[N.Node | None]:
    return [N.DiagPart(g) if not isinstance(g, N.Diag) else g.children[0]]


def _vjp_diagpart(node: N.Node, g: N.Node) -> list[N.Node | None]:
    return [A.diag(g)]


def _vjp_sum(node: N.Node, g: N.Node) -> list[N.Node | None]:
    (a,) = node.children
    return [A.mul(g, N.Ones(a.shape))]


def _vjp_mean(node: N.Node, g: N.Node) -> list[N.Node | None]:
    (a,) = node.children
    return [A.mul(g, N.Const(1 / S.length(a.shape)), N.Ones(a.shape))]


def _vjp_norm2(node: N.Node, g: N.Node) -> list[N.Node | None]:
    (a,) = node.children
    return [A.mul(g, A.div(a, node))]


def _vjp_softmax(node: N.Node, g: N.Node) -> list[N.Node | None]:
    # s ∘ (g − sᵀg): the softmax Jacobian diag(s) − ssᵀ applied without forming it.
    return [A.mul(node, A.add(g, A.neg(A.matmul(A.transpose(node), g))))]


def _vjp_log_softmax(node: N.Node, g: N.Node) -> list[N.Node | None]:
    (v,) = node.children
    return [A.add(g, A.neg(A.mul(A.sum_(g), N.Softmax(v))))]


def _vjp_logsumexp(node: N.Node, g: N.Node) -> list[N.Node | None]:
    (v,) = node.children
    return [A.mul(g, N.Softmax(v))]


def _vjp_concat(node: N.Node, g: N.Node) -> list[N.Node | None]:
    out: list[N.Node | None] = []
    offset = sp.Integer(0)
    for part in node.children:
        stop = offset + part.shape[0]
        out.append(A.slice_rows(g, offset, stop))
        offset = stop
    return out


def _vjp_slice(node: N.Node, g: N.Node) -> list[N.Node | None]:
    (a,) = node.children
    start, stop = node.params
    cols = a.shape[1]
    parts = []
    if start != 0:
        parts.append(A.zeros((start, cols)))
    parts.append(g)
    rest = sp.simplify(a.shape[0] - stop)
    if rest != 0:
        parts.append(A.zeros((rest, cols)))
    return [A.concat(*parts)]


def _vjp_leaf(node: N.Node, g: N.Node) -> list[N.Node | None]:
    return []


VJP: dict[type[N.Node], Vjp] = {
    N.Var: _vjp_leaf,
    N.Const: _vjp_leaf,
    N.Zeros: _vjp_leaf,
    N.Ones: _vjp_leaf,
    N.Identity: _vjp_leaf,
    N.Basis: _vjp_leaf,
    N.Add: _vjp_add,
    N.Neg: _vjp_neg,
    N.Mul: _vjp_mul,
    N.Div: _vjp_div,
    N.Apply: _vjp_apply,
    N.MatMul: _vjp_matmul,
    N.Transpose: _vjp_transpose,
    N.Inverse: _vjp_inverse,
    N.Det: _vjp_det,
    N.LogDet: _vjp_logdet,
    N.Trace: _vjp_trace,
    N.Diag: _vjp_diag,
    N.DiagPart: _vjp_diagpart,
    N.Sum: _vjp_sum,
    N.Mean: _vjp_mean,
    N.Norm2: _vjp_norm2,
    N.Softmax: _vjp_softmax,
    N.LogSoftmax: _vjp_log_softmax,
    N.LogSumExp: _vjp_logsumexp,
    N.Concat: _vjp_concat,
    N.Slice: _vjp_slice,
}


def vjp(node: N.Node, g: N.Node) -> list[N.Node | None]:
    rule = VJP.get(type(node))
    if rule is None:
        raise NotImplementedError(f"no adjoint rule for {type(node).__name__}")
    return rule(node, g)


# --- forward mode: Jacobians in numerator layout ----------------------------------------------

Jac = Callable[[N.Node, list[N.Node | None], int], N.Node | None]


def _entries(node: N.Node) -> sp.Expr:
    """Entries of a scalar or vector node; a matrix-valued node has no matrix-form Jacobian."""
    if S.is_matrix(node.shape):
        raise NoMatrixForm(type(node).__name__)
    return S.vector_length(node.shape) if not node.is_scalar else sp.Integer(1)


def _as_column(v: N.Node) -> N.Node:
    return A.transpose(v) if S.is_row(v.shape) else v


def _local(node: N.Node, d: N.Node, j: N.Node) -> N.Node:
    """(∂node/∂child) · J_child for an elementwise op whose partial is the array ``d``."""
    if node.is_scalar:
        return A.mul(d, j)
    if d.is_scalar:  # the same partial for every entry
        child_scalar = j.shape[0] == 1 and _entries(node) != 1
        return (
            A.matmul(A.mul(d, N.Ones(S.column(_entries(node)))), j) if child_scalar else A.mul(d, j)
        )
    d = _as_column(d)
    if j.shape[0] == 1 and _entries(node) != 1:  # scalar child broadcast into a vector
        return A.matmul(d, j)
    return A.matmul(A.diag(d), j)


def _sum_jacobians(node: N.Node, terms: list[N.Node | None]) -> N.Node | None:
    present = [t for t in terms if t is not None]
    return A.add(*present) if present else None


def _jac_add(node: N.Node, js: list[N.Node | None], n: int) -> N.Node | None:
    return _sum_jacobians(node, [None if j is None else _local(node, N.Const(1), j) for j in js])


def _jac_neg(node: N.Node, js: list[N.Node | None], n: int) -> N.Node | None:
    return None if js[0] is None else A.neg(js[0])


def _jac_elementwise(partials: Callable[[N.Node, int], N.Node]) -> Jac:
    def rule(node: N.Node, js: list[N.Node | None], n: int) -> N.Node | None:
        _entries(node)
        terms = []
        for k, j in enumerate(js):
            if j is None:
                continue
            d = partials(node, k)
            terms.append(None if A.is_zero(d) else _local(node, d, j))
        return _sum_jacobians(node, terms)

    return rule


def _mul_partial(node: N.Node, k: int) -> N.Node:
    others = [c for j, c in enumerate(node.children) if j != k]
    return A.mul(*others)


def _div_partial(node: N.Node, k: int) -> N.Node:
    a, b = node.children
    if k == 0:
        return A.div(N.Const(1), b)
    return A.neg(A.div(a, A.power(b, N.Const(2))))


def _apply_partial(node: N.Node, k: int) -> N.Node:
    assert isinstance(node, N.Apply)
    return partial(node.fn, node.children, k)


def _jac_matmul(node: N.Node, js: list[N.Node | None], n: int) -> N.Node | None:
    a, b = node.children
    ja, jb = js
    _entries(node)
    terms: list[N.Node | None] = []
    if jb is not None:
        if S.is_matrix(b.shape):  # row aᵀ times a matrix B that depends on the variable
            raise NoMatrixForm("MatMul")
        # y = A b with b a vector: ∂y = A ∂b (a row A gives a scalar; the same formula).
        terms.append(A.matmul(a, jb))
    if ja is not None:
        if S.is_matrix(a.shape):
            raise NoMatrixForm("MatMul")
        if (
            S.is_row(a.shape) and S.is_column(b.shape) or S.is_row(a.shape) and S.is_matrix(b.shape)
        ):  # aᵀb: ∂ = bᵀ ∂a
            terms.append(A.matmul(A.transpose(b), ja))
        else:  # pragma: no cover - other vector products are outer products (matrices)
            raise NoMatrixForm("MatMul")
    return _sum_jacobians(node, terms)


def _jac_transpose(node: N.Node, js: list[N.Node | None], n: int) -> N.Node | None:
    _entries(node)
    return js[0]


def _jac_sum(node: N.Node, js: list[N.Node | None], n: int) -> N.Node | None:
    (j,) = js
    if j is None:
        return None
    m = _entries(node.children[0])
    return A.matmul(A.transpose(N.Ones(S.column(m))), j)


def _jac_mean(node: N.Node, js: list[N.Node | None], n: int) -> N.Node | None:
    j = _jac_sum(node, js, n)
    if j is None:
        return None
    return A.mul(N.Const(1 / _entries(node.children[0])), j)


def _jac_norm2(node: N.Node, js: list[N.Node | None], n: int) -> N.Node | None:
    (j,) = js
    if j is None:
        return None
    (a,) = node.children
    _entries(a)
    return A.matmul(A.transpose(A.div(_as_column(a), node)), j)


def _jac_softmax(node: N.Node, js: list[N.Node | None], n: int) -> N.Node | None:
    (j,) = js
    if j is None:
        return None
    s = node
    local = A.add(A.diag(s), A.neg(A.matmul(s, A.transpose(s))))
    return A.matmul(local, j)


def _jac_log_softmax(node: N.Node, js: list[N.Node | None], n: int) -> N.Node | None:
    (j,) = js
    if j is None:
        return None
    (v,) = node.children
    m = v.shape[0]
    local = A.add(N.Identity(m), A.neg(A.matmul(N.Ones(S.column(m)), A.transpose(N.Softmax(v)))))
    return A.matmul(local, j)


def _jac_logsumexp(node: N.Node, js: list[N.Node | None], n: int) -> N.Node | None:
    (j,) = js
    if j is None:
        return None
    (v,) = node.children
    return A.matmul(A.transpose(N.Softmax(v)), j)


def _jac_concat(node: N.Node, js: list[N.Node | None], n: int) -> N.Node | None:
    _entries(node)
    if all(j is None for j in js):
        return None
    parts = [
        j if j is not None else A.zeros((_entries(c), n))  # type: ignore[arg-type]
        for c, j in zip(node.children, js, strict=True)
    ]
    return A.concat(*parts)


def _jac_slice(node: N.Node, js: list[N.Node | None], n: int) -> N.Node | None:
    (j,) = js
    if j is None:
        return None
    _entries(node)
    start, stop = node.params
    return A.slice_rows(j, start, stop)


def _jac_matrix_only(node: N.Node, js: list[N.Node | None], n: int) -> N.Node | None:
    """Ops on matrices (det, inv, trace, diag…): a vector variable inside gives a 3-tensor."""
    if all(j is None for j in js):
        return None
    raise NoMatrixForm(type(node).__name__)


def _jac_leaf(node: N.Node, js: list[N.Node | None], n: int) -> N.Node | None:
    return None


JACOBIAN: dict[type[N.Node], Jac] = {
    N.Var: _jac_leaf,
    N.Const: _jac_leaf,
    N.Zeros: _jac_leaf,
    N.Ones: _jac_leaf,
    N.Identity: _jac_leaf,
    N.Basis: _jac_leaf,
    N.Add: _jac_add,
    N.Neg: _jac_neg,
    N.Mul: _jac_elementwise(_mul_partial),
    N.Div: _jac_elementwise(_div_partial),
    N.Apply: _jac_elementwise(_apply_partial),
    N.MatMul: _jac_matmul,
    N.Transpose: _jac_transpose,
    N.Inverse: _jac_matrix_only,
    N.Det: _jac_matrix_only,
    N.LogDet: _jac_matrix_only,
    N.Trace: _jac_matrix_only,
    N.Diag: _jac_matrix_only,
    N.DiagPart: _jac_matrix_only,
    N.Sum: _jac_sum,
    N.Mean: _jac_mean,
    N.Norm2: _jac_norm2,
    N.Softmax: _jac_softmax,
    N.LogSoftmax: _jac_log_softmax,
    N.LogSumExp: _jac_logsumexp,
    N.Concat: _jac_concat,
    N.Slice: _jac_slice,
}


def jacobian_rule(node: N.Node, js: list[N.Node | None], n: int) -> N.Node | None:
    rule = JACOBIAN.get(type(node))
    if rule is None:
        raise NotImplementedError(f"no Jacobian rule for {type(node).__name__}")
    return rule(node, js, n)


# The ops along an axis keep their rules in one module (calculus/axis_rules.py).
VJP.update(AXIS_VJP)
JACOBIAN.update(jacobian_rules(NoMatrixForm))
