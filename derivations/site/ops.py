"""The op reference, generated from the language's op tables.

Every operator and every function a user may call (``language.elaborate.USER_FUNCTIONS``,
which is built from the elementwise table and the reductions) gets a row: its syntax, what it
means, and its derivative rule, which is not written here but derived from a small program and
verified three ways at build time. ``tests/site`` fails when an op has no row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

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
    OpDoc("exp", "exp(a)", "elementwise eˣ", "exp(x)", {"x": S}),
    OpDoc("log", "log(a)", "elementwise natural logarithm", "log(x)", {"x": S}),
    OpDoc("sqrt", "sqrt(a)", "elementwise square root", "sqrt(x)", {"x": S}),
    OpDoc("abs", "abs(a)", "elementwise |x|", "abs(x)", {"x": S}),
    OpDoc("sin", "sin(a)", "elementwise sine", "sin(x)", {"x": S}),
    OpDoc("cos", "cos(a)", "elementwise cosine", "cos(x)", {"x": S}),
    OpDoc("tanh", "tanh(a)", "elementwise hyperbolic tangent", "tanh(x)", {"x": S}),
    OpDoc("sigmoid", "sigmoid(a)", "elementwise logistic σ(x) = 1/(1 + e⁻ˣ)", "sigmoid(x)", {"x": S}),
    OpDoc("relu", "relu(a)", "elementwise max(x, 0)", "relu(x)", {"x": S}),
    OpDoc("leaky_relu", "leaky_relu(a, alpha)", "x for x > 0, αx otherwise",
          "leaky_relu(x, alpha)", {"x": S, "alpha": S}),
    OpDoc("softplus", "softplus(a)", "elementwise log(1 + eˣ)", "softplus(x)", {"x": S}),
    OpDoc("max", "max(a, b)", "elementwise maximum (ties route to a)", "max(x, y)", {"x": S, "y": S}),
    OpDoc("min", "min(a, b)", "elementwise minimum (ties route to a)", "min(x, y)", {"x": S, "y": S}),
    OpDoc("sum", "sum(A)", "sum of every entry", "sum(x)", {"x": N}),
    OpDoc("mean", "mean(A)", "mean of every entry", "mean(x)", {"x": N}),
    OpDoc("dot", "dot(a, b)", "inner product of two vectors", "dot(x, y)", {"x": N, "y": N}),
    OpDoc("outer", "outer(a, b)", "outer product a bᵀ",
          "u.T @ outer(x, y) @ v", {"u": N, "x": N, "y": ["m"], "v": ["m"]}),
    OpDoc("norm2", "norm2(A)", "Euclidean (vector) or Frobenius (matrix) norm", "norm2(x)", {"x": N}),
    OpDoc("trace", "trace(A)", "sum of the diagonal", "trace(W @ A)", {"W": ["n", "n"], "A": ["n", "n"]}),
    OpDoc("det", "det(A)", "determinant", "det(A)", {"A": ["n", "n"]}),
    OpDoc("logdet", "logdet(A)", "log |det A|", "logdet(A)", {"A": ["n", "n"]}),
    OpDoc("inv", "inv(A)", "matrix inverse", "u.T @ inv(A) @ v", {"u": N, "A": ["n", "n"], "v": N}),
    OpDoc("diag", "diag(v)", "the diagonal matrix with v on its diagonal",
          "u.T @ diag(x) @ v", {"u": N, "x": N, "v": N}),
    OpDoc("softmax", "softmax(a)", "exp(a) / sum(exp(a)) of a vector", "softmax(x)", {"x": N}),
    OpDoc("log_softmax", "log_softmax(a)", "log of the softmax, computed stably", "log_softmax(x)", {"x": N}),
    OpDoc("logsumexp", "logsumexp(a)", "log Σ exp(aᵢ), computed stably", "logsumexp(x)", {"x": N}),
    OpDoc("concat", "concat(a, b, …)", "stack vectors into one", "concat(x, y)", {"x": N, "y": ["m"]}),
]  # fmt: skip


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
