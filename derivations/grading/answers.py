"""Student text -> a typed node over the problem's allowed names; never eval.

Both formats go through grammars (the expression language's lark grammar, or the LaTeX reader)
with the library's limits, then through the same elaborator as programs, so a typo or a shape
error comes back with its line, column and a hint. The names an answer may use are the
problem's variables, its intermediates, the δs the derivation defines and the instructor's
definitions; each is a typed ``Var`` the elaborator knows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..errors import ChainruleError
from ..expr import nodes as N
from ..expr import shapes as S
from ..language.ast import Program
from ..language.elaborate import _Elaborator, declare
from ..language.parser import parse
from ..language.roles import labels_of
from ..limits import DEFAULT_LIMITS, Limits

FORMATS = ("expression", "latex")


def parse_answer(text: str, answer_format: str, limits: Limits) -> Program:
    """The untyped tree of an answer in either format (ChainruleError on a syntax error)."""
    if answer_format == "expression":
        return parse(text, limits)
    if answer_format == "latex":
        try:
            from ..language.latex_reader import parse_latex
        except ImportError:  # the reader is built on another branch
            raise ChainruleError(
                "unsupported_format",
                "LaTeX answers are not available in this build",
                hint='send answer_format "expression", e.g. delta @ x.T',
            ) from None
        return parse_latex(text, limits)
    raise ChainruleError(
        "unsupported_format",
        f"unknown answer format {answer_format!r}",
        hint="use " + " or ".join(repr(f) for f in FORMATS),
    )


def _single_expression(program: Program) -> object:
    statements = program.statements
    if len(statements) != 1:
        second = statements[1]
        raise ChainruleError(
            "syntax",
            "an answer is one expression, not several statements",
            second.pos.line,
            second.pos.column,
            "write the answer as one expression, e.g. delta @ x.T (the problem defines delta)",
            program.source,
        )
    return statements[0].value


def elaborate_against(
    text: str,
    variables: Mapping[str, Sequence[str | int]],
    names: Mapping[str, N.Var],
    limits: Limits = DEFAULT_LIMITS,
    answer_format: str = "expression",
    expected: S.Shape | None = None,
) -> N.Node:
    """Type an answer (or a definition) against the declared variables and the allowed names.

    LaTeX goes through the reader's typing (``elaborate_latex``), which sizes 𝟏, I and a bare
    0 from the expected shape and reads juxtaposition by the operands' shapes."""
    if not isinstance(text, str):
        raise ChainruleError("syntax", "the answer must be text", hint="send a string")
    if answer_format == "latex":
        from ..language.latex_typing import elaborate_latex

        declare(variables, limits)  # the same declaration errors as for expressions
        labels = {k: v for k, v in labels_of(variables).items() if k in names}
        return elaborate_latex(text, dict(names), expected, limits, labels=labels).output
    program = parse_answer(text, answer_format, limits)
    syntax = _single_expression(program)
    inputs = declare(variables, limits)
    allowed_inputs = {k: v for k, v in inputs.items() if k in names}
    elaborator = _Elaborator(program, allowed_inputs, limits)
    elaborator.labels = {k: v for k, v in labels_of(variables).items() if k in allowed_inputs}
    elaborator.intermediates = {k: v for k, v in names.items() if v.role != "input"}
    elaborator.derivative_functions = True  # sign(x - 1), as a diagnosis may name it
    return elaborator.expr(syntax)  # type: ignore[arg-type]
