"""Subscripts, read once: names (W_{1}, δ_{x}, Δ_{\\hat{X}}) and chainrule's index notation.

Index notation is read only where asked (``parse_latex(..., indices=...)``): the index forms
write ∂s/∂W_ij = δ_i x_j, Σ_{k=1}^{n}, 𝟙[i = j] and entries picked by a position, x_{n} (the
last), W_{1,i}, z_{y + 1} (class y, counted from 1), δ_{x,3 d + i} (a block of a
concatenation). A subscript there is the name its first parts spell (h_{1,j} is h1's entry j)
and the positions after it, each an index letter, an integer, a size or label, or a sum of
those. Entries become ``_entry(base, *positions)`` and sums ``_isum(k, 1, n, body)``, calls only
``verify/index_values.py`` evaluates (a position is the 1-based value printed).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

from lark import Token, Tree

from .ast import BinOp, Call, Name, Number, Pos, Syntax
from .latex_entries import _pos
from .latex_tables import ACCENTS, MACRO_NAMES, UNICODE_GREEK, UNICODE_SUB

if TYPE_CHECKING:
    from ..errors import ChainruleError

_MATRIX_FORM = "write the answer in matrix form, e.g. \\delta x^{T}"
_NO_SUMS = "write \\sum X for the sum of all entries, or the matrix form"


class IndexNotation:
    """The Converter's subscripts and index notation (a mixin: ``convert``, ``error`` and
    ``name_of`` are the Converter's)."""

    names: set[str] | None
    indices: set[str] | None
    positions: set[str]  # names that may stand as a position: sizes and class labels

    if TYPE_CHECKING:

        def convert(self, node: Tree | Token) -> Syntax: ...
        def error(self, message: str, at: Tree | Token | Pos, hint: str) -> ChainruleError: ...
        def name_of(
            self, base: str, parts: list[str], at: Tree | Token, bases: list[str] | None = None
        ) -> Name: ...

    def index_only(self, what: str, at: Tree | Token, hint: str = _MATRIX_FORM) -> None:
        """Refuse index notation outside an index form (a student's answer is a matrix form)."""
        if self.indices is None:
            raise self.error(f"{what} is index notation", at, hint)

    # -- subscripts ----------------------------------------------------------------------------

    def sub_items(self, sub: Tree) -> list[Tree | Token]:
        """The comma-separated items of a subscript (one for _1 and ₁)."""
        if sub.data in ("sub_char", "sub_unicode"):
            return [sub.children[0]]
        return [c for c in sub.children if isinstance(c, Tree)]

    def part_text(self, part: Tree | Token) -> str | None:
        """One item as a name's part (Δ_{\\hat{X}} is the Δ of Xhat); None for an offset."""
        if isinstance(part, Token):
            if part.type == "UNISUB":
                return str(part).translate(UNICODE_SUB)
            return str(part)[1:].strip() if part.type == "SUB1" else str(part)  # _1, or d of 3 d
        if part.data in ("sub_offset", "sub_range", "sub_all"):
            return None
        pieces = []
        accent = ""
        for tok in part.children:
            text = str(tok)
            if tok.type == "ACCENT":
                accent = ACCENTS[text.lstrip("\\")]
            elif accent and tok.type == "LETTERS":
                pieces.append(text + accent)
                accent = ""
            elif tok.type == "GREEK":
                word = UNICODE_GREEK.get(text, text.lstrip("\\"))
                pieces.append(MACRO_NAMES.get(word, [word])[0])
            elif tok.type != "FONT":
                pieces.append(text)
        return "".join(pieces)

    def sub_parts(self, sub: Tree) -> list[str]:
        """A name's subscript parts: W_{1} -> [1], δ_{x,i} -> [x, i]."""
        texts = [self.part_text(i) for i in self.sub_items(sub)]
        if None in texts:
            raise self.error("this subscript is no name", sub,
                             "a block of a value is written \\left[x\\right]_{1:n}")  # fmt: skip
        return texts  # type: ignore[return-value]

    def positions_of(self, item: Tree | Token) -> list[Syntax] | None:
        """The positions one subscript item names: ``ij`` two letters; ``2``, ``n`` or ``3 d``
        one; ``y + 1`` a sum; None when it is no position (the x of δ_{x,i})."""
        assert self.indices is not None
        if isinstance(item, Tree) and item.data == "sub_offset":
            left, op, right = item.children
            a, b = self.positions_of(left), self.positions_of(right)
            if a is None or b is None or len(a) != 1 or len(b) != 1:
                return None
            return [BinOp("+" if str(op) == "+" else "-", a[0], b[0], _pos(op))]
        text, pos = self.part_text(item), _pos(item)
        if text is None or text == "":
            return None
        if text.isalpha() and all(ch in self.indices for ch in text):
            return [Name(ch, pos) for ch in text]
        if text.isdigit():
            return [Number(text, pos)]
        if text in self.positions:
            return [Name(text, pos)]
        tokens = item.children if isinstance(item, Tree) else []
        if [t.type for t in tokens] == ["NUMBER", "LETTERS"]:  # 3 d: a multiple of a size
            size = self.positions_of(tokens[1])
            if size is not None and len(size) == 1:
                return [BinOp("*", Number(str(tokens[0]), pos), size[0], pos)]
        return None

    def index_entry(self, bases: list[str], sub: Tree, at: Token) -> Syntax | None:
        """base_{…} in an index form: the declared name its first items spell and the entry the
        rest pick (h_{1,j} is h1 at j, W_{1,i} is W at 1, i), or None for a plain name."""
        assert self.indices is not None
        items = self.sub_items(sub)
        texts = [self.part_text(i) for i in items]
        picked = [self.positions_of(i) for i in items]
        found: list[tuple[Name, list[Syntax]]] = []
        for cut in range(len(items) + 1):
            if None in texts[:cut] or None in picked[cut:]:
                continue
            name = self.name_of(bases[0], texts[:cut], at, bases)  # type: ignore[arg-type]
            rest = [p for ps in picked[cut:] for p in ps]  # type: ignore[union-attr]
            if self.names is None:  # no names to choose by: the trailing letters, as printed
                if rest and all(isinstance(p, Name) and p.id in self.indices for p in rest):
                    return _entry(name, rest, at)
            elif name.id in self.names and not (rest and name.id in self.positions):
                found.append((name, rest))  # (a size or label has no entries: h_{1,j} is h1's)
        if len(found) > 1 and any(rest for _, rest in found):
            spelt = " or ".join(n.id for n, _ in found)
            raise self.error(f"this subscript names an entry of {spelt}", at, "rename one")
        if found and found[0][1]:
            return _entry(*found[0], at)
        return None

    def entry_of(self, value: Syntax, sub: Tree) -> Syntax:
        """(…)_{ij}, softmax(z)_{i}: an entry of a bracketed value."""
        self.index_only("an entry (…)_{ij}", sub)
        picked = [self.positions_of(i) for i in self.sub_items(sub)]
        if None in picked:
            raise self.error("this subscript is not an index", sub, "index entries are (X)_{ij}")
        return _entry(value, [p for ps in picked for p in ps], sub)  # type: ignore[union-attr]

    # -- sums and the Kronecker delta ----------------------------------------------------------

    def r_indicator_eq(
        self, t: Tree, tok: Token, lb: Token, a: Tree, eq: Token, b: Tree, rb: Token
    ) -> Syntax:
        """𝟙[i = j], the Kronecker delta of index notation (δ is the error signal)."""
        self.index_only("𝟙[i = j] (the Kronecker delta)", eq, "in matrix form the identity is I")
        args = (self.convert(a), self.convert(b))
        return Call("_kronecker", args, _pos(tok), _pos(tok), internal=True)

    def r_index_sum(
        self, t: Tree, tok: Token, var: Token, eq: Token, lo: Tree, sup: Tree, body: Tree
    ) -> Syntax:
        self.index_only("an index sum \\sum_{k=1}^{n}", tok, _NO_SUMS)
        pos = _pos(tok)
        args = (Name(str(var), _pos(var)), self.convert(lo), self.upper_limit(sup))
        return Call("_isum", (*args, self.convert(body)), pos, pos, internal=True)

    def upper_limit(self, sup: Tree) -> Syntax:
        """The n of \\sum_{k=1}^{n}, read as a value: ^{T} over T tokens is the size T, never a
        transpose (a sum has nothing to transpose)."""
        if sup.data == "sup_char":
            tok = sup.children[0]
            char = str(tok)[-1]
            return Number(char, _pos(tok)) if char.isdigit() else self.name_of(char, [], tok)
        body = sup.children[0] if sup.data == "sup_group" else None
        if body is None or (isinstance(body, Tree) and body.data in ("sup_top", "sup_prime")):
            raise self.error("a sum needs an upper limit", sup, "write \\sum_{k=1}^{n}")
        return self.convert(body)

    def r_index_sum_stack(self, t: Tree, tok: Token, stack: Token, *rest: Tree | Token) -> Syntax:
        """\\sum_{\\substack{1 \\leq l \\leq n\\\\1 \\leq k \\leq n}} body: nested sums."""
        self.index_only("an index sum \\sum_{k=1}^{n}", tok, _NO_SUMS)
        *bounds, body = [r for r in rest if isinstance(r, Tree)]
        value = self.convert(body)
        pos = _pos(tok)
        for b in reversed(bounds):
            lo, rel1, var, rel2, hi = b.children
            variable = self.convert(var)
            strict = {str(rel1).lstrip("\\"), str(rel2).lstrip("\\")} - {"leq", "le", "≤"}
            if not isinstance(variable, Name) or strict:
                raise self.error("a sum's bounds are written 1 \\leq k \\leq n", b, "use \\leq")
            limits = (variable, self.convert(lo), self.convert(hi), value)
            value = Call("_isum", limits, pos, pos, internal=True)
        return value


def _entry(base: Syntax, positions: Collection[Syntax], at: Tree | Token) -> Call:
    pos = _pos(at)
    return Call("_entry", (base, *positions), pos, pos, internal=True)
