"""chainrule's displayed indexing, read back: the basis vector e_y / \\mathbf{e}_{3} and the
entries [x]_{3}, [W]_{2,3}, [z]_{y} that the LaTeX printer writes (``ops/indexing.py``).

The display counts positions from 1 and the language from 0, so a read integer k becomes k − 1;
a label keeps its name (its value is already 0-based). e_y reads as ``onehot`` without a size,
which the shape-inference pass fixes from the context (``latex_typing.py``).
"""

from __future__ import annotations

from collections.abc import Collection

from lark import Token, Tree

from .ast import BinOp, Call, Name, Number, Pos, Syntax


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
        """[x]_{3}, [W]_{2,3}, [z]_{y}: an entry as chainrule displays it (integers from 1);
        [x]_{d + 1:2 d}, [W]_{:,2}: a block, ``_range(lo, hi)`` (1-based, inclusive) or
        ``_range()`` (the whole axis)."""
        if self.names is None or self.indices is not None:
            return None
        idx: list[Syntax] = []
        for item in self.sub_items(sub):  # type: ignore[attr-defined]
            pos = _pos(item)
            if isinstance(item, Tree) and item.data in ("sub_all", "sub_range"):
                bounds = [self._bound(b) for b in item.children if isinstance(b, Tree | Token)
                          and getattr(b, "type", None) != "COLON"]  # fmt: skip
                if None in bounds:
                    return None
                idx.append(Call("_range", tuple(bounds), pos, pos, internal=True))  # type: ignore[arg-type]
                continue
            part = self.part_text(item)  # type: ignore[attr-defined]
            if part is not None and part.isdigit() and len(part) <= 6 and int(part) >= 1:
                idx.append(Number(str(int(part) - 1), pos))
            elif part is not None and part in self.names:
                idx.append(Name(part, pos))
            else:
                return None
        if not 1 <= len(idx) <= 2:
            return None
        return Call("_index", (value, *idx), pos, pos, internal=True)

    def _bound(self, item: Tree | Token) -> Syntax | None:
        """A block's first or last position as printed: 1, n, 2 d, n + 1."""
        assert self.names is not None
        pos = _pos(item)
        if isinstance(item, Tree) and item.data == "sub_offset":
            left, op, right = item.children
            a, b = self._bound(left), self._bound(right)
            sign = "+" if str(op) == "+" else "-"
            return None if a is None or b is None else BinOp(sign, a, b, _pos(op))
        text = self.part_text(item)  # type: ignore[attr-defined]
        tokens = item.children if isinstance(item, Tree) else [item]
        if text is not None and text.isdigit():
            return Number(text, pos)
        if text is not None and text in self.names:
            return Name(text, pos)
        if [getattr(t, "type", None) for t in tokens] == ["NUMBER", "LETTERS"]:  # 2 d
            size = self._bound(tokens[1])
            return None if size is None else BinOp("*", Number(str(tokens[0]), pos), size, pos)
        return None
