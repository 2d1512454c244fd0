"""Expand nodes into explicit SymPy matrices of scalar symbols: each op's meaning on matrices.

This is the ground truth of the exact check: at small sizes every entry of the program is an
ordinary SymPy expression, ``sympy.diff`` differentiates it, and the matrix-level result must
agree entry by entry. Nothing here shares code with the matrix rules it checks: the structural ops are
written here, every other op's meaning is its registry entry's ``exact`` (``derivations/ops``),
and the scalar functions come from their definitions, not from our derivative table.
Every matrix built is charged to the check's work budget.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import sympy as sp

from ..expr import nodes as N
from ..ops.registry import MissingOp, node_spec
from . import definitions
from .implicit import compound, implicit_det, implicit_inverse

if TYPE_CHECKING:
    from .exact import Work

# Square matrices up to this size are inverted exactly: by adjugate and determinant when their
# entries are symbols, by a rational solve at each point when they are compound (implicit.py).
MAX_EXACT_INVERSE = 5


def symbols_for(inputs: Mapping[str, N.Var], sizes: dict[str, int]) -> dict[str, sp.Matrix]:
    """Explicit matrices of real symbols, named so they can never collide with each other.

    Real symbols let SymPy settle its assumption queries at once (with unknown symbols they
    dominate the cost), and √(x²) becomes |x|, whose derivative SymPy knows as sign(x).

    Entries are named ``x[0]`` and ``W[0,1]``: brackets never occur in a user's name, so a
    scalar ``x_0`` and entry 0 of a vector ``x`` are different symbols.
    """
    from .sampling import concrete_shape

    env: dict[str, sp.Matrix] = {}
    for name, var in inputs.items():
        shape = concrete_shape(var, sizes)
        if not shape:
            env[name] = sp.Matrix([[sp.Symbol(name, real=True)]])
        elif len(shape) == 1:
            env[name] = sp.Matrix([sp.Symbol(f"{name}[{i}]", real=True) for i in range(shape[0])])
        else:
            env[name] = sp.Matrix(
                shape[0], shape[1], lambda i, j, name=name: sp.Symbol(f"{name}[{i},{j}]", real=True)
            )
    return env


def _size(expr: sp.Expr, sizes: dict[str, int]) -> int:
    return int(expr.subs({sp.Symbol(k, integer=True, positive=True): v for k, v in sizes.items()}))


class Explicit:
    def __init__(
        self,
        env: dict[str, sp.Matrix],
        sizes: dict[str, int],
        indices: dict[str, int] | None = None,
        work: Work | None = None,
    ):
        self.env = env
        self.sizes = sizes
        self.indices = indices or {}
        self.memo: dict[N.Node, sp.Matrix] = {}
        self.work = work

    def dim(self, expr: sp.Expr) -> int:
        return _size(expr, self.sizes)

    def shape(self, node: N.Node) -> tuple[int, int]:
        return self.dim(node.shape[0]), self.dim(node.shape[1])

    def evaluate(self, node: N.Node) -> sp.Matrix:
        if node in self.memo:
            return self.memo[node]
        spec = node_spec(node)
        if spec.structural:
            value = _STRUCTURAL[type(node)](self, node)
        elif spec.exact is not None:
            value = spec.exact(self, node)
        else:
            raise MissingOp(f"the registry entry of {spec.key} has no exact meaning (``exact``)")
        if self.work is not None:
            self.work.built(value)
        self.memo[node] = value
        return value

    def _broadcast(self, m: sp.Matrix, shape: tuple[int, int]) -> sp.Matrix:
        if m.shape == shape:
            return m
        assert m.shape == (1, 1)
        return sp.Matrix(*shape, lambda i, j: m[0, 0])

    def _elementwise(self, node: N.Node, f) -> sp.Matrix:  # type: ignore[no-untyped-def]
        shape = self.shape(node)
        args = [self._broadcast(self.evaluate(c), shape) for c in node.children]
        return sp.Matrix(*shape, lambda i, j: f(*(a[i, j] for a in args)))

    # -- leaves ----------------------------------------------------------------------------

    def _x_Var(self, node: N.Var) -> sp.Matrix:
        return self.env[node.name]

    def _x_Const(self, node: N.Const) -> sp.Matrix:
        return sp.Matrix(
            [
                [
                    node.value.subs(
                        {
                            sp.Symbol(k, integer=True, positive=True): v
                            for k, v in self.sizes.items()
                        }
                    )
                ]
            ]
        )

    def _x_Zeros(self, node: N.Node) -> sp.Matrix:
        return sp.zeros(*self.shape(node))

    def _x_Ones(self, node: N.Node) -> sp.Matrix:
        return sp.ones(*self.shape(node))

    def _x_Identity(self, node: N.Node) -> sp.Matrix:
        return sp.eye(self.shape(node)[0])

    def _x_Basis(self, node: N.Basis) -> sp.Matrix:
        m = sp.zeros(*self.shape(node))
        m[self.indices[node.index], 0] = 1
        return m

    # -- elementwise -----------------------------------------------------------------------

    def _x_Add(self, node: N.Node) -> sp.Matrix:
        return self._elementwise(node, lambda *a: sp.Add(*a))

    def _x_Neg(self, node: N.Node) -> sp.Matrix:
        return self.evaluate(node.children[0]).applyfunc(lambda e: -e)  # no domain search

    def _x_Mul(self, node: N.Node) -> sp.Matrix:
        return self._elementwise(node, lambda *a: sp.Mul(*a))

    def _x_Div(self, node: N.Node) -> sp.Matrix:
        return self._elementwise(node, lambda a, b: a / b)

    def _x_Apply(self, node: N.Apply) -> sp.Matrix:
        return self._elementwise(node, lambda *a: definitions.apply(node.fn, *a))

    # -- matrix algebra --------------------------------------------------------------------

    def _x_MatMul(self, node: N.Node) -> sp.Matrix:
        a, b = (self.evaluate(c) for c in node.children)
        return plain_matmul(a, b)

    def _x_Transpose(self, node: N.Node) -> sp.Matrix:
        return self.evaluate(node.children[0]).T

    def multiply(self, a: sp.Matrix, b: sp.Matrix) -> sp.Matrix:
        """a b for an op's meaning (a matrix power), its multiplications charged first: an
        op that multiplies inside its meaning is bounded by the check's work like the rest."""
        if self.work is not None:
            self.work.spend(a.rows * a.cols * b.cols, " (a matrix product)")
        return plain_matmul(a, b)

    def square(self, node: N.Node) -> sp.Matrix:
        """The square matrix operand of inv/det/logdet, if small enough to invert exactly."""
        m = self.evaluate(node.children[0])
        if m.shape[0] > MAX_EXACT_INVERSE:
            from .exact import Budget

            raise Budget(
                f"a {m.shape[0]}×{m.shape[0]} matrix (inverted exactly up to {MAX_EXACT_INVERSE})"
            )
        return m

    def inverse(self, node: N.Node) -> sp.Matrix:
        """inv of the operand: adjugate over determinant (Berkowitz: no division, no pivoting
        on symbols, no simplification) when its entries are symbols, so the cost is fixed by
        the size; solved at each point when they are compound, as adjugates of fractions swell
        without bound (implicit.py)."""
        m = self.square(node)
        if compound(m):
            return implicit_inverse(m)
        det = m.det(method="berkowitz")
        if det == 0:
            raise ZeroDivisionError("the matrix is singular")
        return m.adjugate(method="berkowitz") / det

    def determinant(self, node: N.Node) -> sp.Expr:
        """det of the operand, by the same choice as ``inverse``."""
        m = self.square(node)
        return implicit_det(m) if compound(m) else m.det(method="berkowitz")


# The structural ops' meanings; every other op's is its registry entry's ``exact``.
_STRUCTURAL = {
    N.Var: Explicit._x_Var,
    N.Const: Explicit._x_Const,
    N.Zeros: Explicit._x_Zeros,
    N.Ones: Explicit._x_Ones,
    N.Identity: Explicit._x_Identity,
    N.Basis: Explicit._x_Basis,
    N.Add: Explicit._x_Add,
    N.Neg: Explicit._x_Neg,
    N.Mul: Explicit._x_Mul,
    N.Div: Explicit._x_Div,
    N.Apply: Explicit._x_Apply,
    N.MatMul: Explicit._x_MatMul,
    N.Transpose: Explicit._x_Transpose,
}


def plain_matmul(a: sp.Matrix, b: sp.Matrix) -> sp.Matrix:
    """a b as sums of products, entry by entry. SymPy's own ``a * b`` first looks for a
    polynomial domain holding every entry; over the entries of a transformer block (exp,
    √, quotients in dozens of symbols) that search took minutes for one product (0.5 s
    against 0.3 ms for a 4×4 product of such entries), and it is not charged as work."""
    rows, inner, cols = a.shape[0], a.shape[1], b.shape[1]
    return sp.Matrix(rows, cols, lambda i, j: sp.Add(*(a[i, k] * b[k, j] for k in range(inner))))
