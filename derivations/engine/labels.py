"""Short readable labels for graph nodes ("x + y", "max(y, z)"), as a trace table shows them.

Labels are built once, when a node is created, from its children's labels; each is capped in
length so that a 10 000-node chain does not build quadratically long strings.
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy as sp

from ..expr import nodes as N
from ..expr.axis_nodes import NAMES as AXIS_NAMES

MAX_LABEL = 60

# Binding strength: a child binding more loosely than its parent is parenthesised.
ADD, NEG, MUL, POW, POSTFIX, ATOM = 1, 2, 3, 4, 5, 6

_CALLS = {
    N.Inverse: "inv", N.Det: "det", N.LogDet: "logdet", N.Trace: "trace", N.Diag: "diag",
    N.DiagPart: "diag_part", N.Sum: "sum", N.Mean: "mean", N.Norm2: "norm2",
    N.Softmax: "softmax", N.LogSoftmax: "log_softmax", N.LogSumExp: "logsumexp",
    N.Concat: "concat",
}  # fmt: skip

Label = tuple[str, int]  # (text, binding strength)


def number(value: object) -> str:
    """A constant as a person writes it: 2, 0.01, 1/n."""
    if isinstance(value, sp.Basic):
        if value.free_symbols:
            return str(value)
        if value.is_Integer:
            return str(int(value))
        value = float(value)
    return format(float(value), ".6g")  # type: ignore[arg-type]


def _cap(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def _wrap(child: Label, strength: int) -> str:
    text, own = child
    return f"({text})" if own <= strength else text


def describe(op: type[N.Node], params: Sequence[object], children: Sequence[Label]) -> Label:
    """The label of a node from its op, parameters and its children's labels."""
    text, strength = _describe(op, params, children)
    return _cap(text), strength


def _describe(op: type[N.Node], params: Sequence[object], kids: Sequence[Label]) -> Label:
    if op is N.Var:
        return (str(params[0]), ATOM) if not kids else kids[0]
    if op is N.Const:
        text = number(params[0])
        return text, ATOM if not text.startswith("-") else NEG
    if op is N.Zeros:
        return "0", ATOM
    if op is N.Ones:
        return "1", ATOM
    if op is N.Identity:
        return "I", ATOM
    if op is N.Basis:
        return f"e_{params[0]}", ATOM
    if op is N.Add:
        parts = [kids[0][0]]
        for text, own in kids[1:]:
            if own == NEG and text.startswith("-"):
                parts.append(f"- {text[1:]}")
            else:
                parts.append(f"+ {text}")
        return " ".join(parts), ADD
    if op is N.Neg:
        return "-" + _wrap(kids[0], NEG), NEG
    if op is N.Mul:
        return " * ".join(_wrap(k, MUL) for k in kids), MUL
    if op is N.Div:
        return f"{_wrap(kids[0], MUL - 1)} / {_wrap(kids[1], MUL)}", MUL
    if op is N.MatMul:
        return f"{_wrap(kids[0], MUL - 1)} @ {_wrap(kids[1], MUL)}", MUL
    if op is N.Transpose:
        return _wrap(kids[0], POSTFIX - 1) + ".T", POSTFIX
    if op is N.Apply:
        fn = str(params[0])
        if fn == "pow":
            return f"{_wrap(kids[0], POW)} ** {_wrap(kids[1], POW - 1)}", POW
        return f"{fn}({', '.join(k[0] for k in kids)})", ATOM
    if op is N.Slice:
        return f"{_wrap(kids[0], POSTFIX - 1)}[{number(params[0])}:{number(params[1])}]", POSTFIX
    if op in AXIS_NAMES:
        return f"{AXIS_NAMES[op]}({kids[0][0]}, axis={params[0]})", ATOM
    name = _CALLS.get(op, getattr(op, "__name__", "op").lower())
    return f"{name}({', '.join(k[0] for k in kids)})", ATOM
