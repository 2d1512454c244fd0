"""The op reference, generated from the language's op tables.

Every operator and every function a user may call (the op registry's ``CALLS``, each with
its ``doc``) gets a row: its syntax, what it
means, and its derivative rule, which is not written here but derived from a small program and
verified three ways at build time. ``tests/site`` fails when an op has no row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

from ..ops.registry import CALLS
from .data import derivation, require_passed
from .derivation_html import math
from .templates import Links, page, table

S: list = []
N = ["n"]


@dataclass(frozen=True)
class OpDoc:
    name: str
    syntax: str
    meaning: str
    program: str
    variables: dict[str, list] = field(hash=False)


OPERATORS = ["+", "-", "*", "/", "@", "**", ".T", "unary -"]

OPS: list[OpDoc] = [
    OpDoc("+", "a + b", "elementwise sum; scalars broadcast", "x + y", {"x": S, "y": S}),
    OpDoc("-", "a - b", "elementwise difference", "x - y", {"x": S, "y": S}),
    OpDoc("*", "a * b", "elementwise (Hadamard) product ∘", "x * y", {"x": S, "y": S}),
    OpDoc("/", "a / b", "elementwise quotient", "x / y", {"x": S, "y": S}),
    OpDoc("@", "A @ B", "matrix product; vectors are columns",
          "u.T @ W @ v", {"u": N, "W": ["n", "m"], "v": ["m"]}),
    OpDoc("**", "a ** 3", "elementwise power, scalar exponent", "x ** 3", {"x": S}),
    OpDoc(".T", "A.T", "transpose", "v.T @ W.T @ u", {"u": N, "W": ["n", "m"], "v": ["m"]}),
    OpDoc("unary -", "-a", "negation", "-(u.T @ x)", {"u": N, "x": N}),
    OpDoc("[ ]", "x[i], X[i, j], X[:, j], x[a:b]", "entries, columns, rows and slices, 0-based"
          " (x[-1] is the last); z[y] for a class label y", "x[0] * x[-1] + sum(W[:, 1])",
          {"x": N, "W": ["n", "m"]}),
    OpDoc("onehot", "onehot(i, n)", "e_i of length n (e_y for a class label y)",
          "u.T @ onehot(1, n)", {"u": N}),
    OpDoc("broadcast", "W @ X + b", "a vector (n,) meets an (n, B) matrix column by column "
          "(b 𝟏ᵀ), a row c.T meets it row by row (𝟏 cᵀ)", "sum(tanh(W @ X + b))",
          {"W": ["n", "m"], "X": ["m", "B"], "b": N}),
    OpDoc("axis=", "sum(X, axis=1)", "sum, mean, logsumexp, softmax, log_softmax or max along "
          "one axis (0: down the rows, 1: across the columns), keeping it (keepdims)",
          "u.T @ logsumexp(X, axis=1)", {"u": N, "X": ["n", "B"]}),
    OpDoc("softmax axis", "softmax(X, axis=1)", "the softmax of each row (softmax_row), as in "
          "attention", "sum(softmax(X, axis=1) * Y)", {"X": ["n", "B"], "Y": ["n", "B"]}),
    OpDoc("max axis", "max(X, axis=0)", "the largest entry of each column; the gradient goes "
          "to the first maximum", "max(X, axis=0) @ v", {"X": ["n", "B"], "v": ["B"]}),
]  # fmt: skip
# Every function and call a user may write, from the op registry (each spec's ``doc``).
OPS += [
    OpDoc(name, spec.doc.syntax, spec.doc.meaning, spec.doc.program, dict(spec.doc.variables))
    for name, spec in CALLS.items()
    if spec.doc is not None
]


def _row(op: OpDoc) -> list[str]:
    where = f"op reference: {op.name}"
    variables = tuple((k, tuple(v)) for k, v in op.variables.items())
    d = derivation(op.program, variables, tuple(op.variables))
    require_passed(d, where)
    rules = "".join(
        f'<div class="eq">{math(item["equation"], where, True)}</div>' for item in d["derivatives"]
    )
    example = math(d["program_latex"][-1], where)
    return [
        f"<code>{escape(op.syntax)}</code>",
        escape(op.meaning),
        f"{example}<br><code>{escape(op.program)}</code>",
        rules + '<span class="passed">verified</span>',
    ]


def ops_page(links: Links) -> str:
    rows = [_row(op) for op in OPS]
    body = (
        "<h1>Op reference</h1>"
        "<p>Every operator and function of the expression language. The derivative rule in each "
        "row is not typed in: it is derived from the example program when this page is built, "
        'and <a href="' + escape(links.href("verification")) + '">verified three ways</a> '
        "(finite differences, the independent backprop engine and exact SymPy differentiation). "
        "Scalars show the scalar rule; the same rule applies entry by entry to arrays.</p>"
        + table(["syntax", "meaning", "example", "derivative rule"], rows, "ops")
    )
    return page("Op reference", body, links, "ops")
