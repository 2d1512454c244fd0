"""Typed nodes printed back as expression-language text (fully bracketed).

The property tests print a derived reference in the language a student types and check that
it is judged correct; the text re-enters through the parser and elaborator like any answer.
Nodes the language cannot write (𝟏, I, indicator functions, slices) raise
``NotImplementedError`` naming the node.
"""

from __future__ import annotations

import sympy as sp

from ..expr import nodes as N
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
