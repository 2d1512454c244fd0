"""Typed matrix-expression nodes: immutable, hash-consed by value, each knowing its shape.

The node classes are the op registry's keys (``derivations/ops``): its spec says how each is
called, printed, sampled and checked; the calculus rules and the engine's gates hold one entry
per class. A new op may define its class next to its spec instead of here. Constructors trust their arguments'
shapes (``language/elaborate.py`` checks user input and reports errors with positions; the
calculus builds only well-shaped results), so a wrong shape here is a bug and asserts.

Hashes are computed once at construction from the children's cached hashes, so equal subtrees
can be found (for common-subexpression naming) without re-walking the tree.
"""

from __future__ import annotations

from typing import Any, ClassVar

import sympy as sp

from ..ops.functions import FUNCTIONS
from . import shapes as S
from .shapes import ONE, SCALAR, Shape


def as_expr(value: sp.Expr | int | float) -> sp.Expr:
    """A number as a SymPy expression, without parsing any text."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number here")
    if isinstance(value, int):
        return sp.Integer(value)
    if isinstance(value, float):
        return sp.nsimplify(value, rational=True) if value == int(value) else sp.Float(value)
    assert isinstance(value, sp.Basic), value
    return value


class Node:
    __slots__ = ("children", "params", "shape", "_hash")
    arity: ClassVar[int | None] = None  # None: any number of children

    children: tuple[Node, ...]
    params: tuple[Any, ...]
    shape: Shape

    def __init__(self, children: tuple[Node, ...] = (), params: tuple[Any, ...] = ()) -> None:
        self.children = tuple(children)
        self.params = tuple(params)
        self.shape = self._shape()
        self._hash = hash((type(self).__name__, self.params, self.children))

    def _shape(self) -> Shape:  # pragma: no cover - every class overrides
        raise NotImplementedError

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        return (
            type(other) is type(self)
            and self._hash == other._hash  # type: ignore[attr-defined]
            and self.params == other.params  # type: ignore[attr-defined]
            and self.children == other.children  # type: ignore[attr-defined]
        )

    def __repr__(self) -> str:
        inner = ", ".join([*(repr(p) for p in self.params), *(repr(c) for c in self.children)])
        return f"{type(self).__name__}({inner})"

    def rebuild(self, children: tuple[Node, ...]) -> Node:
        """The same op over new children (used by substitution and simplification)."""
        return type(self)._from(children, self.params)

    @classmethod
    def _from(cls, children: tuple[Node, ...], params: tuple[Any, ...]) -> Node:
        node = cls.__new__(cls)
        Node.__init__(node, children, params)
        return node

    @property
    def is_scalar(self) -> bool:
        return S.is_scalar(self.shape)


def _same_or_broadcast(children: tuple[Node, ...]) -> Shape:
    shape = SCALAR
    for c in children:
        if not c.is_scalar:
            assert shape == SCALAR or shape == c.shape, (shape, c.shape)
            shape = c.shape
    return shape


class Unary(Node):
    """An op of one operand; by default its value has the operand's shape."""

    __slots__ = ()
    arity = 1

    def __init__(self, operand: Node) -> None:
        super().__init__((operand,))

    def _shape(self) -> Shape:
        return self.children[0].shape


class ScalarValued(Unary):
    """A reduction of one operand to a scalar (sum, det, trace, …)."""

    __slots__ = ()

    def _shape(self) -> Shape:
        return SCALAR


# --- leaves ------------------------------------------------------------------------------


class Var(Node):
    """A declared input variable or a reference to a named intermediate of the program."""

    __slots__ = ()

    def __init__(self, name: str, shape: Shape, role: str = "input") -> None:
        super().__init__((), (name, shape, role))

    @property
    def name(self) -> str:
        return self.params[0]

    @property
    def role(self) -> str:
        return self.params[2]

    def _shape(self) -> Shape:
        return self.params[1]


class Const(Node):
    """A scalar constant; its value may involve dimensions (1/n for a mean)."""

    __slots__ = ()

    def __init__(self, value: sp.Expr | int | float) -> None:
        super().__init__((), (as_expr(value),))

    @property
    def value(self) -> sp.Expr:
        return self.params[0]

    def _shape(self) -> Shape:
        return SCALAR


class Zeros(Node):
    __slots__ = ()

    def __init__(self, shape: Shape) -> None:
        super().__init__((), (shape,))

    def _shape(self) -> Shape:
        return self.params[0]


class Ones(Node):
    """The all-ones array 𝟏 of a shape (what a sum sends back)."""

    __slots__ = ()

    def __init__(self, shape: Shape) -> None:
        super().__init__((), (shape,))

    def _shape(self) -> Shape:
        return self.params[0]


class Identity(Node):
    __slots__ = ()

    def __init__(self, n: sp.Expr) -> None:
        super().__init__((), (n,))

    def _shape(self) -> Shape:
        return (self.params[0], self.params[0])


class Basis(Node):
    """The standard basis column e_i of length n, with i a free index symbol (index forms)."""

    __slots__ = ()

    def __init__(self, index: str, n: sp.Expr) -> None:
        super().__init__((), (index, n))

    @property
    def index(self) -> str:
        return self.params[0]

    def _shape(self) -> Shape:
        return (self.params[1], ONE)


# --- elementwise -------------------------------------------------------------------------


class Add(Node):
    """Elementwise sum of two or more terms; scalar terms broadcast."""

    __slots__ = ()

    def __init__(self, *terms: Node) -> None:
        assert len(terms) >= 2
        super().__init__(terms)

    def _shape(self) -> Shape:
        return _same_or_broadcast(self.children)


class Neg(Unary):
    __slots__ = ()


class Mul(Node):
    """Elementwise (Hadamard) product of two or more factors; scalar factors scale."""

    __slots__ = ()

    def __init__(self, *factors: Node) -> None:
        assert len(factors) >= 2
        super().__init__(factors)

    def _shape(self) -> Shape:
        return _same_or_broadcast(self.children)


class Div(Node):
    __slots__ = ()
    arity = 2

    def __init__(self, numerator: Node, denominator: Node) -> None:
        super().__init__((numerator, denominator))

    def _shape(self) -> Shape:
        return _same_or_broadcast(self.children)


class Apply(Node):
    """A function from the elementwise table, applied entry by entry (scalars broadcast)."""

    __slots__ = ()

    def __init__(self, fn: str, *args: Node) -> None:
        assert fn in FUNCTIONS and len(args) == FUNCTIONS[fn].arity, fn
        super().__init__(args, (fn,))

    @property
    def fn(self) -> str:
        return self.params[0]

    def _shape(self) -> Shape:
        return _same_or_broadcast(self.children)


# --- matrix algebra ----------------------------------------------------------------------


class MatMul(Node):
    __slots__ = ()
    arity = 2

    def __init__(self, left: Node, right: Node) -> None:
        super().__init__((left, right))

    def _shape(self) -> Shape:
        a, b = self.children
        assert a.shape[1] == b.shape[0], (a.shape, b.shape)
        return (a.shape[0], b.shape[1])


class Transpose(Unary):
    __slots__ = ()

    def _shape(self) -> Shape:
        return S.transpose(self.children[0].shape)


class Inverse(Unary):
    __slots__ = ()


class Det(ScalarValued):
    __slots__ = ()


class LogDet(ScalarValued):
    """log |det A|: its gradient A⁻ᵀ holds for either sign of the determinant."""

    __slots__ = ()


class Trace(ScalarValued):
    __slots__ = ()


class Diag(Unary):
    """diag(v): a vector placed on the diagonal of a square matrix."""

    __slots__ = ()

    def _shape(self) -> Shape:
        n = S.vector_length(self.children[0].shape)
        return (n, n)


class DiagPart(Unary):
    """The diagonal of a square matrix as a column vector (what diag(v) sends back)."""

    __slots__ = ()

    def _shape(self) -> Shape:
        return (self.children[0].shape[0], ONE)


# --- reductions --------------------------------------------------------------------------


class Sum(ScalarValued):
    __slots__ = ()


class Mean(ScalarValued):
    __slots__ = ()


class Norm2(ScalarValued):
    """The Euclidean norm of a vector, the Frobenius norm of a matrix."""

    __slots__ = ()


# --- vector functions --------------------------------------------------------------------


class Softmax(Unary):
    __slots__ = ()


class LogSoftmax(Unary):
    __slots__ = ()


class LogSumExp(ScalarValued):
    __slots__ = ()


class Concat(Node):
    """Stack column vectors (or matrices with equal column counts) on top of each other."""

    __slots__ = ()

    def __init__(self, *parts: Node) -> None:
        assert len(parts) >= 1
        super().__init__(parts)

    def _shape(self) -> Shape:
        cols = self.children[0].shape[1]
        assert all(p.shape[1] == cols for p in self.children)
        return (sp.Add(*(p.shape[0] for p in self.children)), cols)


class Slice(Node):
    """Rows start..stop-1 (0-based) of a column vector or matrix: a block of a concat."""

    __slots__ = ()

    def __init__(self, operand: Node, start: sp.Expr, stop: sp.Expr) -> None:
        super().__init__((operand,), (as_expr(start), as_expr(stop)))

    def _shape(self) -> Shape:
        start, stop = self.params
        return (sp.simplify(stop - start), self.children[0].shape[1])


# Every node class is listed, with everything else about it, in the op registry:
# ``derivations.ops.registry.NODES``.


def walk(root: Node) -> list[Node]:
    """Every node once, children before parents (iterative, so depth is no problem)."""
    order: list[Node] = []
    seen: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((c, False) for c in reversed(node.children))
    return order


def walk_all(root: Node) -> list[Node]:
    """Every occurrence (a shared subtree counts once per use), parents before children."""
    out: list[Node] = []
    stack = [root]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(node.children)
    return out


def substitute(root: Node, mapping: dict[Node, Node]) -> Node:
    """Replace subtrees by value (used to inline or name intermediates)."""
    memo: dict[Node, Node] = {}
    for node in walk(root):
        if node in mapping:
            memo[node] = mapping[node]
        elif node.children:
            new = tuple(memo[c] for c in node.children)
            memo[node] = node if new == node.children else node.rebuild(new)
        else:
            memo[node] = node
    return memo[root]


def free_vars(root: Node) -> set[str]:
    return {n.name for n in walk(root) if isinstance(n, Var)}
