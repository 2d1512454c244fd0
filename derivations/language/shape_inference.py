"""Shapes of a syntax tree by unification, for the forms whose size a formula does not state.

chainrule's LaTeX (and a student's) writes 𝟏, I and the 0 blocks of [I; 0] without a size. The
elaborator types bottom-up and cannot size them, so this pass runs first: every such form gets
unknown dimensions, each operator unifies what it must (a matrix product the inner sizes, an
elementwise op both shapes), the expected shape of the whole formula fixes the rest, and a sum
constraint sizes a zero block. Dimensions are ints (numeric evaluation) or SymPy sizes (typing).
Juxtaposition (an implicit ``@``) scales when a side is a scalar, as the elaborator reads it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..ops.registry import CALLS
from .ast import BinOp, Call, Name, Number, Syntax, TransposeOp, Unary

# Functions by how their shape follows from their arguments' (the rest: elementwise), as the
# op registry declares it.
SCALAR_VALUED = {n for n, s in CALLS.items() if getattr(s, "syntax_shape", "") == "scalar"}
SAME_SHAPE = {n for n, s in CALLS.items() if getattr(s, "syntax_shape", "") == "same"}


class Mismatch(ValueError):
    """The formula's shapes conflict, or a name has no shape."""


class Ambiguous(Mismatch):
    """The formula is consistent but does not fix a size (two zero blocks of unknown height)."""


class Unknown:
    """A dimension not known yet; union-find links it to another or to a known size."""

    __slots__ = ()


Dim = Any  # an int, a SymPy size, or an Unknown
Shape = tuple[Dim, Dim]


def _positive(value: Dim) -> bool:
    known = getattr(value, "is_positive", None)
    return bool(known) if known is not None else value > 0


class ShapeInference:
    def __init__(
        self,
        name_shape: Callable[[str], Shape | None],
        ones_are_columns: bool = True,
        name_value: Callable[[str], float | None] | None = None,
    ):
        # 𝟏 is printed for a column of ones and for a matrix of ones: read it as a column
        # first (𝟏ᵀ𝟏 is then a scalar), and as a matrix of unknown size if that fails.
        self.name_shape = name_shape
        self.name_value = name_value  # a size's value: the length of a block [x]_{d + 1:2 d}
        self.ones_are_columns = ones_are_columns
        self.parent: dict[Unknown, Dim] = {}
        self.shape: dict[int, Shape] = {}
        self.zero_blocks: set[int] = set()  # the 0 blocks of a block matrix [I; 0]
        self.stacks: list[tuple[Dim, list[Dim]]] = []  # total rows = the sum of block rows
        self.products: list[tuple[Dim, Dim, Dim]] = []  # a Kronecker size = the product

    # -- union-find ------------------------------------------------------------------------

    def new(self) -> Unknown:
        d = Unknown()
        self.parent[d] = d
        return d

    def find(self, d: Dim) -> Dim:
        while isinstance(d, Unknown) and self.parent[d] is not d:
            d = self.parent[d]
        return d

    def unify(self, a: Dim, b: Dim, what: str) -> None:
        a, b = self.find(a), self.find(b)
        if a is b:
            return
        if isinstance(a, Unknown):
            self.parent[a] = b
        elif isinstance(b, Unknown):
            self.parent[b] = a
        elif a != b:
            raise Mismatch(f"{what}: sizes {a} and {b} do not match")

    def known(self, d: Dim) -> bool:
        return not isinstance(self.find(d), Unknown)

    def scalar(self, shape: Shape) -> bool:
        return all(self.known(d) and self.find(d) == 1 for d in shape)

    def resolved(self, node: Syntax) -> Shape | None:
        """The node's shape once every dimension is known, else None."""
        if id(node) not in self.shape:  # a block's _range(lo, hi): no value of its own
            return None
        r, c = (self.find(d) for d in self.shape[id(node)])
        return None if isinstance(r, Unknown) or isinstance(c, Unknown) else (r, c)

    # -- the pass --------------------------------------------------------------------------

    def run(self, node: Syntax, expected: Shape | None = None) -> Shape:
        """Infer every node's shape; ``expected`` (rows, cols) is the whole formula's."""
        rows, cols = self.infer(node)
        if expected is not None:
            constant = isinstance(node, Number) or (
                isinstance(node, Unary) and isinstance(node.operand, Number)
            )  # 0 is displayed for a zero array
            if not (self.scalar((rows, cols)) and (tuple(expected) == (1, 1) or constant)):
                self.unify(rows, expected[0], "the formula's rows")
                self.unify(cols, expected[1], "the formula's columns")
        self.solve_stacks()
        return (rows, cols)

    def infer(self, node: Syntax) -> Shape:
        shape = self._infer(node)
        self.shape[id(node)] = shape
        return shape

    def broadcast(self, a: Shape, b: Shape, what: str) -> Shape:
        if self.scalar(a):
            return b
        if self.scalar(b):
            return a
        spread = self.spread(a, b) or self.spread(b, a)
        if spread is not None:
            return spread
        self.unify(a[0], b[0], what)
        self.unify(a[1], b[1], what)
        return a

    def spread(self, matrix: Shape, vector: Shape) -> Shape | None:
        """A known column (n, 1) or row (1, B) against a known matrix (n, B) broadcasts, as
        the elaborator reads W X + b (``expr/broadcast.py``); anything unknown unifies."""
        if not all(self.known(d) for d in (*matrix, *vector)):
            return None
        (r, c), (vr, vc) = (tuple(self.find(d) for d in s) for s in (matrix, vector))
        if r == 1 or c == 1 or (vr == 1) == (vc == 1):
            return None
        if (vc == 1 and vr == r) or (vr == 1 and vc == c):
            return (r, c)
        return None

    def _infer(self, node: Syntax) -> Shape:
        if isinstance(node, Number):
            return (1, 1)
        if isinstance(node, Name):
            shape = self.name_shape(node.id)
            if shape is not None:
                return shape
            if node.id == "I":
                n = self.new()
                return (n, n)
            raise Mismatch(f"{node.id!r} has no value")
        if isinstance(node, Unary):
            return self.infer(node.operand)
        if isinstance(node, TransposeOp):
            r, c = self.infer(node.operand)
            return (c, r)
        if isinstance(node, BinOp):
            a, b = self.infer(node.left), self.infer(node.right)
            if node.op == "**":
                return a
            if node.op != "@":
                return self.broadcast(a, b, f"'{node.op}'")
            if node.implicit and (self.scalar(a) or self.scalar(b)):
                return self.broadcast(a, b, "scaling")
            self.unify(a[1], b[0], "a matrix product")
            return (a[0], b[1])
        if isinstance(node, Call):
            return self._infer_call(node)
        raise Mismatch(f"cannot infer the shape of {type(node).__name__}")  # pragma: no cover

    def _infer_call(self, node: Call) -> Shape:
        fn = node.func
        if fn == "ones":
            return (self.new(), 1 if self.ones_are_columns else self.new())
        if fn == "onehot" and len(node.args) == 1:  # e_y, e_{3} as displayed: a column
            self.infer(node.args[0])
            return (self.new(), 1)
        if fn == "_index":  # [x]_{3}, [W]_{2,3}, [z]_{y}, [x]_{1:d} as displayed
            return self._infer_block(node)
        shapes = [self.infer(a) for a in node.args]
        if node.keywords and shapes:
            return self._infer_axis(node, shapes[0])
        if fn in SCALAR_VALUED:
            return (1, 1)
        if fn in SAME_SHAPE:
            return shapes[0]
        if fn == "outer":
            return (shapes[0][0], shapes[1][0])
        if fn == "diag":
            r, c = shapes[0]
            return (r, r) if self.known(c) and self.find(c) == 1 else (r, 1)
        if fn == "concat":
            return self._infer_stack(node, shapes)
        if fn == "kron":  # (p, q) ⊗ (r, s) is (pr, qs), solved with the other constraints
            out = (self.new(), self.new())
            self.products.extend((out[k], shapes[0][k], shapes[1][k]) for k in (0, 1))
            return out
        out = shapes[0]  # elementwise, scalars broadcast
        for s in shapes[1:]:
            out = self.broadcast(out, s, fn)
        return out

    def _infer_block(self, node: Call) -> Shape:
        """An entry is 1 × 1; a block [x]_{lo:hi} is hi − lo + 1 long, [W]_{:,2} a column."""
        whole = self.infer(node.args[0])
        picks = list(node.args[1:])
        if len(picks) == 1:  # a vector's entry, or a block of rows (of a row: of columns)
            row = self.known(whole[0]) and self.find(whole[0]) == 1
            if row and not (self.known(whole[1]) and self.find(whole[1]) == 1):
                picks.insert(0, None)
            else:
                picks.append(None)
        return (self._length(picks[0], whole[0]), self._length(picks[1], whole[1]))

    def _length(self, pick: Syntax | None, whole: Dim) -> Dim:
        if pick is None:
            return whole  # (a column's one column, or all of a matrix's)
        if not (isinstance(pick, Call) and pick.func == "_range"):
            self.infer(pick)
            return 1
        if not pick.args:
            return whole
        for a in pick.args:
            self.infer(a)
        lo, hi = (self._constant(a) for a in pick.args)
        return self.new() if lo is None or hi is None else int(hi - lo + 1)

    def _constant(self, node: Syntax) -> float | None:
        """The value of a block's bound (1, n, 2 d, n + 1), when the sizes are known."""
        if isinstance(node, Number):
            return float(node.text)
        if isinstance(node, Name):
            return None if self.name_value is None else self.name_value(node.id)
        if isinstance(node, BinOp) and node.op in ("+", "-", "*", "@"):
            a, b = self._constant(node.left), self._constant(node.right)
            if a is None or b is None:
                return None
            return a + b if node.op == "+" else a - b if node.op == "-" else a * b
        return None

    def _infer_axis(self, node: Call, shape: Shape) -> Shape:
        """f(X, axis=k): a reduction keeps a length-1 axis k (``language/axes.py``)."""
        keyword = node.keyword("axis")
        value = None if keyword is None else keyword.value
        negative = isinstance(value, Unary) and value.op == "-"
        number = value.operand if isinstance(value, Unary) else value
        if not isinstance(number, Number) or number.text not in ("0", "1", "2"):
            raise Mismatch(f"{node.func}: the axis must be 0, 1, -1 or -2")
        axis = (-int(number.text) if negative else int(number.text)) % 2
        if node.func in SAME_SHAPE:
            return shape
        return (1, shape[1]) if axis == 0 else (shape[0], 1)

    def _infer_stack(self, node: Call, shapes: list[Shape]) -> Shape:
        """[a; b] (vectors) or the block column [I; 0] of a Jacobian: blocks share columns."""
        cols = self.new()
        rows = []
        for arg, shape in zip(node.args, shapes, strict=True):
            if isinstance(arg, Number) and float(arg.text) == 0:
                shape = (self.new(), cols)
                self.shape[id(arg)] = shape
                self.zero_blocks.add(id(arg))
            self.unify(shape[1], cols, "the blocks of a block matrix")
            rows.append(shape[0])
        total = self.new()
        self.stacks.append((total, rows))
        return (total, cols)

    def _solve_products(self) -> bool:
        """total = a · b (a Kronecker product's sizes): any two give the third."""
        progress = False
        for total, a, b in self.products:
            known = [self.known(d) for d in (total, a, b)]
            if known == [False, True, True]:
                self.unify(total, self.find(a) * self.find(b), "a Kronecker product")
            elif known[0] and known[1] != known[2]:
                given, missing = (a, b) if known[1] else (b, a)
                whole, part = self.find(total), self.find(given)
                if whole % part:
                    raise Mismatch("a Kronecker product's factors do not fit its size")
                self.unify(missing, whole // part, "a Kronecker product")
            else:
                continue
            progress = True
        return progress

    def solve_stacks(self) -> None:
        """Sum constraints with one unknown are solved; more than one is ambiguous."""
        progress = True
        while progress:
            progress = self._solve_products()
            for total, rows in self.stacks:
                missing = [r for r in rows if not self.known(r)]
                known_sum = sum(self.find(r) for r in rows if self.known(r))
                if not missing and not self.known(total):
                    self.unify(total, known_sum, "a block matrix")
                    progress = True
                elif len(missing) == 1 and self.known(total):
                    rest = self.find(total) - known_sum
                    if not _positive(rest):
                        raise Mismatch("a block matrix's blocks do not fit its size")
                    self.unify(missing[0], rest, "a block matrix")
                    progress = True
        if not all(self.known(d) for c in self.products for d in c):
            raise Ambiguous("the sizes of a Kronecker product's factors are not determined")
        for total, rows in self.stacks:
            if not all(self.known(r) for r in [total, *rows]):
                raise Ambiguous("the sizes of a block matrix's zero blocks are not determined")
