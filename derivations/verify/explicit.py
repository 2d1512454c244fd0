"""Expand nodes into explicit SymPy matrices of scalar symbols, one method per node class.

This is the ground truth of the exact check: at small sizes every entry of the program is an
ordinary SymPy expression, ``sympy.diff`` differentiates it, and the matrix-level result must
agree entry by entry. Nothing here shares code with the matrix rules it checks, and the scalar
functions come from their definitions (``definitions.py``), not from our derivative table.
Every matrix built is charged to the check's work budget.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import sympy as sp

from ..expr import nodes as N
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
        method = getattr(self, f"_x_{type(node).__name__}", None)
        if method is None:
            raise NotImplementedError(f"no explicit evaluation for {type(node).__name__}")
        value = method(node)
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
        return -self.evaluate(node.children[0])

    def _x_Mul(self, node: N.Node) -> sp.Matrix:
        return self._elementwise(node, lambda *a: sp.Mul(*a))

    def _x_Div(self, node: N.Node) -> sp.Matrix:
        return self._elementwise(node, lambda a, b: a / b)

    def _x_Apply(self, node: N.Apply) -> sp.Matrix:
        return self._elementwise(node, lambda *a: definitions.apply(node.fn, *a))

    # -- matrix algebra --------------------------------------------------------------------

    def _x_MatMul(self, node: N.Node) -> sp.Matrix:
        a, b = (self.evaluate(c) for c in node.children)
        return a * b

    def _x_Transpose(self, node: N.Node) -> sp.Matrix:
        return self.evaluate(node.children[0]).T

    def _square(self, node: N.Node) -> sp.Matrix:
        m = self.evaluate(node.children[0])
        if m.shape[0] > MAX_EXACT_INVERSE:
            from .exact import Budget

            raise Budget(
                f"a {m.shape[0]}×{m.shape[0]} matrix (inverted exactly up to {MAX_EXACT_INVERSE})"
            )
        return m

    def _x_Inverse(self, node: N.Node) -> sp.Matrix:
        # Adjugate over determinant (Berkowitz: no division, no pivoting on symbols, no
        # simplification), so the cost is fixed by the size.
        m = self._square(node)
        if compound(m):
            return implicit_inverse(m)  # solved at each point: adjugates of fractions swell
        det = m.det(method="berkowitz")
        if det == 0:
            raise ZeroDivisionError("the matrix is singular")
        return m.adjugate(method="berkowitz") / det

    def _determinant(self, node: N.Node) -> sp.Expr:
        m = self._square(node)
        return implicit_det(m) if compound(m) else m.det(method="berkowitz")

    def _x_Det(self, node: N.Node) -> sp.Matrix:
        return sp.Matrix([[self._determinant(node)]])

    def _x_LogDet(self, node: N.Node) -> sp.Matrix:
        # logdet is log|det|, as the language defines it: negative determinants are in its domain.
        return sp.Matrix([[sp.log(definitions.magnitude(self._determinant(node)))]])

    def _x_Trace(self, node: N.Node) -> sp.Matrix:
        return sp.Matrix([[self.evaluate(node.children[0]).trace()]])

    def _x_Diag(self, node: N.Node) -> sp.Matrix:
        v = self.evaluate(node.children[0])
        return sp.diag(*list(v))

    def _x_DiagPart(self, node: N.Node) -> sp.Matrix:
        m = self.evaluate(node.children[0])
        return sp.Matrix([m[i, i] for i in range(m.shape[0])])

    # -- reductions and vector functions ---------------------------------------------------

    def _x_Sum(self, node: N.Node) -> sp.Matrix:
        return sp.Matrix([[sum(self.evaluate(node.children[0]))]])

    def _x_Mean(self, node: N.Node) -> sp.Matrix:
        m = self.evaluate(node.children[0])
        return sp.Matrix([[sum(m) / len(m)]])

    def _x_Norm2(self, node: N.Node) -> sp.Matrix:
        m = self.evaluate(node.children[0])
        return sp.Matrix([[sp.sqrt(sum(e**2 for e in m))]])

    def _x_Softmax(self, node: N.Node) -> sp.Matrix:
        v = self.evaluate(node.children[0])
        total = sum(sp.exp(e) for e in v)
        return v.applyfunc(lambda e: sp.exp(e) / total)

    def _x_LogSoftmax(self, node: N.Node) -> sp.Matrix:
        v = self.evaluate(node.children[0])
        lse = sp.log(sum(sp.exp(e) for e in v))
        return v.applyfunc(lambda e: e - lse)

    def _x_LogSumExp(self, node: N.Node) -> sp.Matrix:
        v = self.evaluate(node.children[0])
        return sp.Matrix([[sp.log(sum(sp.exp(e) for e in v))]])

    def _x_Concat(self, node: N.Node) -> sp.Matrix:
        return sp.Matrix.vstack(*(self.evaluate(c) for c in node.children))

    def _x_Slice(self, node: N.Slice) -> sp.Matrix:
        start, stop = (self.dim(p) for p in node.params)
        return self.evaluate(node.children[0])[start:stop, :]
