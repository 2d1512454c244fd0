"""Short readable labels for graph nodes ("x + y", "max(y, z)"), as a trace table shows them.

Labels are built once, when a node is created, from its children's labels; each is capped in
length so that a 10 000-node chain does not build quadratically long strings.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace

import sympy as sp

from ..expr import nodes as N
from ..ops.registry import node_spec

MAX_LABEL = 60

# Binding strength: a child binding more loosely than its parent is parenthesised.
ADD, NEG, MUL, POW, POSTFIX, ATOM = 1, 2, 3, 4, 5, 6

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
    label = node_spec(op).label  # every other op: its registry label, name(args) by default
    if callable(label):
        return label(_FORMAT, tuple(params), list(kids))
    return f"{label}({', '.join(k[0] for k in kids)})", ATOM


# What a registry label callable may use to format its children (Slice: x[0:3]).
_FORMAT = SimpleNamespace(wrap=_wrap, number=number, POSTFIX=POSTFIX, ATOM=ATOM)
