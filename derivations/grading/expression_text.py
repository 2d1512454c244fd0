"""Typed nodes printed back as expression-language text (fully bracketed).

The property tests print a derived reference in the language a student types and check that
it is judged correct; the text re-enters through the parser and elaborator like any answer.
Nodes the language cannot write (𝟏, I, indicator functions, slices) raise
``NotImplementedError`` naming the node.
"""

from __future__ import annotations

import sympy as sp

from ..expr import nodes as N
from ..expr import shapes as S
from ..ops.registry import function_spec, node_spec


def _number(value: sp.Expr) -> str:
    if value.free_symbols:
        raise NotImplementedError(f"the constant {value} depends on a dimension")
    if value.is_Integer:
        return f"({int(value)})"
    if value.is_Rational:
        return f"({value.p} / {value.q})"
    return f"({float(value)!r})"


def to_text(node: N.Node) -> str:
    """The node as expression-language text that elaborates back to an equal value (a zero
    or all-ones result as the number a student writes for it)."""
    if isinstance(node, N.Zeros | N.Ones):
        return "0" if isinstance(node, N.Zeros) else "1"
    return _text(node)


def _text(node: N.Node) -> str:
    if isinstance(node, N.Var):
        return node.name
    if isinstance(node, N.Const):
        return _number(node.value)
    kids = [_text(c) for c in node.children]
    if isinstance(node, N.Add):
        return "(" + " + ".join(kids) + ")"
    if isinstance(node, N.Mul):
        return "(" + " * ".join(kids) + ")"
    if isinstance(node, N.Neg):
        return f"(-{kids[0]})"
    if isinstance(node, N.Div):
        return f"({kids[0]} / {kids[1]})"
    if isinstance(node, N.MatMul):
        return f"({kids[0]} @ {kids[1]})"
    if isinstance(node, N.Transpose):
        return f"({kids[0]}).T"
    if isinstance(node, N.Apply):
        if node.fn == "pow":
            return f"({kids[0]} ** {kids[1]})"
        if not function_spec(node.fn).user_facing:
            raise NotImplementedError(f"the language has no function {node.fn!r}")
        return f"{node.fn}({', '.join(kids)})"
    name = node_spec(node).name  # the call that builds it, from the op registry
    if name is None:
        raise NotImplementedError(f"the language cannot write a {type(node).__name__}")
    return f"{name}({', '.join(kids)})"


ATOM, POWER, PRODUCT, NEGATION, SUM = 9, 4, 3, 2, 1


def readable(node: N.Node) -> str:
    """The node as a student would type it (x - 1, not (x + (-(1)))), for feedback: brackets
    only where precedence needs them. Functions that only derivatives write (sign, gt) are
    printed too; an answer may use them. Raises NotImplementedError as ``to_text`` does."""
    return _readable(node)[0]


def _wrap(node: N.Node, least: int) -> str:
    text, prec = _readable(node)
    return text if prec >= least else f"({text})"


def _readable(node: N.Node) -> tuple[str, int]:
    if isinstance(node, N.Var):
        return node.name, ATOM
    if isinstance(node, N.Const):
        return _readable_number(node.value)
    if isinstance(node, N.Add):
        parts = [_wrap(node.children[0], SUM)]
        for child in node.children[1:]:
            if isinstance(child, N.Neg):
                parts.append("- " + _wrap(child.children[0], PRODUCT))
            elif isinstance(child, N.Const) and child.value.is_negative:
                parts.append("- " + _wrap(N.Const(-child.value), PRODUCT))
            else:
                parts.append("+ " + _wrap(child, SUM))
        return " ".join(parts), SUM
    if isinstance(node, N.Neg):
        return "-" + _wrap(node.children[0], PRODUCT), NEGATION
    operator = {N.Mul: " * ", N.Div: " / ", N.MatMul: " @ "}.get(type(node))
    if operator is not None:  # left to right: every operand but the first one bracketed
        first, *rest = node.children
        parts = [_wrap(first, PRODUCT)] + [_wrap(c, PRODUCT + 1) for c in rest]
        return operator.join(parts), PRODUCT
    if isinstance(node, N.Transpose):
        return _wrap(node.children[0], ATOM) + ".T", ATOM
    if isinstance(node, N.Ones) and S.is_vector(node.shape):  # 𝟏 of a sum: ones(n), ones(n).T
        rows, cols = node.shape
        return (f"ones({rows})", ATOM) if cols == 1 else (f"ones({cols}).T", ATOM)
    args = ", ".join(_readable(c)[0] for c in node.children)
    if isinstance(node, N.Apply):
        if node.fn == "pow":
            base, exponent = node.children
            return f"{_wrap(base, ATOM)} ** {_wrap(exponent, ATOM)}", POWER
        return f"{node.fn}({args})", ATOM
    name = node_spec(node).name
    if name is None or node.params:  # an axis, a label, a size: not in the call's arguments
        raise NotImplementedError(f"the language cannot write a {type(node).__name__}")
    return f"{name}({args})", ATOM


def _readable_number(value: sp.Expr) -> tuple[str, int]:
    if value.free_symbols:
        raise NotImplementedError(f"the constant {value} depends on a dimension")
    if value.is_Integer:
        return str(int(value)), ATOM if value >= 0 else NEGATION
    if value.is_Rational:
        return f"{value.p}/{value.q}", PRODUCT if value > 0 else NEGATION
    return repr(float(value)), ATOM if value >= 0 else NEGATION
