"""How tightly Python binds a code template's slots and a printed expression: parentheses by
Python's own grammar, so that no template can misread its argument.

A template such as ``np.exp(-0.5 * {0} ** 2) / 2.5066…`` is text over printed arguments. Its
slot ``{0}`` sits under ``**``: the argument ``W @ x`` pasted there would read as
``W @ (x ** 2)``. So every slot's context is read from the template's parse (an argument of a
call needs nothing, the operand of ``**`` needs an atom), every argument's binding from its
own parse, and an argument that binds more loosely than its slot needs is bracketed. The
template's own binding (a quotient, not an atom) is read the same way, for the printer to
bracket the whole where its parent needs it.
"""

from __future__ import annotations

import ast
import re
from functools import lru_cache

from ..ops.spec import ADD, ATOM, MUL, POW, UNARY

COMPARE = ADD - 5  # a comparison binds more loosely than a sum: (a > b) * 1.0

_SLOT = re.compile(r"\{(\d+)\}")
_SLOT_NAME = "_chainrule_slot_{}_"


def _expression(text: str) -> ast.expr:
    """The parse of one Python expression (read as a statement: it is never compiled)."""
    (statement,) = ast.parse(text).body
    assert isinstance(statement, ast.Expr), text
    return statement.value


def _binding(tree: ast.expr) -> int:
    """The binding strength of a parsed expression's outermost operation."""
    if isinstance(tree, ast.BinOp):
        if isinstance(tree.op, ast.Pow):
            return POW
        return ADD if isinstance(tree.op, ast.Add | ast.Sub) else MUL
    if isinstance(tree, ast.UnaryOp):
        return UNARY
    if isinstance(tree, ast.Compare):
        return COMPARE
    if isinstance(tree, ast.Constant | ast.Name | ast.Call | ast.Subscript | ast.Attribute):
        return ATOM
    if isinstance(tree, ast.List | ast.Dict | ast.Set):
        return ATOM
    return 0  # a conditional, a lambda, a bare tuple: bracketed wherever it goes


def _needs(parent: ast.AST, child: ast.AST) -> int:
    """The binding ``child`` must have to be read as a whole operand of ``parent``."""
    if isinstance(parent, ast.Call | ast.keyword | ast.List | ast.Tuple | ast.Set | ast.Slice):
        return 0 if child is not getattr(parent, "func", None) else ATOM
    if isinstance(parent, ast.Subscript):
        return ATOM if child is parent.value else 0
    if isinstance(parent, ast.UnaryOp):
        return POW
    if isinstance(parent, ast.Compare):
        return ADD
    if isinstance(parent, ast.BinOp):
        if isinstance(parent.op, ast.Pow):
            return POW + 1 if child is parent.left else UNARY
        level = ADD if isinstance(parent.op, ast.Add | ast.Sub) else MUL
        return level if child is parent.left else level + 1
    return ATOM  # anything else (an attribute's object): only an atom is safe


@lru_cache(maxsize=1024)
def template_form(template: str) -> tuple[dict[int, int], int]:
    """For each slot of a ``str.format`` template the binding its argument needs, and the
    binding of the template's result."""
    text = _SLOT.sub(lambda m: _SLOT_NAME.format(m.group(1)), template)
    tree = _expression(text)
    needs: dict[int, int] = {}
    for parent in ast.walk(tree):
        for child in ast.iter_child_nodes(parent):
            if isinstance(child, ast.Name) and child.id.startswith("_chainrule_slot_"):
                slot = int(child.id.removeprefix("_chainrule_slot_").rstrip("_"))
                needs[slot] = max(needs.get(slot, 0), _needs(parent, child))
    return needs, _binding(tree)


@lru_cache(maxsize=4096)
def text_binding(text: str) -> int:
    """The binding strength of printed code (parsed, never run)."""
    return _binding(_expression(text))


def fill(template: str, args: tuple[str, ...]) -> str:
    """``template`` over ``args``, each bracketed where its slot needs a tighter binding."""
    needs, _ = template_form(template)
    placed = [
        f"({a})" if needs.get(i, 0) > 0 and text_binding(a) < needs[i] else a
        for i, a in enumerate(args)
    ]
    return template.format(*placed)
