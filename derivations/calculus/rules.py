"""One rule per op: each node class's derivative, declared once, from which both modes follow.

Like PyTorch's derivatives.yaml or JAX's defjvp registry, ``RULES`` has one entry per op and one
generic driver per mode (``reverse.py``, ``forward.py``). An entry is one of:

- ``elementwise(partial)``: the op's local partial ∂node/∂childₖ, given once (PyTorch's
  ``auto_element_wise``); the VJP g ∘ ∂ₖ, the Jacobian diag(∂ₖ) Jₖ and the derivative by a
  scalar ∂ₖ ∘ dₖ are all built from it;
- ``linear(vjp, tangent)``: a linear op (JAX's ``deflinear``): its forward rules are its own
  application to the children's Jacobians (stacked tangents; by default the op rebuilt over
  them) and to their derivatives by a scalar (the op rebuilt through its simplifying
  constructor), and its VJP is its transpose, written out;
- ``general(vjp, jacobian, scalar)``: an op whose derivative is neither (matrix products,
  inverses…); its derivative by a scalar is written beside, in ``tangent.py``.

A missing op raises ``NotImplementedError`` naming it, never a fallback. ``VJP``, ``JACOBIAN``
and ``SCALAR`` are views of ``RULES`` by mode (the drivers read them).

VJP entries take the node and its upstream adjoint G (shape of the node, shape convention) and
return one adjoint contribution per child (None where the child gets nothing). Jacobian entries
take the node and its children's Jacobians (numerator layout; None for "does not depend on the
variable") and return the node's Jacobian, or raise ``NoMatrixForm`` when the derivative is a
higher-order tensor, in which case the index form is used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

from ..expr import nodes as N
from ..expr import shapes as S
from . import algebra as A
from . import tangent as T
from .axis_rules import AXIS_SCALAR, AXIS_VJP, jacobian_rules
from .scalar import partial


class NoMatrixForm(Exception):
    """The derivative is a 3- or 4-index tensor: only its index form exists."""


def unbroadcast(g: N.Node, child: N.Node) -> N.Node:
    """A scalar that was broadcast receives the sum of its adjoint's entries."""
    if child.is_scalar and not g.is_scalar:
        return A.sum_(g)
    return g


Vjp = Callable[[N.Node, N.Node], list[N.Node | None]]
Jac = Callable[[N.Node, list[N.Node | None], int], N.Node | None]
# The derivative by a scalar t: the children's d/dt (their shapes; None: independent) -> the
# node's d/dt, or None where the op has none declared (forward.py then says so).
Scalar = Callable[[N.Node, list[N.Node | None]], N.Node | None]


@dataclass(frozen=True)
class Rule:
    """An op's derivative in every mode; ``kind`` says how it was declared."""

    kind: str
    vjp: Vjp
    jacobian: Jac
    scalar: Scalar | None = None


# --- shared helpers for forward mode -----------------------------------------------------------


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


def _sum_jacobians(terms: list[N.Node | None]) -> N.Node | None:
    present = [t for t in terms if t is not None]
    return A.add(*present) if present else None


# --- elementwise ops: one local partial each ----------------------------------------------------


@dataclass(frozen=True)
class Partial:
    """∂node/∂childₖ of an elementwise op as ± (factors) / denominator.

    Kept in parts so that the VJP multiplies the upstream G into the numerator, G ∘ a / b², as
    a textbook writes it, and the Jacobian uses the same partial as one array, a / b².
    """

    factors: tuple[N.Node, ...] = ()
    denominator: N.Node | None = None
    negative: bool = False
    product: bool = False  # the factors are a product to simplify even alone (Mul's others)

    def times(self, g: N.Node | None) -> N.Node:
        """G ∘ ∂ (or ∂ itself for G None)."""
        top = [*(() if g is None else (g,)), *self.factors]
        if not top:
            body: N.Node = N.Const(1)
        else:
            body = top[0] if len(top) == 1 and not self.product else A.mul(*top)
        if self.denominator is not None:
            body = A.div(body, self.denominator)
        return A.neg(body) if self.negative else body


PartialFn = Callable[[N.Node, int], Partial]


def _elementwise_vjp(partial_of: PartialFn) -> Vjp:
    def vjp(node: N.Node, g: N.Node) -> list[N.Node | None]:
        out: list[N.Node | None] = []
        for k, child in enumerate(node.children):
            d = partial_of(node, k)
            out.append(None if _is_zero(d) else unbroadcast(d.times(g), child))
        return out

    return vjp


def _is_zero(d: Partial) -> bool:
    return any(A.is_zero(f) for f in d.factors)


def _elementwise_jacobian(partial_of: PartialFn) -> Jac:
    def rule(node: N.Node, js: list[N.Node | None], n: int) -> N.Node | None:
        _entries(node)
        terms = []
        for k, j in enumerate(js):
            if j is None:
                continue
            d = partial_of(node, k)
            terms.append(None if _is_zero(d) else _local(node, d.times(None), j))
        return _sum_jacobians(terms)

    return rule


def _elementwise_scalar(partial_of: PartialFn) -> Scalar:
    def rule(node: N.Node, ds: list[N.Node | None]) -> N.Node | None:
        terms = [None if d is None else A.mul(partial_of(node, k).times(None), d)
                 for k, d in enumerate(ds)]  # fmt: skip
        return _sum_jacobians(terms)

    return rule


def elementwise(partial_of: PartialFn) -> Rule:
    """An elementwise op from its local partial: every mode's rule is built from it."""
    jacobian, scalar = _elementwise_jacobian(partial_of), _elementwise_scalar(partial_of)
    return Rule("elementwise", _elementwise_vjp(partial_of), jacobian, scalar)


def _add_partial(node: N.Node, k: int) -> Partial:
    return Partial()


def _mul_partial(node: N.Node, k: int) -> Partial:
    return Partial(tuple(c for j, c in enumerate(node.children) if j != k), product=True)


def _div_partial(node: N.Node, k: int) -> Partial:
    a, b = node.children
    if k == 0:
        return Partial(denominator=b)
    return Partial((a,), A.power(b, N.Const(2)), negative=True)


def _apply_partial(node: N.Node, k: int) -> Partial:
    assert isinstance(node, N.Apply)
    return Partial((partial(node.fn, node.children, k),))


_vjp_apply = _elementwise_vjp(_apply_partial)


# --- linear ops: the forward rule is the op itself ------------------------------------------------

Tangent = Callable[[N.Node, list[N.Node]], N.Node]


def _rebuild(node: N.Node, js: list[N.Node]) -> N.Node:
    """The op applied to its operands' stacked tangents (right for ops acting on each column)."""
    return node.rebuild(tuple(js))


def _linear_scalar(node: N.Node, ds: list[N.Node | None]) -> N.Node | None:
    """d op(x)/dt = op(dx/dt): the op over its children's tangents, zero for constants."""
    filled = tuple(
        A.zeros(c.shape) if d is None else d for c, d in zip(node.children, ds, strict=True)
    )
    return A.rebuild(node, filled)


def linear(vjp: Vjp, tangent: Tangent = _rebuild, scalar: Scalar = _linear_scalar) -> Rule:
    """A linear op (JAX's deflinear): J = op(J_children), with zero tangents for constants."""

    def rule(node: N.Node, js: list[N.Node | None], n: int) -> N.Node | None:
        _entries(node)
        if all(j is None for j in js):
            return None
        filled = [
            j if j is not None else A.zeros((_entries(c), n))  # type: ignore[arg-type]
            for c, j in zip(node.children, js, strict=True)
        ]
        return tangent(node, filled)

    return Rule("linear", vjp, rule, scalar)


def general(vjp: Vjp, jacobian: Jac, scalar: Scalar | None = None) -> Rule:
    return Rule("general", vjp, jacobian, scalar)


# --- the rules ----------------------------------------------------------------------------------


def _vjp_leaf(node: N.Node, g: N.Node) -> list[N.Node | None]:
    return []


def _jac_leaf(node: N.Node, js: list[N.Node | None], n: int) -> N.Node | None:
    return None


LEAF = Rule("leaf", _vjp_leaf, _jac_leaf, lambda node, ds: None)


def _vjp_matmul(node: N.Node, g: N.Node) -> list[N.Node | None]:
    a, b = node.children
    return [A.matmul(g, A.transpose(b)), A.matmul(A.transpose(a), g)]


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
        # A vector output with a depending: a is a row (aᵀb or aᵀB) or a matrix (3-tensor);
        # an outer product would be a matrix output, which _entries refused above.
        if not S.is_row(a.shape):
            raise NoMatrixForm("MatMul")
        terms.append(A.matmul(A.transpose(b), ja))  # aᵀb: ∂ = bᵀ ∂a
    return _sum_jacobians(terms)


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


def _jac_matrix_only(node: N.Node, js: list[N.Node | None], n: int) -> N.Node | None:
    """Ops on matrices (det, inv, logdet): a vector variable inside gives a 3-tensor."""
    if all(j is None for j in js):
        return None
    raise NoMatrixForm(type(node).__name__)


def _matrix_tangent(node: N.Node, js: list[N.Node]) -> N.Node:
    """diag, diag_part, trace: linear, but a tangent through them is a 3-tensor."""
    raise NoMatrixForm(type(node).__name__)


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


def _tangent_sum(node: N.Node, js: list[N.Node]) -> N.Node:
    m = _entries(node.children[0])
    return A.matmul(A.transpose(N.Ones(S.column(m))), js[0])


def _vjp_mean(node: N.Node, g: N.Node) -> list[N.Node | None]:
    (a,) = node.children
    return [A.mul(g, N.Const(1 / S.length(a.shape)), N.Ones(a.shape))]


def _tangent_mean(node: N.Node, js: list[N.Node]) -> N.Node:
    return A.mul(N.Const(1 / _entries(node.children[0])), _tangent_sum(node, js))


def _scalar_mean(node: N.Node, d: N.Node | None) -> N.Node:
    return A.mul(N.Const(1 / S.length(node.children[0].shape)), A.sum_(d))


def _scalar_trace(node: N.Node, ds: list[N.Node | None]) -> N.Node | None:
    return ds[0] if ds[0] is None or ds[0].is_scalar else N.Trace(ds[0])


def _vjp_norm2(node: N.Node, g: N.Node) -> list[N.Node | None]:
    (a,) = node.children
    return [A.mul(g, A.div(a, node))]


def _jac_norm2(node: N.Node, js: list[N.Node | None], n: int) -> N.Node | None:
    (j,) = js
    if j is None:
        return None
    (a,) = node.children
    _entries(a)
    return A.matmul(A.transpose(A.div(_as_column(a), node)), j)


def _vjp_softmax(node: N.Node, g: N.Node) -> list[N.Node | None]:
    # s ∘ (g − sᵀg): the softmax Jacobian diag(s) − ssᵀ applied without forming it.
    return [A.mul(node, A.add(g, A.neg(A.matmul(A.transpose(node), g))))]


def _jac_softmax(node: N.Node, js: list[N.Node | None], n: int) -> N.Node | None:
    (j,) = js
    if j is None:
        return None
    s = node
    local = A.add(A.diag(s), A.neg(A.matmul(s, A.transpose(s))))
    return A.matmul(local, j)


def _vjp_log_softmax(node: N.Node, g: N.Node) -> list[N.Node | None]:
    (v,) = node.children
    return [A.add(g, A.neg(A.mul(A.sum_(g), N.Softmax(v))))]


def _jac_log_softmax(node: N.Node, js: list[N.Node | None], n: int) -> N.Node | None:
    (j,) = js
    if j is None:
        return None
    (v,) = node.children
    m = v.shape[0]
    local = A.add(N.Identity(m), A.neg(A.matmul(N.Ones(S.column(m)), A.transpose(N.Softmax(v)))))
    return A.matmul(local, j)


def _vjp_logsumexp(node: N.Node, g: N.Node) -> list[N.Node | None]:
    (v,) = node.children
    return [A.mul(g, N.Softmax(v))]


def _jac_logsumexp(node: N.Node, js: list[N.Node | None], n: int) -> N.Node | None:
    (j,) = js
    if j is None:
        return None
    (v,) = node.children
    return A.matmul(A.transpose(N.Softmax(v)), j)


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


RULES: dict[type[N.Node], Rule] = {
    N.Var: LEAF,
    N.Const: LEAF,
    N.Zeros: LEAF,
    N.Ones: LEAF,
    N.Identity: LEAF,
    N.Basis: LEAF,
    N.Add: elementwise(_add_partial),
    N.Mul: elementwise(_mul_partial),
    N.Div: elementwise(_div_partial),
    N.Apply: elementwise(_apply_partial),
    N.Neg: linear(lambda node, g: [A.neg(g)], lambda node, js: A.neg(js[0])),
    N.Transpose: linear(lambda node, g: [A.transpose(g)], lambda node, js: js[0]),
    N.Sum: linear(_vjp_sum, _tangent_sum),
    N.Mean: linear(_vjp_mean, _tangent_mean, lambda node, ds: _scalar_mean(node, ds[0])),
    N.Trace: linear(_vjp_trace, _matrix_tangent, _scalar_trace),
    N.Diag: linear(_vjp_diag, _matrix_tangent),
    N.DiagPart: linear(_vjp_diagpart, _matrix_tangent),
    N.Concat: linear(_vjp_concat, lambda node, js: A.concat(*js)),
    N.Slice: linear(_vjp_slice, lambda node, js: A.slice_rows(js[0], *node.params)),
    N.MatMul: general(_vjp_matmul, _jac_matmul, T.bilinear),
    N.Inverse: general(_vjp_inverse, _jac_matrix_only, T.inverse),
    N.Det: general(_vjp_det, _jac_matrix_only, T.det),
    N.LogDet: general(_vjp_logdet, _jac_matrix_only, T.logdet),
    N.Norm2: general(_vjp_norm2, _jac_norm2, T.norm2),
    N.Softmax: general(_vjp_softmax, _jac_softmax, T.softmax),
    N.LogSoftmax: general(_vjp_log_softmax, _jac_log_softmax, T.log_softmax),
    N.LogSumExp: general(_vjp_logsumexp, _jac_logsumexp, T.logsumexp),
}

# Kronecker products, matrix powers and normalisation, declared in their own module (it reads
# this one's helpers, so it is imported once they exist).
from .product_rules import PRODUCT_RULES  # noqa: E402

RULES.update(PRODUCT_RULES)
# Picking entries, one-hot vectors and running sums (ops/indexing.py, ops/nodeops.py): linear.
from .index_rules import INDEX_RULES  # noqa: E402

RULES.update(INDEX_RULES)
# The ops along an axis (calculus/axis_rules.py): general rules, the vector ops' row by row.
RULES.update({op: general(AXIS_VJP[op], jac, AXIS_SCALAR[op])
              for op, jac in jacobian_rules(NoMatrixForm).items()})  # fmt: skip

# The two modes' views of RULES (what the drivers read; tests plant wrong entries here).
VJP: dict[type[N.Node], Vjp] = {op: rule.vjp for op, rule in RULES.items()}
JACOBIAN: dict[type[N.Node], Jac] = {op: rule.jacobian for op, rule in RULES.items()}
SCALAR: dict[type[N.Node], Scalar | None] = {op: rule.scalar for op, rule in RULES.items()}


def _missing(node: N.Node, mode: str) -> NotImplementedError:
    return NotImplementedError(
        f"no {mode} rule for {type(node).__name__}; declare its derivative in "
        "derivations/calculus/rules.py::RULES (elementwise, linear or general)"
    )


def vjp(node: N.Node, g: N.Node) -> list[N.Node | None]:
    rule = VJP.get(type(node))
    if rule is None:
        raise _missing(node, "adjoint")
    return rule(node, g)


def jacobian_rule(node: N.Node, js: list[N.Node | None], n: int) -> N.Node | None:
    rule = JACOBIAN.get(type(node))
    if rule is None:
        raise _missing(node, "Jacobian")
    return rule(node, js, n)
