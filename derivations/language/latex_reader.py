"""Textbook LaTeX -> the expression language's syntax tree, with lark; never eval.

Students answer ``\\delta x^T`` or ``\\left(u \\circ (1 - h^{2})\\right) x^{T}``; chainrule prints
its own results the same way. Both are read by the grammar in ``latex.lark`` into the untyped
tree of ``ast.py``, so the elaborator types them exactly as it types the expression language.
Juxtaposition becomes an ``@`` marked ``implicit``: the elaborator turns it into scaling when a
side is a scalar. Names follow the printer (``printing/names.py``) backwards: ``\\delta_{2}`` is
``delta2``, ``\\hat{y}`` is ``yhat``; with ``names`` given, the spelling that exists is chosen
(``b_{2}`` is ``b_2`` if that is declared, else ``b2``).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from functools import lru_cache
from pathlib import Path

from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from ..errors import ChainruleError
from ..limits import DEFAULT_LIMITS, Limits
from ..printing.names import GREEK
from .ast import Pos, Program, Statement
from .latex_convert import Converter
from .latex_tables import OPERATOR_WORDS
from .parser import _check_depth

KIND = "syntax_error"


class _Bars:
    """Pair bare bars into openers and closers: ``|x|`` and ``\\|x\\|`` read like brackets.

    A bar opens when it cannot end an operand (at the start, after an operator or opener) or
    when no bar of its kind is open; otherwise it closes the innermost open one.
    """

    always_accept = ("BAR", "DBAR")
    _ENDS_OPERAND = {"LETTERS", "NUMBER", "RPAR", "RBRACK", "RBRACE", "NORMR", "ABSR", "ONES",
                     "GREEK", "SUP1", "UNISUP", "SUB1", "UNISUB", "PRIME", "HATTED", "TOP",
                     "ENDMAT", "FUNC", "__ANON_CLOSE"}  # fmt: skip

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        open_bars: list[str] = []
        previous: str | None = None
        for tok in stream:
            if tok.type in ("BAR", "DBAR"):
                kind = "ABS" if tok.type == "BAR" else "NORM"
                closes = previous in self._ENDS_OPERAND and open_bars and open_bars[-1] == kind
                if closes:
                    open_bars.pop()
                    tok.type = kind + "R"
                else:
                    open_bars.append(kind)
                    tok.type = kind + "L"
            previous = tok.type
            yield tok


@lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = Path(__file__).with_name("latex.lark").read_text(encoding="utf-8")
    # The \operatorname{...} words are the op registry's (longest first, each a plain word).
    words = sorted(OPERATOR_WORDS, key=lambda w: (-len(w), w))
    assert all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", w) for w in words), words
    grammar = grammar.replace("__OPERATOR_WORDS__", "|".join(words))
    return Lark(
        grammar,
        parser="lalr",
        lexer="basic",
        postlex=_Bars(),
        propagate_positions=True,
        maybe_placeholders=False,
    )


_TOKEN_WORDS = {
    "LETTERS": "a name", "NUMBER": "a number", "LPAR": "'('", "RPAR": "')'", "LBRACE": "'{'",
    "RBRACE": "'}'", "LBRACK": "'['", "RBRACK": "']'", "PLUS": "'+'", "MINUS": "'-'",
    "$END": "the end of the formula", "COMMA": "','",
}  # fmt: skip

_CHAR_HINTS = {
    "$": "leave out the $ signs: write the formula itself, e.g. \\delta x^{T}",
    "&": "matrices with columns are not supported; write the answer as a matrix expression",
    ":": "':' (a slice, or A:B) is not supported; write \\operatorname{tr}(A^{T} B) for A:B",
    "=": "write only the answer (the right-hand side), without '\\frac{\\partial s}{\\partial W} ='",
    "@": "in LaTeX the matrix product is juxtaposition: \\delta x^{T}",
    "^": "a superscript needs something to raise: x^{T}, x^{2}",
    "_": "a subscript belongs to a name: W_{1}, \\delta_{2}",
    ".": "a transpose is written x^{T} (not x.T) in LaTeX",
}


def _syntax_error(exc: UnexpectedInput, text: str, source: str | None = None) -> ChainruleError:
    """The error for lark's exception; ``text`` was parsed, ``source`` is shown (the same
    positions: only a left-hand side may have been blanked)."""
    error = _lark_error(exc, text)
    error.source = source if source is not None else text
    return error


def _lark_error(exc: UnexpectedInput, text: str) -> ChainruleError:
    line, column = exc.line, exc.column
    if isinstance(exc, UnexpectedCharacters):
        char = text[exc.pos_in_stream] if exc.pos_in_stream < len(text) else "?"
        hint = _CHAR_HINTS.get(
            char, "write the formula with LaTeX commands, letters, digits and + - ^ _ { } ( )"
        )
        return ChainruleError(KIND, f"unexpected character {char!r}", line, column, hint, text)
    assert isinstance(exc, UnexpectedToken)
    tok = exc.token
    expected = set(exc.expected)
    if expected <= {"LBRACE"} and expected:
        hint = "\\frac takes two arguments in braces: \\frac{numerator}{denominator}; \\sqrt{x}"
        if tok.type == "$END":
            line, column = _end(text)
        return ChainruleError(KIND, "a command is missing a {…} argument", line, column, hint, text)
    if tok.type == "$END":
        line, column = _end(text)
        open_braces = text.count("{") - text.count("}")
        hint = "check for an unclosed '(' or '{', or a trailing operator"
        if open_braces > 0:
            hint = f"{open_braces} '{{' {'is' if open_braces == 1 else 'are'} never closed"
        return ChainruleError(KIND, "the formula ends in the middle", line, column, hint, text)
    got = repr(str(tok))
    hint = "expected " + (
        "an operand or operator"
        if len(expected) > 5
        else ", ".join(sorted({_TOKEN_WORDS.get(e, e.lower()) for e in expected}))
    )
    if re.search(r"(\\sum|∑)\s*_?[^=+\-]{0,12}$", text[: tok.start_pos]):
        hint = "index sums \\sum_{i} are not supported: write \\sum X for the sum of all entries"
    elif tok.type == "RBRACE":
        hint = "this '}' has no matching '{'"
    elif tok.type in ("RPAR", "RBRACK", "NORMR", "ABSR"):
        hint = f"this {str(tok).strip()!r} has no matching opening bracket or closes nothing"
    elif tok.type == "REL":
        hint = "comparisons appear only inside an indicator: \\mathbb{1}[z > 0]"
    elif str(tok) == "_":
        hint = "a subscript belongs to a name: W_{1}, \\delta_{2}"
    elif tok.type == "EQUAL":
        hint = _CHAR_HINTS["="]
    elif tok.type == "COLON":  # only a block of a bracketed value, [x]_{1:n}, takes one
        hint = _CHAR_HINTS[":"]
    elif tok.type == "COMMA":
        hint = "commas separate a function's arguments: \\max(a, b)"
    return ChainruleError(KIND, f"unexpected {got}", line, column, hint, text)


def _end(text: str) -> tuple[int, int]:
    lines = text.splitlines() or [""]
    return len(lines), len(lines[-1]) + 1


def _precheck(text: str, limits: Limits) -> None:
    """Bounds before lexing: the length, and bracket nesting counted without recursion."""
    if not isinstance(text, str):
        raise ChainruleError(KIND, "the answer must be text")
    if len(text) > limits.max_expression_length:
        raise ChainruleError.limit(
            "max_expression_length",
            limits.max_expression_length,
            f"the formula is {len(text)} characters long; the limit is "
            f"{limits.max_expression_length}",
            "shorten the formula or raise the limit (CHAINRULE_MAX_EXPRESSION_LENGTH)",
        )
    if not text.strip():
        raise ChainruleError(
            KIND, "the formula is empty", 1, 1, "write a formula, e.g. \\delta x^{T}"
        )
    depth = 0
    for index, ch in enumerate(text):
        depth += ch in "({["
        depth -= ch in ")}]"
        if depth > limits.max_depth:
            line = text.count("\n", 0, index) + 1
            column = index - (text.rfind("\n", 0, index) + 1) + 1
            raise ChainruleError.limit(
                "max_depth",
                limits.max_depth,
                f"brackets are nested more than {limits.max_depth} levels deep",
                "write a flatter formula",
                line,
                column,
                text,
            )


def parse_latex(
    text: str,
    limits: Limits = DEFAULT_LIMITS,
    names: Collection[str] | None = None,
    indices: Collection[str] | None = None,
    positions: Collection[str] = (),
) -> Program:
    """Read one LaTeX formula into a Program with one bare statement, or raise a
    ChainruleError (kind ``syntax_error``) with the position, a caret excerpt and a hint.

    ``names`` (optional) are the names the formula may use: they choose between spellings
    (``b_{2}`` -> ``b_2`` or ``b2``) and split runs of single letters (``xy`` -> x y).
    ``indices`` (optional) turns on index notation for chainrule's own index forms: with
    ``{"i", "j"}``, ``W_{ij}`` is an entry and ``\\sum_{k=1}^{n}`` sums over k (the entries are
    ``_entry``/``_isum`` calls that only ``verify/index_values.py`` evaluates). ``positions``
    (with ``indices``) are the names that may pick an entry: sizes and labels (x_{n}, z_{y + 1}).
    """
    _precheck(text, limits)
    source, text = text, _answer_part(text)
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(exc, text, source) from None
    try:
        _check_depth(tree, limits, text)
    except ChainruleError as exc:
        exc.kind = exc.kind if exc.kind == "limit" else KIND
        raise
    if indices is not None:
        bound = re.findall(r"\\sum_\{([a-z])=|\\leq ([a-z]) \\leq", text)
        indices = set(indices) | {a or b for a, b in bound}
    value = Converter(source, names, indices, positions).convert(tree.children[0])
    return Program((Statement(None, value, Pos(1, 1)),), source)


def _answer_part(text: str) -> str:
    r"""``\frac{\partial s}{\partial W} = \delta x^T`` -> the part after the last top-level
    '=', the rest blanked so that positions still point into what the student wrote."""
    depth, last = 0, -1
    for i, ch in enumerate(text):
        depth += ch in "{(["
        depth -= ch in "})]"
        if ch == "=" and depth == 0:
            last = i
    if last < 0 or not re.search(r"\\partial|\\nabla|∂|∇", text[:last]):
        return text
    return "".join(ch if ch == "\n" else " " for ch in text[: last + 1]) + text[last + 1 :]


def greek_names() -> dict[str, list[str]]:
    """``\\lambda`` -> [lam, lambda_, lmbda]: every ASCII name the printer writes that way."""
    out: dict[str, list[str]] = {}
    for name, macro in GREEK.items():
        out.setdefault(macro[1:], []).append(name)
    return out
