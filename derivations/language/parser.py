"""Program text -> syntax tree, with lark; never eval.

Bounds are checked before the expensive or recursive step each protects: the text length before
lexing, the nesting depth (iteratively) before the tree is converted, which is recursive.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from ..errors import ChainruleError
from ..limits import DEFAULT_LIMITS, Limits
from . import hints
from .ast import (
    BinOp,
    Call,
    Keyword,
    Name,
    Number,
    Pos,
    Program,
    Statement,
    Syntax,
    TransposeOp,
    Unary,
)

_BINARY = {"add": "+", "sub": "-", "mul": "*", "div": "/", "matmul": "@", "pow": "**"}

_TOKEN_WORDS = {
    "NAME": "a name",
    "NUMBER": "a number",
    "LPAR": "'('",
    "RPAR": "')'",
    "PLUS": "'+'",
    "MINUS": "'-'",
    "STAR": "'*'",
    "SLASH": "'/'",
    "__ANON_0": "'@'",
    "EQUAL": "'='",
    "COMMA": "','",
    "SEMICOLON": "';'",
    "_NEWLINE": "a new line",
    "$END": "the end of the program",
}


@lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = (Path(__file__).with_name("grammar.lark")).read_text()
    return Lark(
        grammar,
        parser="lalr",
        propagate_positions=True,
        maybe_placeholders=False,
        keep_all_tokens=True,  # operator tokens carry the positions errors point at
    )


def _describe_expected(expected: set[str]) -> str:
    words = sorted({_TOKEN_WORDS.get(e, e.lower()) for e in expected})
    if len(words) > 6:
        return "an operand or operator"
    return ", ".join(words)


def _syntax_error(exc: UnexpectedInput, text: str) -> ChainruleError:
    line, column = exc.line, exc.column
    if isinstance(exc, UnexpectedCharacters):
        index = exc.pos_in_stream
        char = text[index] if index < len(text) else "?"
        hint = "names are letters, digits and '_'; operators are + - * / @ ** and .T"
        if char == "^":
            hint = "use ** for powers (x ** 2) and .T for the transpose"
        elif char == "'":
            hint = "write the transpose as x.T"
        elif char == "." and (dotted := hints.dot_hint(text, index)) is not None:
            start, hint = dotted
            if start < index:  # np.tanh: point at the prefix, which is what to delete
                prefix = text[start:index]
                message = f"unexpected {prefix + '.'!r}: functions have no module prefix"
                return ChainruleError("syntax", message, line, column - len(prefix), hint, text)
        elif index < len(text) and (special := hints.character_hint(text, index)) is not None:
            hint = special
        return ChainruleError("syntax", f"unexpected character {char!r}", line, column, hint, text)
    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        if tok.type == "$END":
            lines = text.splitlines() or [""]
            line, column = len(lines), len(lines[-1]) + 1
            return ChainruleError(
                "syntax",
                "the program ends in the middle of an expression",
                line,
                column,
                "check for an unclosed '(' or a trailing operator",
                text,
            )
        got = "a new line" if tok.type == "_NEWLINE" else repr(str(tok))
        expected = _describe_expected(set(exc.expected))
        hint = f"expected {expected} here"
        if tok.type == "RPAR":
            hint = "this ')' has no matching '(' or closes an empty expression"
        elif tok.type in ("NAME", "NUMBER", "LPAR") and tok.start_pos is not None:
            right = "(...)" if tok.type == "LPAR" else str(tok)
            hint = hints.juxtaposition_hint(text, tok.start_pos, right) or hint
        return ChainruleError("syntax", f"unexpected {got}", line, column, hint, text)
    if isinstance(exc, UnexpectedEOF):  # pragma: no cover - lalr reports UnexpectedToken($END)
        return ChainruleError("syntax", "unexpected end of program", line, column, None, text)
    return ChainruleError("syntax", str(exc).splitlines()[0], line, column, None, text)


def _pos(item: Tree | Token) -> Pos:
    if isinstance(item, Token):
        return Pos(item.line or 1, item.column or 1)
    return Pos(item.meta.line, item.meta.column)


def _check_depth(tree: Tree, limits: Limits, text: str) -> None:
    """Iterative depth check so that hostile nesting never reaches the recursive converter."""
    stack: list[tuple[Tree | Token, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > limits.max_depth:
            pos = _pos(node)
            raise ChainruleError.limit(
                "max_depth",
                limits.max_depth,
                f"the expression is nested more than {limits.max_depth} levels deep",
                "split it into named intermediates: z = ...; h = tanh(z)",
                pos.line,
                pos.column,
                text,
            )
        if isinstance(node, Tree):
            stack.extend((child, depth + 1) for child in node.children)


# A bound left out of a slice (x[a:], x[:b], X[:, j]).
_END = Call("_end", (), Pos(1, 1), Pos(1, 1), internal=True)


def _convert(node: Tree | Token) -> Syntax:
    if isinstance(node, Token):  # pragma: no cover - grammar wraps every token
        raise AssertionError(node)
    kind = node.data
    pos = _pos(node)
    if kind == "number":
        return Number(str(node.children[0]), pos)
    if kind == "name":
        return Name(str(node.children[0]), pos)
    if kind == "atom":  # a parenthesised expression: "(" expr ")"
        return _convert(node.children[1])
    if kind in _BINARY:
        left, op, right = node.children
        return BinOp(_BINARY[kind], _convert(left), _convert(right), _pos(op))
    if kind in ("neg", "pos"):
        return Unary("-" if kind == "neg" else "+", _convert(node.children[1]), pos)
    if kind == "transpose":
        return TransposeOp(_convert(node.children[0]), _pos(node.children[1]))
    if kind == "index":  # x[i], X[i, j], x[a:b], X[:, j]: an internal call, see indexing.py
        parts = tuple(_convert(c) for c in node.children if isinstance(c, Tree))
        bracket = next(c for c in node.children if isinstance(c, Token) and c.type == "LSQB")
        return Call("_index", parts, pos, _pos(bracket), internal=True)
    if kind == "span":
        colon = next(i for i, c in enumerate(node.children) if isinstance(c, Token))
        lower = [_convert(c) for c in node.children[:colon]]
        upper = [_convert(c) for c in node.children[colon + 1 :]]
        bounds = ((lower or [_END])[0], (upper or [_END])[0])
        return Call("_span", bounds, _pos(node.children[colon]), pos, internal=True)
    if kind == "call":
        return _call(node, pos)
    raise AssertionError(f"unhandled syntax node {kind}")  # pragma: no cover


def _call(node: Tree, pos: Pos) -> Call:
    """f(a, b, axis=1): positional arguments first, each keyword once (checked here, where the
    positions are; which keywords a function takes is the elaborator's business)."""
    name_token = node.children[0]
    args: list[Syntax] = []
    keywords: list[Keyword] = []
    arg_trees = [c for c in node.children[1:] if isinstance(c, Tree)]
    for tree in arg_trees[0].children if arg_trees else ():
        if not isinstance(tree, Tree):
            continue  # a ',' token
        if tree.data != "keyword":
            if keywords:
                raise _KeywordError(
                    "a positional argument follows a keyword argument",
                    _pos(tree),
                    f"put the keyword last: {name_token}(x, {keywords[0].name}=...)",
                )
            args.append(_convert(tree))
            continue
        key, _, value = tree.children
        if any(k.name == str(key) for k in keywords):
            raise _KeywordError(
                f"the keyword {str(key)!r} is given twice", _pos(key), "give each keyword once"
            )
        keywords.append(Keyword(str(key), _convert(value), _pos(key)))
    return Call(str(name_token), tuple(args), pos, _pos(name_token), keywords=tuple(keywords))


class _KeywordError(Exception):
    """Raised inside the recursive conversion; parse() words it with the source text."""

    def __init__(self, message: str, pos: Pos, hint: str) -> None:
        super().__init__(message)
        self.message, self.pos, self.hint = message, pos, hint


def parse(text: str, limits: Limits = DEFAULT_LIMITS) -> Program:
    """Parse program text into a syntax tree, or raise a ChainruleError naming the position."""
    if not isinstance(text, str):
        raise ChainruleError("syntax", "the program must be text")
    if len(text) > limits.max_expression_length:
        raise ChainruleError.limit(
            "max_expression_length",
            limits.max_expression_length,
            f"the program is {len(text)} characters long; the limit is "
            f"{limits.max_expression_length}",
            "shorten the program or raise the limit (CHAINRULE_MAX_EXPRESSION_LENGTH)",
        )
    surrogate = re.search("[\ud800-\udfff]", text)
    if surrogate is not None:  # not Unicode text: it could not even be written out as UTF-8
        index = surrogate.start()
        raise ChainruleError(
            "syntax",
            f"the program contains a lone surrogate {text[index]!r}, which is not valid Unicode",
            text.count("\n", 0, index) + 1,
            index - (text.rfind("\n", 0, index) + 1) + 1,
            "send the program as valid UTF-8 text (a surrogate is only half of a character)",
        )
    if not text.strip():
        raise ChainruleError(
            "syntax",
            "the program is empty",
            1,
            1,
            "write an expression, e.g. u.T @ tanh(W @ x + b)",
        )
    # A cheap pre-check on statements and bracket depth: the parser's tree for thousands of
    # statements or nested brackets costs memory before the precise checks could run.
    separators = text.count(";") + text.count("\n")
    if separators + 1 > limits.max_statements * 4:
        raise _too_many_statements(separators + 1, limits, text)
    depth = deepest = 0
    for ch in text:
        if ch == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif ch == ")":
            depth -= 1
    if deepest > limits.max_depth:
        index = depth = 0
        for position, ch in enumerate(text):
            depth += ch == "("
            depth -= ch == ")"
            if depth > limits.max_depth:
                index = position
                break
        line = text.count("\n", 0, index) + 1
        column = index - (text.rfind("\n", 0, index) + 1) + 1
        raise ChainruleError.limit(
            "max_depth",
            limits.max_depth,
            f"brackets are nested more than {limits.max_depth} levels deep",
            "split the expression into named intermediates: z = ...; h = tanh(z)",
            line,
            column,
            text,
        )
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(exc, text) from None
    statements_trees = [c for c in tree.children if isinstance(c, Tree)]
    if len(statements_trees) > limits.max_statements:
        raise _too_many_statements(len(statements_trees), limits, text)
    _check_depth(tree, limits, text)
    statements = []
    try:
        for st in statements_trees:
            if st.data == "assign":
                target, _, value = st.children
                statements.append(Statement(str(target), _convert(value), _pos(st)))
            else:
                statements.append(Statement(None, _convert(st.children[0]), _pos(st)))
    except _KeywordError as exc:
        raise ChainruleError(
            "syntax", exc.message, exc.pos.line, exc.pos.column, exc.hint, text
        ) from None
    return Program(tuple(statements), text)


def _too_many_statements(count: int, limits: Limits, text: str) -> ChainruleError:
    return ChainruleError.limit(
        "max_statements",
        limits.max_statements,
        f"the program has {count} statements; the limit is {limits.max_statements}",
        "derive a smaller program or raise the limit (CHAINRULE_MAX_STATEMENTS)",
        source=text,
    )
