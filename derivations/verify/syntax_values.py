"""Plain NumPy values of a syntax tree (the untyped AST), independent of the typed pipeline.

Used to read displayed formulas back: chainrule's LaTeX contains 𝟏 and I, whose sizes the
formula does not state, and internal functions (𝟙[a > b], sign). Shapes are inferred first,
by unification (𝟏 and I get unknown sizes that the operands they meet, or the expected shape
of the whole formula, fix); then the tree is evaluated on 2-D arrays, vectors as columns.
Juxtaposition (an implicit ``@``) scales when a side is a scalar, as the elaborator reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import count
from typing import Any

import numpy as np

from ..language.ast import BinOp, Call, Name, Number, Syntax, TransposeOp, Unary, children


class ReadError(ValueError):
    """The formula cannot be given a value (a shape conflict, an unknown name or size)."""


class Ambiguous(ReadError):
    """The formula is consistent but does not fix a size (two zero blocks of unknown height)."""


_ELEMENTWISE = {
    "exp": np.exp, "log": np.log, "sqrt": np.sqrt, "abs": np.abs, "sin": np.sin, "cos": np.cos,
    "tanh": np.tanh, "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)), "sign": np.sign,
    "relu": lambda x: np.maximum(x, 0.0), "softplus": lambda x: np.logaddexp(0.0, x),
    "max": np.maximum, "min": np.minimum, "gt": lambda a, b: (a > b) * 1.0,
    "ge": lambda a, b: (a >= b) * 1.0, "leaky_relu": lambda x, a: np.where(x > 0, x, a * x),
    "leaky_step": lambda x, a: np.where(x > 0, 1.0, a),
}  # fmt: skip
_SCALAR_VALUED = {"sum", "mean", "norm2", "trace", "det", "logdet", "logsumexp", "dot"}


def _column(value: Any) -> np.ndarray:
    a = np.asarray(value, dtype=float)
    if a.ndim == 0:
        return a.reshape(1, 1)
    if a.ndim == 1:
        return a.reshape(-1, 1)
    return a


class _Shapes:
    """Union-find over dimensions: ints, or unknowns (negative ids) until unified."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}
        self.fresh = count(-1, -1)

    def new(self) -> int:
        d = next(self.fresh)
        self.parent[d] = d
        return d

    def find(self, d: int) -> int:
        while d < 0 and self.parent[d] != d:
            d = self.parent[d]
        return d

    def unify(self, a: int, b: int, what: str) -> None:
        a, b = self.find(a), self.find(b)
        if a == b:
            return
        if a >= 0 and b >= 0:
            raise ReadError(f"{what}: sizes {a} and {b} do not match")
        if a < 0:
            self.parent[a] = b
        else:
            self.parent[b] = a


class SyntaxEvaluator:
    def __init__(self, values: Mapping[str, Any], ones_are_columns: bool = True) -> None:
        # 𝟏 is printed for a column of ones and for a matrix of ones: read it as a column
        # first (𝟏ᵀ𝟏 is then a scalar), and as a matrix of unknown size if that fails.
        self.ones_are_columns = ones_are_columns
        self.values = {k: _column(v) for k, v in values.items()}
        self.dims = _Shapes()
        self.shape: dict[int, tuple[int, int]] = {}
        self.zero_blocks: set[int] = set()  # the 0 blocks of a block matrix [I; 0]
        self.stacks: list[tuple[int, list[int]]] = []  # total rows = the sum of block rows

    def evaluate(self, node: Syntax, expected: tuple[int, ...] | None = None) -> np.ndarray:
        """The value as an array of ``expected`` shape (vectors 1-D, scalars 0-D) if given."""
        rows, cols = self.infer(node)
        if expected is not None:
            want = _column(np.zeros(expected)).shape
            constant = isinstance(node, Number) or (
                isinstance(node, Unary) and isinstance(node.operand, Number)
            )  # 0 is displayed for a zero array
            if not (self._scalar((rows, cols)) and (want == (1, 1) or constant)):
                self.dims.unify(rows, want[0], "the formula's rows")
                self.dims.unify(cols, want[1], "the formula's columns")
        self._solve_stacks()
        with np.errstate(all="ignore"):
            value = self.value(node)
        if expected is not None:
            value = np.broadcast_to(value, _column(np.zeros(expected)).shape).reshape(expected)
        return value

    # -- shapes --------------------------------------------------------------------------------

    def _scalar(self, shape: tuple[int, int]) -> bool:
        return self.dims.find(shape[0]) == 1 and self.dims.find(shape[1]) == 1

    def infer(self, node: Syntax) -> tuple[int, int]:
        shape = self._infer(node)
        self.shape[id(node)] = shape
        return shape

    def _broadcast(self, a: tuple[int, int], b: tuple[int, int], what: str) -> tuple[int, int]:
        if self._scalar(a):
            return b
        if self._scalar(b):
            return a
        self.dims.unify(a[0], b[0], what)
        self.dims.unify(a[1], b[1], what)
        return a

    def _infer(self, node: Syntax) -> tuple[int, int]:
        if isinstance(node, Number):
            return (1, 1)
        if isinstance(node, Name):
            if node.id in self.values:
                r, c = self.values[node.id].shape
                return (r, c)
            if node.id == "I":
                n = self.dims.new()
                return (n, n)
            raise ReadError(f"{node.id!r} has no value")
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
                return self._broadcast(a, b, f"'{node.op}'")
            if node.implicit and (self._scalar(a) or self._scalar(b)):
                return self._broadcast(a, b, "scaling")
            self.dims.unify(a[1], b[0], "a matrix product")
            return (a[0], b[1])
        if isinstance(node, Call):
            return self._infer_call(node)
        raise ReadError(f"cannot evaluate {type(node).__name__}")  # pragma: no cover

    def _infer_call(self, node: Call) -> tuple[int, int]:
        fn = node.func
        if fn == "ones":
            return (self.dims.new(), 1 if self.ones_are_columns else self.dims.new())
        shapes = [self.infer(a) for a in node.args]
        if fn in _ELEMENTWISE:
            out = shapes[0]
            for s in shapes[1:]:
                out = self._broadcast(out, s, fn)
            return out
        if fn in _SCALAR_VALUED:
            return (1, 1)
        if fn in ("inv", "softmax", "log_softmax"):
            return shapes[0]
        if fn == "outer":
            return (shapes[0][0], shapes[1][0])
        if fn == "diag":
            r, c = shapes[0]
            if self.dims.find(c) == 1:
                return (r, r)
            return (r, 1)
        if fn == "concat":
            return self._infer_stack(node, shapes)
        raise ReadError(f"unknown function {fn!r}")

    def _infer_stack(self, node: Call, shapes: list[tuple[int, int]]) -> tuple[int, int]:
        """[a; b] (vectors) or the block column [I; 0] of a Jacobian: blocks share columns."""
        cols = self.dims.new()
        rows = []
        for arg, shape in zip(node.args, shapes, strict=True):
            if isinstance(arg, Number) and float(arg.text) == 0:
                shape = (self.dims.new(), cols)
                self.shape[id(arg)] = shape
                self.zero_blocks.add(id(arg))
            self.dims.unify(shape[1], cols, "the blocks of a block matrix")
            rows.append(shape[0])
        total = self.dims.new()
        self.stacks.append((total, rows))
        return (total, cols)

    def _solve_stacks(self) -> None:
        """Sum constraints with one unknown are solved; more than one is ambiguous."""
        progress = True
        while progress:
            progress = False
            for total, rows in self.stacks:
                known = [self.dims.find(r) for r in rows]
                t = self.dims.find(total)
                missing = [r for r, k in zip(rows, known, strict=True) if k < 0]
                if not missing and t < 0:
                    self.dims.unify(total, sum(known), "a block matrix")
                    progress = True
                elif len(missing) == 1 and t >= 0:
                    rest = t - sum(k for k in known if k >= 0)
                    if rest <= 0:
                        raise ReadError("a block matrix's blocks do not fit its size")
                    self.dims.unify(missing[0], rest, "a block matrix")
                    progress = True
        for total, rows in self.stacks:
            if any(self.dims.find(r) < 0 for r in [total, *rows]):
                raise Ambiguous("the sizes of a block matrix's zero blocks are not determined")

    # -- values --------------------------------------------------------------------------------

    def _size(self, node: Syntax) -> tuple[int, int]:
        r, c = (self.dims.find(d) for d in self.shape[id(node)])
        if r < 0 or c < 0:
            raise ReadError("the size of a 𝟏 or I cannot be inferred from the formula")
        return (r, c)

    def value(self, node: Syntax) -> np.ndarray:
        if isinstance(node, Number):
            if id(node) in self.zero_blocks:
                return np.zeros(self._size(node))
            return np.array([[float(node.text)]])
        if isinstance(node, Name):
            if node.id in self.values:
                return self.values[node.id]
            return np.eye(self._size(node)[0])
        if isinstance(node, Unary):
            v = self.value(node.operand)
            return -v if node.op == "-" else v
        if isinstance(node, TransposeOp):
            return self.value(node.operand).T
        if isinstance(node, BinOp):
            return self._binop(node)
        assert isinstance(node, Call)
        return self._call(node)

    def _binop(self, node: BinOp) -> np.ndarray:
        a, b = self.value(node.left), self.value(node.right)
        op = node.op
        if op == "@" and node.implicit and (a.shape == (1, 1) or b.shape == (1, 1)):
            op = "*"
        if op == "@":
            return a @ b
        if op == "**":
            return np.power(a, b)
        return {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide}[op](a, b)

    def _call(self, node: Call) -> np.ndarray:
        fn = node.func
        if fn == "ones":
            return np.ones(self._size(node))
        args = [self.value(a) for a in node.args]
        if fn in _ELEMENTWISE:
            return np.asarray(_ELEMENTWISE[fn](*args), dtype=float)
        x = args[0]
        scalar = {
            "sum": lambda: np.sum(x),
            "mean": lambda: np.mean(x),
            "norm2": lambda: np.sqrt(np.sum(x * x)),
            "trace": lambda: np.trace(x),
            "det": lambda: np.linalg.det(x),
            "logdet": lambda: np.linalg.slogdet(x)[1],
            "logsumexp": lambda: np.max(x) + np.log(np.sum(np.exp(x - np.max(x)))),
            "dot": lambda: np.sum(x * args[1]),
        }
        if fn in scalar:
            return np.array([[scalar[fn]()]])
        if fn == "inv":
            return np.linalg.inv(x)
        if fn == "softmax":
            e = np.exp(x - np.max(x))
            return e / np.sum(e)
        if fn == "log_softmax":
            return x - np.max(x) - np.log(np.sum(np.exp(x - np.max(x))))
        if fn == "outer":
            return x @ args[1].T
        if fn == "diag":
            return np.diag(x[:, 0]) if x.shape[1] == 1 else np.diag(x).reshape(-1, 1)
        if fn == "concat":
            return np.vstack(args)
        raise ReadError(f"unknown function {fn!r}")  # pragma: no cover


def evaluate_syntax(
    node: Syntax, values: Mapping[str, Any], expected: tuple[int, ...] | None = None
) -> np.ndarray:
    """The value of a syntax tree at ``values`` (arrays as the generated code takes them)."""
    try:
        return SyntaxEvaluator(values).evaluate(node, expected)
    except Ambiguous:
        raise
    except ReadError:
        if not any(isinstance(n, Call) and n.func == "ones" for n in _walk(node)):
            raise
        return SyntaxEvaluator(values, ones_are_columns=False).evaluate(node, expected)


def _walk(node: Syntax) -> list[Syntax]:
    out, stack = [], [node]
    while stack:
        n = stack.pop()
        out.append(n)
        stack.extend(children(n))
    return out
