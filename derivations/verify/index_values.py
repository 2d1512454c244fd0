"""Values of an index form (∂s/∂W_ij = δ_i x_j, Σ_k …) on the grid of its free indices.

The reader (``parse_latex(..., indices=...)``) turns entries into ``_entry(base, i, j)`` and
sums into ``_isum(k, 1, n, body)``. Each index letter owns one axis of a NumPy grid; an entry
fancy-indexes its base (evaluated in matrix semantics by ``syntax_values``), a sum adds its
axis up, 𝟙[i = j] is the Kronecker delta (its only spelling: δ_ij is an entry of a matrix δ,
the error signal), an index standing alone (𝟙[i ≥ j]) is its 1-based value, and everything else
is elementwise arithmetic broadcast over the grid.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..language.ast import BinOp, Call, Name, Number, Syntax, Unary
from .syntax_values import _ELEMENTWISE, Mismatch, evaluate_syntax, walk


def _depends(node: Syntax, letters: set[str]) -> bool:
    return any(
        (isinstance(n, Call) and n.func in ("_entry", "_isum"))
        or (isinstance(n, Name) and n.id in letters)
        for n in walk(node)
    )


class IndexEvaluator:
    def __init__(self, values: Mapping[str, Any], letters: Sequence[str], sizes: Sequence[int]):
        self.values = values
        self.letters = list(letters)
        self.sizes = list(sizes)
        self.grid: dict[str, np.ndarray] = {}
        self.axes: dict[str, int] = {ch: i for i, ch in enumerate(letters)}

    def evaluate(self, node: Syntax) -> np.ndarray:
        for ch in node_letters(node):
            self.axes.setdefault(ch, len(self.axes))
        self.ndim = len(self.axes)
        for ch, size in zip(self.letters, self.sizes, strict=True):
            self.grid[ch] = self._arange(ch, size)
        with np.errstate(all="ignore"):
            value = np.asarray(self.value(node), dtype=float)
        full = value.reshape(value.shape + (1,) * (self.ndim - value.ndim)) if value.ndim else value
        full = np.broadcast_to(full, tuple(self.sizes) + (1,) * (self.ndim - len(self.sizes)))
        return full.reshape(tuple(self.sizes))

    def _arange(self, ch: str, size: int) -> np.ndarray:
        shape = [1] * self.ndim
        shape[self.axes[ch]] = size
        return np.arange(size).reshape(shape)

    def value(self, node: Syntax) -> np.ndarray | float:
        if not _depends(node, set(self.axes)):
            v = np.asarray(evaluate_syntax(node, self.values), dtype=float)
            if v.size != 1:
                raise Mismatch("an array appears where an entry is meant")
            return float(v.reshape(()))
        if isinstance(node, Unary):
            v = self.value(node.operand)
            return -v if node.op == "-" else v
        if isinstance(node, BinOp):
            a, b = self.value(node.left), self.value(node.right)
            if node.op in ("@", "*"):
                return a * b
            return {"+": np.add, "-": np.subtract, "/": np.divide, "**": np.power}[node.op](a, b)
        if isinstance(node, Call) and node.func == "_entry":
            return self._entry(node)
        if isinstance(node, Call) and node.func == "_isum":
            return self._sum(node)
        if isinstance(node, Call) and node.func == "_kronecker":
            a, b = (self.value(arg) for arg in node.args)
            return np.equal(a, b) * 1.0
        if isinstance(node, Call) and node.func in _ELEMENTWISE:
            return _ELEMENTWISE[node.func](*(self.value(a) for a in node.args))
        if isinstance(node, Name) and node.id in self.grid:
            # An index as a value, as in 𝟙[i ≥ j] (the entries of cumsum(I)): 1-based, as printed.
            return self.grid[node.id] + 1
        if isinstance(node, Name | Number):  # an index outside the sum that binds it
            raise Mismatch(f"a bare index {node}")
        raise Mismatch(f"{getattr(node, 'func', type(node).__name__)} of an entry")

    def _position(self, node: Syntax, size: int) -> np.ndarray:
        """The 0-based position an index names: the printed (1-based) value less one, for a
        letter (i), an integer, a size (x_{n}: the last), a label (z_{y + 1}) or a sum of those
        (δ_{x,3 d + i}); one outside the array is a wrong formula (NumPy would wrap −1)."""
        if isinstance(node, Name) and node.id in self.grid:
            return self.grid[node.id]
        value = np.asarray(self.value(node), dtype=float) - 1
        if not np.all(value == np.round(value)):
            raise Mismatch("a position that is not an integer")
        if np.any(value < 0) or np.any(value >= size):
            raise Mismatch(f"a position outside 1 … {size}")
        return value.astype(int)

    def _entry(self, node: Call) -> np.ndarray:
        base, *idx = node.args
        array = np.asarray(evaluate_syntax(base, self.values), dtype=float)
        if len(idx) == 1 and 1 in array.shape:  # a vector (a column, or a row)
            array = array.reshape(-1)
        if array.ndim != len(idx):
            raise Mismatch(f"{len(idx)} indices on an array of {array.ndim} dimensions")
        index = [self._position(i, size) for i, size in zip(idx, array.shape, strict=True)]
        return array[tuple(index)]

    def _sum(self, node: Call) -> np.ndarray:
        var, lo, hi, body = node.args
        assert isinstance(var, Name)
        low = float(np.asarray(evaluate_syntax(lo, self.values)).reshape(()))
        high = float(np.asarray(evaluate_syntax(hi, self.values)).reshape(()))
        if low != 1 or high != int(high) or high < 1:
            raise Mismatch("a sum's limits are not 1 … a size")
        outer = self.grid.get(var.id)
        self.grid[var.id] = self._arange(var.id, int(high))
        terms = np.asarray(self.value(body), dtype=float)
        terms = terms.reshape(terms.shape + (1,) * (self.ndim - terms.ndim))
        shape = list(np.broadcast_shapes(terms.shape, self.grid[var.id].shape))
        total = np.sum(np.broadcast_to(terms, shape), axis=self.axes[var.id], keepdims=True)
        if outer is None:
            del self.grid[var.id]
        else:  # pragma: no cover - SymPy never reuses a free index as a bound one
            self.grid[var.id] = outer
        return total


def node_letters(node: Syntax) -> list[str]:
    """The sum variables, in order of appearance."""
    out: list[str] = []
    for n in walk(node):
        if isinstance(n, Call) and n.func == "_isum":
            letter = n.args[0].id  # type: ignore[union-attr]
            if letter not in out:
                out.append(letter)
    return out


def evaluate_index_form(
    node: Syntax, values: Mapping[str, Any], letters: Sequence[str], sizes: Sequence[int]
) -> np.ndarray:
    """The array whose entry [i, j, …] (letters in order, of the given sizes) the form gives."""
    return IndexEvaluator(values, letters, sizes).evaluate(node)
