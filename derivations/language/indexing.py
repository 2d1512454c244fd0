"""Indexing in the language: ``x[i]``, ``X[i, j]``, ``X[:, j]``, ``x[a:b]``, ``z[y]``, and the
class-label calls ``onehot(y, k)`` and ``cross_entropy(z, y)``.

Indices are 0-based integers as in NumPy (``x[-1]`` is the last entry), slices ``a:b`` with
either bound left out, or a class label (a variable declared ``{"kind": "label", "classes":
"k"}``), which may index a vector of length k and appear nowhere else. ``X[i]`` is row i, and a
row ``X[i, :]`` is a vector (a column, as NumPy's 1-D result is). With a symbolic size an integer
index is at most 2 (or counts from the end, ≥ −3): verification checks every size from 3 up.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from ..expr import nodes as N
from ..expr import shapes as S
from ..ops.indexing import Index, OneHot
from .ast import Call, Name, Number, Pos, Syntax, Unary

# The smallest size verification checks: an index into a symbolic size must exist at it.
SMALLEST_SIZE = 3


def is_label(e: Any, syn: Syntax) -> bool:
    return isinstance(syn, Name) and syn.id in getattr(e, "labels", {})


def _label(e: Any, syn: Syntax, length: sp.Expr, what: str) -> N.Node:
    """The label ``syn``; ``what`` is the indexed thing with its verb (the scores have)."""
    classes = e.labels[syn.id]
    if str(length) != classes:
        raise e.error(
            "shape_mismatch",
            f"the label {syn.id!r} has {classes} classes, but {what} {length} entries",
            syn.pos,
            f"index a vector of length {classes} (the scores), e.g. z[{syn.id}]",
        )
    return e.inputs[syn.id]


def _integer(e: Any, syn: Syntax, length: sp.Expr, end: bool = False) -> sp.Expr:
    """A literal index (or slice bound, ``end``: up to the length) as a 0-based expression."""
    if getattr(e, "positions_from_1", False) and isinstance(syn, Name) and syn.id == str(length):
        return length - 1  # [x]_{n} as displayed (a LaTeX answer's integers are shifted already)
    sign = 1
    if isinstance(syn, Unary) and syn.op == "-" and isinstance(syn.operand, Number):
        sign, syn = -1, syn.operand
    if not isinstance(syn, Number) or not syn.text.isdigit() or len(syn.text) > 6:
        raise e.error(
            "syntax",
            "an index is an integer, a class label or a slice a:b",
            syn.pos,
            "e.g. x[0], x[-1], X[:, 2], x[1:3], or z[y] with y declared as a label",
        )
    k = sign * int(syn.text)
    limit = length + (1 if end else 0)
    if length.is_Integer:
        ok = -int(length) <= k < int(limit)
    else:
        ok = -SMALLEST_SIZE <= k < SMALLEST_SIZE + (1 if end else 0)
    if not ok:
        raise e.error(
            "shape_mismatch",
            f"index {k} is outside an axis of {length} entries",
            syn.pos,
            "indices count from 0 (x[-1] is the last entry)"
            + ("" if length.is_Integer else f"; with the symbolic size {length} an index is at"
               f" most {SMALLEST_SIZE - 1}, the smallest size checked: declare the size as a"
               " number to index further"),
        )  # fmt: skip
    return sp.Integer(k) if k >= 0 else length + k


def _is_span(syn: Syntax) -> bool:
    return isinstance(syn, Call) and syn.func == "_span"


def _bound(e: Any, syn: Syntax, length: sp.Expr, default: sp.Expr) -> sp.Expr:
    if isinstance(syn, Call) and syn.func == "_end":
        return default
    return _integer(e, syn, length, end=True)


def _may_be_empty(count: sp.Expr) -> bool:
    """Whether a slice of ``count`` entries is empty at some size ≥ SMALLEST_SIZE: x[-1:2] and
    x[2:-2] on a symbolic n are empty at n = 3 (count = 3 − n, n − 4), which verification draws.
    The count is linear in the sizes, so the smallest and a huge size bound it."""
    symbols = sorted(count.free_symbols, key=str)
    ends = [count.subs({s: v for s in symbols}) for v in (SMALLEST_SIZE, 10**6)]
    return any(sp.simplify(c) < 1 for c in ends)


def _axis(e: Any, syn: Syntax, length: sp.Expr) -> tuple[tuple, list[N.Node], tuple | None]:
    """(pick, labels, span) for one subscript: a span is returned for Slice to take."""
    if _is_span(syn):
        lo = _bound(e, syn.args[0], length, sp.Integer(0))
        hi = _bound(e, syn.args[1], length, length)
        if _may_be_empty(hi - lo):
            fixed = length.is_Integer or sp.simplify(hi - lo).is_number
            raise e.error(
                "shape_mismatch",
                "the slice is empty"
                + ("" if fixed else f" for some sizes {length} ≥ {SMALLEST_SIZE}"),
                syn.pos,
                "a slice a:b needs a < b"
                + ("" if fixed else
                   " at every size checked: declare the size as a number to slice so"),
            )  # fmt: skip
        return ("all",), [], (lo, hi)
    if is_label(e, syn):
        return ("label",), [_label(e, syn, length, "the axis has")], None
    return ("at", _integer(e, syn, length)), [], None


def _sliced(node: N.Node, span: tuple | None, axis: int) -> N.Node:
    if span is None or (span[0] == 0 and sp.simplify(span[1] - node.shape[axis]) == 0):
        return node
    if axis == 0:
        return N.Slice(node, *span)
    return N.Transpose(N.Slice(N.Transpose(node), *span))


def index_call(e: Any, syn: Call) -> N.Node:
    """``operand[subscripts]`` (parsed as the internal call ``_index``)."""
    operand = e.expr(syn.args[0])
    subs = list(syn.args[1:])
    if operand.is_scalar:
        raise e.error("shape_mismatch", "a scalar has no entries to index", syn.func_pos,
                      "index a vector or a matrix")  # fmt: skip
    if S.is_vector(operand.shape):
        if len(subs) != 1:
            raise e.error("shape_mismatch", f"a vector takes one index, not {len(subs)}",
                          syn.func_pos, "e.g. x[0] or x[1:3]")  # fmt: skip
        axis = 0 if S.is_column(operand.shape) else 1
        pick, labels, span = _axis(e, subs[0], operand.shape[axis])
        if span is not None:
            return _sliced(operand, span, axis)
        picks = (pick, ("unit",)) if axis == 0 else (("unit",), pick)
        return Index(operand, *picks, *labels)
    if len(subs) == 1:
        subs.append(Call("_span", (_END, _END), syn.pos, syn.pos, internal=True))
    if len(subs) != 2:
        raise e.error("shape_mismatch", f"a matrix takes two indices, not {len(subs)}",
                      syn.func_pos, "e.g. X[i, j], X[:, j] or X[i, :]")  # fmt: skip
    (rp, rl, rs), (cp, cl, cs) = (_axis(e, s, d) for s, d in zip(subs, operand.shape, strict=True))
    node = _sliced(_sliced(operand, rs, 0), cs, 1)
    if rp == ("all",) and cp == ("all",):
        return node
    picked = Index(node, rp, cp, *rl, *cl)
    return N.Transpose(picked) if S.is_row(picked.shape) else picked  # X[i, :] is a vector


_END = Call("_end", (), Pos(1, 1), Pos(1, 1), internal=True)


def onehot_call(e: Any, syn: Call) -> N.Node:
    """``onehot(y, k)``: e_y of length k, for a label y among k classes (or an integer)."""
    if len(syn.args) != 2:
        raise e.error("arity", f"onehot takes 2 arguments, got {len(syn.args)}",
                      syn.func_pos, "call it as onehot(y, k) with y a label among k classes")  # fmt: skip
    first = syn.args[0]
    length = _size(e, syn.args[1])
    if is_label(e, first):
        return OneHot(length, ("label",), _label(e, first, length, "the one-hot vector has"))
    if not _literal(first):
        raise _not_a_class(e, first, length)
    return OneHot(length, ("at", _integer(e, first, length)))


def _literal(syn: Syntax) -> bool:
    """An integer as written: 2 or -1 (what ``_integer`` reads)."""
    if isinstance(syn, Unary) and syn.op == "-":
        syn = syn.operand
    return isinstance(syn, Number)


def _not_a_class(e: Any, first: Syntax, length: sp.Expr) -> Exception:
    """onehot of something that is neither a class label nor an integer: say what it needs."""
    if isinstance(first, Name) and first.id in e.inputs:
        var = e.inputs[first.id]
        got = f"{first.id!r}, {S.describe(var.shape)}"
        fix = (
            f"{first.id} is a vector already: write {first.id} itself in place of "
            f"onehot({first.id}, {length}) (declare it --var {first.id}={length}:onehot if it "
            f"is one-hot), or declare a class label --var '{first.id}:label({length})'"
            if not var.is_scalar
            else f"declare {first.id} as a class label: --var '{first.id}:label({length})'"
        )
    else:
        got = "an expression"
        fix = (
            f"declare the class as a label (--var 'c:label({length})') and write "
            f"onehot(c, {length}); a shifted class such as y + 1 is a label of its own"
        )
    return e.error(
        "syntax",
        f"onehot needs a class label (declared label({length})) or an integer, got {got}",
        getattr(first, "pos", None),
        fix,
    )


def _size(e: Any, syn: Syntax) -> sp.Expr:
    if isinstance(syn, Number) and syn.text.isdigit() and 2 <= int(syn.text) <= 10_000:
        return sp.Integer(int(syn.text))
    if isinstance(syn, Name) and syn.id in {str(d) for d in e.dims}:
        return S.dim(syn.id)
    raise e.error(
        "shape_mismatch",
        "the length of onehot is a declared dimension or an integer",
        getattr(syn, "pos", None),
        "e.g. onehot(y, k) with k the length of the scores",
    )


def cross_entropy_call(e: Any, syn: Call) -> N.Node:
    """``cross_entropy(z, y)`` = −log softmax(z)_y = logsumexp(z) − z_y, for a label y."""
    if len(syn.args) != 2 or not is_label(e, syn.args[1]):
        raise e.error(
            "arity",
            "cross_entropy takes the scores and a class label",
            syn.func_pos,
            "call it as cross_entropy(z, y) with y declared as a label; for a one-hot or"
            " probability vector write -y.T @ log_softmax(z)",
        )
    z = e.expr(syn.args[0])
    e.need_vector("cross_entropy", z, syn)
    if not S.is_column(z.shape):
        z = N.Transpose(z)
    y = _label(e, syn.args[1], z.shape[0], "the scores have")
    return N.Add(N.LogSumExp(z), N.Neg(Index(z, ("label",), ("unit",), y)))


CALLS = {"_index": index_call, "onehot": onehot_call, "cross_entropy": cross_entropy_call}
