"""A LaTeX answer -> a typed program, given the names it may use and the shape it should have.

The elaborator types bottom-up, so 𝟏 (``\\mathbf{1} x^{T}``), I and a dimension used as a number
(``\\frac{1}{n}``) would be errors there. A shape-inference pass over the syntax tree
(``shape_inference.py``) sizes them from their context and from the expected shape of the
answer; the elaborator then uses those typed nodes and checks everything else as usual.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping

from ..errors import ChainruleError
from ..expr import nodes as N
from ..expr import shapes as S
from ..expr.program import TypedProgram
from ..limits import DEFAULT_LIMITS, Limits
from ..ops.indexing import OneHot
from .ast import Call, Name, Number, Program, Syntax, Unary, children
from .elaborate import _Elaborator
from .indexing import SMALLEST_SIZE
from .latex_reader import parse_latex
from .shape_inference import Mismatch, ShapeInference


def _walk(node: Syntax) -> list[Syntax]:
    out, stack = [], [node]
    while stack:
        n = stack.pop()
        out.append(n)
        stack.extend(children(n))
    return out


def size_hints(
    tree: Syntax,
    names: Mapping[str, N.Var],
    expected: S.Shape | None = None,
    labels: Mapping[str, str] | None = None,
) -> dict[int, N.Node]:
    """Typed nodes for the 𝟏s, Is, dimension names and a bare 0 whose sizes the context fixes."""
    dims = {str(s): s for v in names.values() for d in v.shape for s in d.free_symbols}

    def shape_of(name: str) -> S.Shape | None:
        if name in names:
            return names[name].shape
        return S.SCALAR if name in dims else None

    nodes = _walk(tree)
    hints: dict[int, N.Node] = {}
    inference = _infer(tree, shape_of, expected)
    if inference is not None:
        for node in nodes:
            shape = inference.resolved(node)
            if isinstance(node, Call) and node.func == "ones" and shape is not None:
                hints[id(node)] = N.Ones(shape)
            elif _is_basis(node) and shape is not None:
                hints[id(node)] = _basis(node, shape[0], names, labels or {})
            elif isinstance(node, Name) and node.id not in names and shape is not None:
                if node.id in dims:
                    hints[id(node)] = N.Const(dims[node.id])
                elif node.id == "I" and shape[0] == shape[1]:
                    hints[id(node)] = N.Identity(shape[0])
    zero = tree.operand if isinstance(tree, Unary) else tree
    if (
        isinstance(zero, Number)
        and float(zero.text) == 0
        and expected
        and not S.is_scalar(expected)
    ):
        hints[id(tree)] = N.Zeros(expected)  # 0 for a zero gradient of any shape
    return hints


def _is_basis(node: Syntax) -> bool:
    return isinstance(node, Call) and node.func == "onehot" and len(node.args) == 1


def _basis(node: Call, n: S.Dim, names: Mapping[str, N.Var], labels: Mapping[str, str]) -> N.Node:
    """e_y (a label's) or e_{3} (0-based 2 here), of the length its context fixes."""
    (arg,) = node.args
    if isinstance(arg, Name) and arg.id == str(n):  # e_{n}: the last, as x[-1]'s is shown
        return OneHot(n, ("at", n - 1))
    if isinstance(arg, Name):
        if arg.id not in labels:
            raise ChainruleError(
                "shape_mismatch",
                f"e_{{{arg.id}}} picks a basis vector by a class label, and {arg.id!r} is not one",
                hint="declare it as a label (kind label), or write e_{1}, e_{2}, … for a fixed entry",
            )
        return OneHot(n, ("label",), names[arg.id])
    k = int(arg.text)
    if (n.is_Integer and k >= int(n)) or (not n.is_Integer and k >= SMALLEST_SIZE):
        raise ChainruleError(
            "shape_mismatch",
            f"e_{{{k + 1}}} is outside a vector of {n} entries",
            hint="basis vectors count from 1, as displayed: e_{1} is the first entry",
        )
    return OneHot(n, ("at", k))


def _infer(
    tree: Syntax, shape_of: Callable[[str], S.Shape | None], expected: S.Shape | None
) -> ShapeInference | None:
    """Sizes from the answer's shape where possible; else from the formula alone, so that a
    wrongly shaped answer such as 𝟏ᵀW (a row where a column is asked) still types and is told
    its shape or layout, instead of "the size of 𝟏 cannot be inferred"."""
    for target in (expected, None) if expected is not None else (None,):
        for columns in (True, False):
            inference = ShapeInference(shape_of, ones_are_columns=columns)
            try:
                inference.run(tree, target)
            except Mismatch:
                continue  # the elaborator explains the conflict in its own words
            return inference
    return None


def elaborate_latex(
    text: str,
    names: Mapping[str, N.Var],
    expected: S.Shape | None = None,
    limits: Limits = DEFAULT_LIMITS,
    spellings: Collection[str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> TypedProgram:
    """Read and type a LaTeX answer over ``names`` (variables, intermediates, δs as typed Vars).

    ``expected`` (rows, cols) sizes 𝟏 and I where only the answer's shape can; ``spellings``
    (default: the names and the dimensions) choose among LaTeX spellings of a name.
    """
    dims = {str(s) for v in names.values() for d in v.shape for s in d.free_symbols}
    program = parse_latex(text, limits, names=set(spellings or (set(names) | dims)))
    tree = program.statements[0].value
    hints = size_hints(tree, names, expected, labels)
    elaborator = _Elaborator(program, dict(names), limits, hints)
    elaborator.labels = {k: v for k, v in (labels or {}).items() if k in names}
    elaborator.positions_from_1 = True  # type: ignore[attr-defined]
    try:
        return elaborator.run()
    except ChainruleError as exc:
        if exc.kind == "unknown_function" and exc.details.get("name") == "ones":
            exc.message = "the size of 𝟏 (a vector of ones) cannot be inferred here"
            exc.hint = "write the answer without 𝟏, or where its size follows from the product"
        elif exc.hint:  # the elaborator's hints speak the expression language; say it in LaTeX
            exc.hint = (
                re.sub(r"\.T\b", "^{T}", exc.hint).replace(" @ ", " ").replace(" * ", " \\circ ")
            )
        raise


__all__ = ["Program", "elaborate_latex", "size_hints"]
