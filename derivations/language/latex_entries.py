"""chainrule's displayed indexing, read back: the basis vector e_y / \\mathbf{e}_{3} and the
entries [x]_{3}, [W]_{2,3}, [z]_{y} that the LaTeX printer writes (``ops/indexing.py``).

The display counts positions from 1 and the language from 0, so a read integer k becomes k − 1;
a label keeps its name (its value is already 0-based). e_y reads as ``onehot`` without a size,
which the shape-inference pass fixes from the context (``latex_typing.py``).
"""

from __future__ import annotations

from collections.abc import Collection

from lark import Token, Tree

from .ast import Call, Name, Number, Pos, Syntax


def _pos(item: Tree | Token) -> Pos:
    if isinstance(item, Token):
        return Pos(item.line or 1, item.column or 1)
    return Pos(getattr(item.meta, "line", 1), getattr(item.meta, "column", 1))


class DisplayedIndexing:
    """The Converter's readings of displayed basis vectors and entries (a mixin: ``name_of``
    and ``sub_parts`` are the Converter's)."""

    names: Collection[str] | None
    indices: Collection[str] | None

    def _basis_of(
        self, bases: list[str], base: Tree, parts: list[str], tok: Token
    ) -> Syntax | None:
        """e_y, \\mathbf{e}_{3}: the basis vector chainrule prints (``onehot`` without a size,
        which the context fixes), when no declared name is spelt so. Integers count from 1, as
        displayed: e_{3} is onehot(2, n)."""
        if self.names is None or len(parts) != 1 or parts[0] in (self.indices or ()):
            return None  # (in an index form, e_{i} is no basis vector: i ranges)
        if bases != ["e"] or base.data not in ("letters", "font"):
            return None
        if self.name_of("e", parts, tok).id in self.names:
            return None
        (part,) = parts
        pos = _pos(tok)
        if part.isdigit() and len(part) <= 6 and int(part) >= 1:
            return Call("onehot", (Number(str(int(part) - 1), pos),), pos, pos, internal=True)
        if part in self.names:
            return Call("onehot", (Name(part, pos),), pos, pos, internal=True)
        return None

    def _displayed_entry(self, value: Syntax, sub: Tree) -> Syntax | None:
        """[x]_{3}, [W]_{2,3}, [z]_{y}: an entry as chainrule displays it (integers from 1)."""
        if self.names is None or self.indices is not None:
            return None
        parts = self.sub_parts(sub)
        pos = _pos(sub)
        idx: list[Syntax] = []
        for part in parts:
            if part.isdigit() and len(part) <= 6 and int(part) >= 1:
                idx.append(Number(str(int(part) - 1), pos))
            elif part in self.names:
                idx.append(Name(part, pos))
            else:
                return None
        if not 1 <= len(idx) <= 2:
            return None
        return Call("_index", (value, *idx), pos, pos, internal=True)
