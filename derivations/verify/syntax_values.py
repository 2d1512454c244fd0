"""Plain NumPy values of a syntax tree (the untyped AST), independent of the typed pipeline.

Used to read displayed formulas back: chainrule's LaTeX contains 𝟏 and I, whose sizes the
formula does not state (``language/shape_inference.py`` infers them), and internal functions
(𝟙[a > b], sign). Values are 2-D arrays, vectors as columns, as in the typed program; the
result is returned in the generated code's convention (vectors 1-D, scalars 0-D).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import numpy as np

from ..language.ast import BinOp, Call, Name, Number, Syntax, TransposeOp, Unary, children
from ..language.shape_inference import Ambiguous, Mismatch, ShapeInference
from ..ops.registry import CALLS, FUNCTIONS

ReadError = Mismatch
__all__ = ["Ambiguous", "ReadError", "SyntaxEvaluator", "evaluate_syntax"]

# Every function's NumPy meaning (internal ones too: 𝟙[a > b], sign), from the op registry.
_ELEMENTWISE = {name: spec.value for name, spec in FUNCTIONS.items()}


def _column(value: Any) -> np.ndarray:
    a = np.asarray(value, dtype=float)
    if a.ndim == 0:
        return a.reshape(1, 1)
    if a.ndim == 1:
        return a.reshape(-1, 1)
    return a


def _integer(value: np.ndarray) -> int:
    k = float(np.asarray(value).reshape(-1)[0])
    if not k.is_integer():
        raise Mismatch("an index, a class label or a block's end must be an integer")
    return int(k)


class SyntaxEvaluator:
    def __init__(
        self,
        values: Mapping[str, Any],
        ones_are_columns: bool = True,
        sizes: Collection[str] = (),
    ) -> None:
        self.sizes = set(sizes)
        # π is the number unless the program names something pi (erf′ = 2 e^{−x²}/√π).
        self.values = {"pi": _column(np.pi), **{k: _column(v) for k, v in values.items()}}
        self.shapes = ShapeInference(self._name_shape, ones_are_columns, self._name_value)

    def _name_shape(self, name: str) -> tuple[int, int] | None:
        value = self.values.get(name)
        return None if value is None else (value.shape[0], value.shape[1])

    def _name_value(self, name: str) -> float | None:
        value = self.values.get(name)
        return None if value is None or value.size != 1 else float(value.reshape(()))

    def evaluate(self, node: Syntax, expected: tuple[int, ...] | None = None) -> np.ndarray:
        """The value as an array of ``expected`` shape (vectors 1-D, scalars 0-D) if given."""
        want = None if expected is None else _column(np.zeros(expected)).shape
        self.shapes.run(node, want)
        with np.errstate(all="ignore"):
            value = self.value(node)
        if expected is not None:
            value = np.broadcast_to(value, want).reshape(expected)
        return value

    def _size(self, node: Syntax) -> tuple[int, int]:
        shape = self.shapes.resolved(node)
        if shape is None:
            raise Mismatch("the size of a 𝟏 or I cannot be inferred from the formula")
        return (int(shape[0]), int(shape[1]))

    def value(self, node: Syntax) -> np.ndarray:
        if isinstance(node, Number):
            if id(node) in self.shapes.zero_blocks:
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

    def _position(self, syn: Syntax, value: np.ndarray) -> int:
        """A read index (0-based), a label's value, or a size n: the last entry (n − 1)."""
        return _integer(value) - (isinstance(syn, Name) and syn.id in self.sizes)

    def _pick(self, syn: Syntax) -> int | slice:
        """One axis of a displayed entry or block: a position, or _range(lo, hi) (1-based and
        inclusive, as printed) or _range() (the whole axis)."""
        if not (isinstance(syn, Call) and syn.func == "_range"):
            return self._position(syn, self.value(syn))
        if not syn.args:
            return slice(None)
        lo, hi = (_integer(self.value(a)) for a in syn.args)
        return slice(lo - 1, hi)

    def _index(self, node: Call) -> np.ndarray:
        x = self.value(node.args[0])
        picks = [self._pick(a) for a in node.args[1:]]
        if len(picks) == 1:  # a vector's entry, or a block of rows (of a row: of columns)
            row = x.shape[0] == 1 and x.shape[1] != 1
            picks = [0, picks[0]] if row else [picks[0], slice(None)]
        r, c = (p if isinstance(p, slice) else slice(p, p + 1) for p in picks)
        if any(p.stop is not None and not 0 <= p.start < p.stop <= n for p, n in zip((r, c), x.shape, strict=True)):  # fmt: skip
            raise Mismatch("a block outside the array")
        return x[r, c]

    def _call(self, node: Call) -> np.ndarray:
        fn = node.func
        if fn == "ones":
            return np.ones(self._size(node))
        if fn == "_index":  # [x]_{3}, [W]_{2,3}, [z]_{y}, [x]_{d + 1:2 d}, [W]_{:,2}
            return self._index(node)
        args = [self.value(a) for a in node.args]
        if fn == "onehot" and len(args) == 1:  # e_y, e_{3} as displayed (0-based once read)
            out = np.zeros((self._size(node)[0], 1))
            out[self._position(node.args[0], args[0])] = 1.0
            return out
        if node.keywords:
            return along_axis(fn, args[0], keyword_axis(node))
        if fn in _ELEMENTWISE:
            return np.asarray(_ELEMENTWISE[fn](*args), dtype=float)
        if fn == "diag" and args[0].shape[1] != 1:
            return np.diag(args[0]).reshape(-1, 1)  # diag of a matrix: its diagonal, as printed
        spec = CALLS.get(fn)
        if spec is not None:
            return np.asarray(spec.value(*args), dtype=float)
        raise Mismatch(f"unknown function {fn!r}")


def keyword_axis(node: Call) -> int:
    """The axis=… of a call the elaborator accepted (0 or 1; -1 and -2 count from the end)."""
    keyword = node.keyword("axis")
    if keyword is None:
        raise Mismatch(f"{node.func} has an unknown keyword argument")
    value = keyword.value
    sign = -1 if isinstance(value, Unary) and value.op == "-" else 1
    number = value.operand if isinstance(value, Unary) else value
    if not isinstance(number, Number):
        raise Mismatch("the axis is not a number")
    return (sign * int(float(number.text))) % 2


def along_axis(fn: str, x: np.ndarray, axis: int) -> np.ndarray:
    """NumPy's own meaning of ``fn(x, axis=…)`` with keepdims, on 2-D (column) arrays."""
    if fn == "sum":
        return np.sum(x, axis=axis, keepdims=True)
    if fn == "mean":
        return np.mean(x, axis=axis, keepdims=True)
    if fn == "max":
        return np.max(x, axis=axis, keepdims=True)
    top = np.max(x, axis=axis, keepdims=True)
    lse = top + np.log(np.sum(np.exp(x - top), axis=axis, keepdims=True))
    if fn == "logsumexp":
        return lse
    if fn == "log_softmax":
        return x - lse
    if fn == "softmax":
        return np.exp(x - lse)
    raise Mismatch(f"{fn} takes no axis")


def evaluate_syntax(
    node: Syntax,
    values: Mapping[str, Any],
    expected: tuple[int, ...] | None = None,
    sizes: Collection[str] = (),
) -> np.ndarray:
    """The value of a syntax tree at ``values`` (arrays as the generated code takes them);
    ``sizes`` are the names among them that are sizes (e_{n} is the last basis vector)."""
    try:
        return SyntaxEvaluator(values, sizes=sizes).evaluate(node, expected)
    except Ambiguous:
        raise
    except Mismatch:
        if not any(isinstance(n, Call) and n.func == "ones" for n in walk(node)):
            raise
        return SyntaxEvaluator(values, False, sizes).evaluate(node, expected)


def walk(node: Syntax) -> list[Syntax]:
    out, stack = [], [node]
    while stack:
        n = stack.pop()
        out.append(n)
        stack.extend(children(n))
    return out
