"""The untyped syntax tree: what the user wrote, with positions, before shapes are known."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Pos:
    line: int
    column: int


@dataclass(frozen=True)
class Name:
    id: str
    pos: Pos


@dataclass(frozen=True)
class Number:
    text: str
    pos: Pos


@dataclass(frozen=True)
class BinOp:
    op: str  # one of + - * / @ **
    left: Syntax
    right: Syntax
    pos: Pos
    # A product written by juxtaposition (LaTeX ``\delta x^T``, ``2 W``): op is '@', and the
    # elaborator reads it as scaling when either side is a scalar.
    implicit: bool = False


@dataclass(frozen=True)
class Unary:
    op: str  # '-' or '+'
    operand: Syntax
    pos: Pos


@dataclass(frozen=True)
class TransposeOp:
    operand: Syntax
    pos: Pos


@dataclass(frozen=True)
class Keyword:
    """A keyword argument, ``axis=1``: only the calls that document one accept it."""

    name: str
    value: Syntax
    pos: Pos


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple[Syntax, ...]
    pos: Pos
    func_pos: Pos
    # Read from LaTeX: may name a function only results use (𝟙[z > 0] is gt, sign), which
    # the expression language does not offer its users.
    internal: bool = False
    # Keyword arguments after the positional ones (sum(X, axis=0)); not among children().
    keywords: tuple[Keyword, ...] = ()

    def keyword(self, name: str) -> Keyword | None:
        return next((k for k in self.keywords if k.name == name), None)


Syntax = Name | Number | BinOp | Unary | TransposeOp | Call


@dataclass(frozen=True)
class Statement:
    target: str | None  # None for a bare expression
    value: Syntax
    pos: Pos


@dataclass(frozen=True)
class Program:
    statements: tuple[Statement, ...]
    source: str


def children(node: Syntax) -> tuple[Syntax, ...]:
    if isinstance(node, BinOp):
        return (node.left, node.right)
    if isinstance(node, Unary | TransposeOp):
        return (node.operand,)
    if isinstance(node, Call):
        return node.args
    return ()
