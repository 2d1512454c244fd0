"""The node classes' specs: one ``NodeSpec`` per class of ``expr.nodes`` (and the classes that
are defined here, next to their spec, such as ``Cumsum``).

Structural ops (leaves, the arithmetic operators, @, ᵀ, function application) are each
printer's own grammar; the others carry their renderings, meanings and builders here. The
derivative rules are in ``calculus/rules.py`` and the engine's gates in ``engine/gates.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from ..expr import nodes as N
from ..expr import shapes as S
from .axisops import AXIS_SPECS
from .functions import magnitude
from .indexing import INDEX_SPECS
from .normalization import NORMALIZATION_SPECS
from .products import PRODUCT_SPECS
from .spec import ATOM, MUL, POW, Doc, Example, NodeSpec

Sc: list[str] = []
Nv = ["n"]
X = {"x": ("n",)}
WV = {"W": ("n", "m"), "v": ("m",)}
A = {"A": ("n", "n")}


def _size(n: Any) -> int:
    """A size argument's value (a 1×1 array in the reference evaluators) as an int."""
    return int(round(float(np.asarray(n).reshape(-1)[0])))


def _column(x: Any) -> Any:
    return np.array([[float(x)]])


def _lse(v: Any) -> Any:
    m = np.max(v)
    return np.array([[m + np.log(np.sum(np.exp(v - m)))]])


# -- builders (the elaborator's checks for each call) --------------------------------------------


def _vector(cls: type[N.Node], name: str) -> Any:
    def build(e: Any, args: list[N.Node], syn: Any) -> N.Node:
        e.need_vector(name, args[0], syn)
        return cls(args[0])

    return build


def _square(cls: type[N.Node], name: str) -> Any:
    def build(e: Any, args: list[N.Node], syn: Any) -> N.Node:
        e.need_square(name, args[0], syn)
        return cls(args[0])

    return build


def _reduce(cls: type[N.Node]) -> Any:
    """sum/mean of a scalar is the scalar itself."""

    def build(e: Any, args: list[N.Node], syn: Any) -> N.Node:
        return args[0] if args[0].is_scalar else cls(args[0])

    return build


def _build_concat(e: Any, args: list[N.Node], syn: Any) -> N.Node:
    for a in args:
        e.need_vector("concat", a, syn)
    return args[0] if len(args) == 1 else N.Concat(*args)


# -- printed forms ---------------------------------------------------------------------------


def _call(head: str, prec: int = ATOM) -> Any:
    r"""head\left(x\right): the LaTeX of a named op of one operand."""

    def latex(p: Any, node: N.Node) -> tuple[str, int]:
        return rf"{head}\left({p.doprint(node.children[0])}\right)", prec

    return latex


def _inverse_latex(p: Any, node: N.Node) -> tuple[str, int]:
    return f"{p.wrap(node.children[0], ATOM)}^{{-1}}", POW


def _sum_latex(p: Any, node: N.Node) -> tuple[str, int]:
    return rf"\sum {p.wrap(node.children[0], POW)}", MUL


def _norm_latex(p: Any, node: N.Node) -> tuple[str, int]:
    (a,) = node.children
    sub = "F" if S.is_matrix(a.shape) else "2"
    return rf"\left\lVert {p.doprint(a)} \right\rVert_{{{sub}}}", ATOM


def _concat_latex(p: Any, node: N.Node) -> tuple[str, int]:
    rows = r" \\ ".join(p.doprint(c) for c in node.children)
    return rf"\begin{{bmatrix}} {rows} \end{{bmatrix}}", ATOM


def _slice_latex(p: Any, node: N.Node) -> tuple[str, int]:
    start, stop = node.params
    inner = p.doprint(node.children[0])
    return rf"\left[{inner}\right]_{{{sp.latex(start + 1)}:{sp.latex(stop)}}}", ATOM


def _norm_code(p: Any, node: N.Node) -> tuple[str, int]:
    # sqrt(sum(x*x)) rather than np.linalg.norm, which would drop a complex-step perturbation.
    inner = p.wrap(node.children[0], MUL + 1)
    return p.call("sqrt", p.call("op:Sum", f"{inner} * {inner}")), ATOM


def _slice_code(p: Any, node: N.Node) -> tuple[str, int]:
    start, stop = node.params
    if sp.simplify(stop - start) == 1:  # one row: a row (1-D) or an entry, as the code keeps them
        return f"{p.wrap(node.children[0], ATOM)}[{p.dim(start)}]", ATOM
    return f"{p.wrap(node.children[0], ATOM)}[{p.dim(start)}:{p.dim(stop)}]", ATOM


def _slice_label(f: Any, params: tuple, kids: list) -> tuple[str, int]:
    text = f"{f.wrap(kids[0], f.POSTFIX - 1)}[{f.number(params[0])}:{f.number(params[1])}]"
    return text, f.POSTFIX


# -- index forms (entry (r, c) as a SymPy scalar; the builder supplies indices and sums) ------------


def _diag_index(b: Any, node: N.Node, r: Any, c: Any) -> Any:
    return sp.KroneckerDelta(r, c) * b.entry(node.children[0], r, sp.Integer(1))


def _diagpart_index(b: Any, node: N.Node, r: Any, c: Any) -> Any:
    return b.entry(node.children[0], r, r)


def _slice_index(b: Any, node: N.Node, r: Any, c: Any) -> Any:
    """Row i of a block starting at row s is row s + i of the whole: [g]_{d+i}."""
    start, _ = node.params
    return b.entry(node.children[0], r + start, c)


def _sum_index(b: Any, node: N.Node, r: Any, c: Any) -> Any:
    """Σ over every entry, written out so that basis seeds contract: Σ(e_i ∘ y) = y_i."""
    (a,) = node.children
    k = b.fresh()
    if S.is_matrix(a.shape):
        m = b.fresh()
        body, inner = b.parts(b.entry(a, k, m))
        limits = [(k, 1, a.shape[0]), (m, 1, a.shape[1])]
    elif S.is_row(a.shape):
        body, inner = b.parts(b.entry(a, sp.Integer(1), k))
        limits = [(k, 1, a.shape[1])]
    else:
        body, inner = b.parts(b.entry(a, k, sp.Integer(1)))
        limits = [(k, 1, a.shape[0])]
    result = b.contract(body, [*inner, *limits])
    return result if not result.has(sp.Sum) or b.has_delta(a) else b.opaque(node, r, c)


def _trace_index(b: Any, node: N.Node, r: Any, c: Any) -> Any:
    (a,) = node.children
    if not b.has_delta(a):
        return b.opaque(node, r, c)
    k = b.fresh()
    body, inner = b.parts(b.entry(a, k, k))
    return b.contract(body, [*inner, (k, 1, a.shape[0])])


# -- exact meanings on explicit SymPy matrices ----------------------------------------------------


def _x_inverse(ex: Any, node: N.Node) -> sp.Matrix:
    # The evaluator decides how: adjugate over determinant for a matrix of symbols, a solve at
    # each point for a compound one (verify/implicit.py).
    return ex.inverse(node)


def _x_logdet(ex: Any, node: N.Node) -> sp.Matrix:
    # logdet is log|det|, as the language defines it: negative determinants are in its domain.
    return sp.Matrix([[sp.log(magnitude(ex.determinant(node)))]])


def _x_softmax(ex: Any, node: N.Node) -> sp.Matrix:
    v = ex.evaluate(node.children[0])
    total = sum(sp.exp(e) for e in v)
    return v.applyfunc(lambda e: sp.exp(e) / total)


def _x_log_softmax(ex: Any, node: N.Node) -> sp.Matrix:
    v = ex.evaluate(node.children[0])
    lse = sp.log(sum(sp.exp(e) for e in v))
    return v.applyfunc(lambda e: e - lse)


def _x_diagpart(ex: Any, node: N.Node) -> sp.Matrix:
    m = ex.evaluate(node.children[0])
    return sp.Matrix([m[i, i] for i in range(m.shape[0])])


def _x_mean(ex: Any, node: N.Node) -> sp.Matrix:
    m = ex.evaluate(node.children[0])
    return sp.Matrix([[sum(m) / len(m)]])


def _x_slice(ex: Any, node: N.Node) -> sp.Matrix:
    start, stop = (ex.dim(p) for p in node.params)
    return ex.evaluate(node.children[0])[start:stop, :]


def _child(ex: Any, node: N.Node) -> sp.Matrix:
    return ex.evaluate(node.children[0])


def _scalar(value: Any) -> sp.Matrix:
    return sp.Matrix([[value]])


# -- cumsum: a node class defined next to its spec ---------------------------------------------------


class Cumsum(N.Unary):
    """Running sums down the rows: entry i is x₁ + … + xᵢ (of each column, for a matrix)."""

    __slots__ = ()


def _build_cumsum(e: Any, args: list[N.Node], syn: Any) -> N.Node:
    (a,) = args
    if a.is_scalar or S.is_row(a.shape):
        raise e.shape_error(
            f"cumsum needs a column vector or a matrix, got {S.describe(a.shape)}",
            syn.func_pos,
            "cumsum runs down the rows: write cumsum(x) for a vector x (no transpose)",
            a,
        )
    return Cumsum(a)


def _cumsum_index(b: Any, node: N.Node, r: Any, c: Any) -> Any:
    """cumsum(X)_{rc} = Σ_k 𝟙[r ≥ k] X_{kc}: written out where X holds 𝟏, I or a basis vector
    (whose size the entry could not show; a delta contracts: cumsum(I)_{ij} = 𝟙[i ≥ j]), else
    the entry of the printed op, (cumsum(x))_i."""
    (a,) = node.children
    if not any(isinstance(n, N.Ones | N.Identity | N.Basis) for n in N.walk(a)):
        return b.opaque(node, r, c)
    k = b.fresh()
    body, inner = b.parts(b.entry(a, k, c))
    return b.contract(b.indicator(r, k, True) * body, [*inner, (k, 1, a.shape[0])])


def _x_cumsum(ex: Any, node: N.Node) -> sp.Matrix:
    m = ex.evaluate(node.children[0])
    return sp.Matrix(*m.shape, lambda i, j: sum(m[k, j] for k in range(i + 1)))


# -- trees for ops only derivatives produce --------------------------------------------------------


def _tree_vars() -> dict[str, N.Var]:
    n = S.dim("n")
    return {
        "x": N.Var("x", S.column(n)),
        "y": N.Var("y", S.column(n)),
        "A": N.Var("A", (n, n)),
    }


def _tree(build: Any, *names: str) -> Example:
    def tree() -> tuple[N.Node, dict[str, N.Var]]:
        v = _tree_vars()
        return build(v), {k: v[k] for k in names}

    return Example(tree=tree)


_n = S.dim("n")

_STRUCTURAL = [
    NodeSpec(N.Var, structural=True, rational=True, label="var", trace="input",
             examples=(Example("x.T @ y", {"x": ("n",), "y": ("n",)}, True),)),
    NodeSpec(N.Const, structural=True, rational=True, label="const", trace="const",
             examples=(Example("sum(3 * x + 2)", X),)),
    NodeSpec(N.Zeros, structural=True, rational=True, label="zeros", trace="zeros",
             examples=(_tree(lambda v: N.Sum(N.Add(N.Mul(v["x"], v["x"]), N.Zeros(v["x"].shape))),
                             "x"),)),
    NodeSpec(N.Ones, structural=True, rational=True, label="ones", trace="ones", name="ones", size_args=True,
             build=lambda e, args, syn: N.Ones(S.column(args[0].value)), usage="ones(n)",
             value=lambda n: np.ones((_size(n), 1)),
             doc=Doc("ones(n)", "the vector 𝟏 of n ones (n a dimension or a positive integer)",
                     "ones(n).T @ x / n", {"x": Nv}),
             examples=(Example("ones(n).T @ (x * x) / n", X, True),
                       Example("sum(x) / n + x.T @ ones(n) * m", {**X, "y": ("m",)}, True),
                       Example("(ones(3) * a).T @ y", {"a": (), "y": (3,)}, True),
                       _tree(lambda v: N.MatMul(N.Transpose(N.Ones(v["x"].shape)),
                                                N.Mul(v["x"], v["x"])), "x"),)),
    NodeSpec(N.Identity, structural=True, rational=True, label="identity", trace="identity", name="eye",
             size_args=True, build=lambda e, args, syn: N.Identity(args[0].value),
             usage="eye(n)", value=lambda n: np.eye(_size(n)),
             doc=Doc("eye(n)", "the n×n identity matrix I", "x.T @ (A + eye(n)) @ x",
                     {"x": Nv, "A": ["n", "n"]}),
             examples=(Example("x.T @ (A - 2 * eye(n)) @ x", {**X, **A}, True),
                       _tree(lambda v: N.MatMul(N.Transpose(v["x"]),
                                                N.MatMul(N.Identity(_n), v["y"])), "x", "y"),)),
    # Basis only appears in index forms (seeded reverse passes).
    NodeSpec(N.Basis, structural=True, rational=True, label="basis", trace="basis"),
    NodeSpec(N.Add, structural=True, rational=True, label="add", trace="add", simplify="add",
             examples=(Example("x + y", {"x": ("n",), "y": ("n",)}),)),
    NodeSpec(N.Neg, structural=True, rational=True, label="neg", trace="neg", simplify="neg",
             examples=(Example("-(W @ v)", WV),)),
    NodeSpec(N.Mul, structural=True, rational=True, label="mul", trace="mul", simplify="mul",
             examples=(Example("sum(x * y * x) + a * c",
                               {"x": ("n",), "y": ("n",), "a": (), "c": ()}, True),)),
    NodeSpec(N.Div, structural=True, rational=True, label="div", trace="div", simplify="div",
             examples=(Example("sum(x / y) + a / c",
                               {"x": ("n",), "y": ("n",), "a": (), "c": ()}, True),)),
    # Apply: rational only as pow with an integer exponent (grading/evaluate.py decides).
    NodeSpec(N.Apply, structural=True, rational=True, label="apply", trace="apply",
             examples=(Example("sum(tanh(x) * sigmoid(y))", {"x": ("n",), "y": ("n",)}, True),)),
    NodeSpec(N.MatMul, structural=True, rational=True, label="matmul", trace="matmul", simplify="matmul",
             examples=(Example("x.T @ W @ v", {"x": ("n",), **WV}, True), Example("W @ v", WV))),
    NodeSpec(N.Transpose, structural=True, rational=True, label="transpose", trace="transpose", simplify="transpose",
             examples=(Example("sum(W.T @ x)", {"W": ("n", "m"), "x": ("n",)}),)),
]  # fmt: skip

_OPS = [
    NodeSpec(N.Sum, rational=True, simplify="sum_", syntax_shape="scalar", name="sum", build=_reduce(N.Sum), latex=_sum_latex, code={"numpy": "np.sum({0})"},
             index=_sum_index, exact=lambda ex, node: _scalar(sum(_child(ex, node))),
             value=lambda x: _column(np.sum(x)), label="sum", plain_word=True,
             latex_words=("sum",), doc=Doc("sum(A)", "sum of every entry", "sum(x)", {"x": Nv}),
             examples=(Example("sum(W)", {"W": ("n", "m")}),)),
    NodeSpec(N.Mean, rational=True, syntax_shape="scalar", name="mean", build=_reduce(N.Mean), latex=_call(r"\operatorname{mean}"),
             code={"numpy": "np.mean({0})"}, index="opaque",
             exact=_x_mean,
             value=lambda x: _column(np.mean(x)), label="mean", plain_word=True,
             latex_words=("mean",), doc=Doc("mean(A)", "mean of every entry", "mean(x)", {"x": Nv}),
             examples=(Example("mean(W * W)", {"W": ("n", "m")}, True),)),
    NodeSpec(N.Norm2, syntax_shape="scalar", name="norm2", build=lambda e, args, syn: N.Norm2(args[0]), latex=_norm_latex,
             code={"numpy": _norm_code}, index="opaque",
             exact=lambda ex, node: _scalar(sp.sqrt(sum(e**2 for e in _child(ex, node)))),
             value=lambda x: _column(np.sqrt(np.sum(x * x))), label="norm2", domain="nonzero",
             plain_word=True,
             doc=Doc("norm2(A)", "Euclidean (vector) or Frobenius (matrix) norm", "norm2(x)",
                     {"x": Nv}),
             examples=(Example("norm2(W) + norm2(x)", {"W": ("n", "m"), "x": ("n",)}, True),)),
    NodeSpec(N.Trace, rational=True, syntax_shape="scalar", name="trace", build=_square(N.Trace, "trace"),
             latex=_call(r"\operatorname{tr}"), code={"numpy": "np.trace({0})"}, index=_trace_index,
             exact=lambda ex, node: _scalar(_child(ex, node).trace()),
             value=lambda x: _column(np.trace(x)), label="trace", plain_word=True,
             latex_words=("tr", "Tr", "trace"),
             doc=Doc("trace(A)", "sum of the diagonal", "trace(W @ A)",
                     {"W": ["n", "n"], "A": ["n", "n"]}),
             examples=(Example("trace(A @ A)", A, True),)),
    NodeSpec(N.Det, rational=True, syntax_shape="scalar", name="det", build=_square(N.Det, "det"), latex=_call(r"\det"),
             code={"numpy": "np.linalg.det({0})"}, index="opaque",
             exact=lambda ex, node: _scalar(ex.determinant(node)),
             value=lambda x: _column(np.linalg.det(x)), label="det", domain="conditioned",
             plain_word=True, latex_words=("det",), unicode={r"\det": "det"},
             doc=Doc("det(A)", "determinant", "det(A)", {"A": ["n", "n"]}),
             examples=(Example("det(A)", A, True),)),
    NodeSpec(N.LogDet, syntax_shape="scalar", name="logdet", build=_square(N.LogDet, "logdet"),
             latex=_call(r"\log \det", MUL), code={"numpy": "np.linalg.slogdet({0})[1]"},
             index="opaque", exact=_x_logdet, value=lambda x: _column(np.log(np.abs(np.linalg.det(x)))),
             label="logdet", domain="conditioned", plain_word=True, latex_words=("logdet",),
             doc=Doc("logdet(A)", "log |det A|", "logdet(A)", {"A": ["n", "n"]}),
             examples=(Example("logdet(A)", A, True),)),
    NodeSpec(N.Inverse, rational=True, syntax_shape="same", name="inv", build=_square(N.Inverse, "inv"), latex=_inverse_latex,
             code={"numpy": "np.linalg.inv({0})"}, index="opaque", exact=_x_inverse,
             value=np.linalg.inv, label="inv", trace="inverse", domain="conditioned",
             plain_word=True, latex_words=("inv",),
             doc=Doc("inv(A)", "matrix inverse", "u.T @ inv(A) @ v",
                     {"u": Nv, "A": ["n", "n"], "v": Nv}),
             examples=(Example("x.T @ inv(A) @ y", {"x": ("n",), **A, "y": ("n",)}, True),)),
    NodeSpec(N.Diag, rational=True, simplify="diag", name="diag", build=_vector(N.Diag, "diag"), latex=_call(r"\operatorname{diag}"),
             code={"numpy": "np.diag({0})"}, index=_diag_index,
             exact=lambda ex, node: sp.diag(*list(_child(ex, node))),
             value=lambda v: np.diag(v.ravel()), label="diag", plain_word=True,
             latex_words=("diag",),
             doc=Doc("diag(v)", "the diagonal matrix with v on its diagonal", "u.T @ diag(x) @ v",
                     {"u": Nv, "x": Nv, "v": Nv}),
             examples=(Example("sum(diag(x) @ A)", {"x": ("n",), **A}, True),)),
    NodeSpec(N.DiagPart, rational=True, latex=_call(r"\operatorname{diag}"), code={"numpy": "np.diag({0})"},
             index=_diagpart_index,
             exact=_x_diagpart,
             label="diag_part",
             examples=(_tree(lambda v: N.MatMul(N.Transpose(N.DiagPart(v["A"])), v["x"]), "A", "x"),)),
    NodeSpec(N.Softmax, syntax_shape="same", name="softmax", build=_vector(N.Softmax, "softmax"),
             latex=_call(r"\operatorname{softmax}"), code={"numpy": "_softmax({0})"}, index="opaque",
             exact=_x_softmax, value=lambda v: np.exp(v - _lse(v)), label="softmax", plain_word=True, domain="unsaturated",
             latex_words=("softmax",),
             doc=Doc("softmax(a)", "exp(a) / sum(exp(a)) of a vector", "softmax(x)", {"x": Nv}),
             examples=(Example("softmax(x)", X), Example("y.T @ softmax(x)", {**X, "y": ("n",)}, True))),
    NodeSpec(N.LogSoftmax, syntax_shape="same", name="log_softmax", build=_vector(N.LogSoftmax, "log_softmax"),
             latex=_call(r"\log \operatorname{softmax}", MUL), code={"numpy": "_log_softmax({0})"},
             index="opaque", exact=_x_log_softmax, value=lambda v: v - _lse(v), label="log_softmax", domain="unsaturated",
             latex_words=("log_softmax",),
             doc=Doc("log_softmax(a)", "log of the softmax, computed stably", "log_softmax(x)",
                     {"x": Nv}),
             examples=(Example("log_softmax(x)", X),
                       Example("-y.T @ log_softmax(x)", {**X, "y": ("n",)}, True))),
    NodeSpec(N.LogSumExp, syntax_shape="scalar", name="logsumexp", build=_vector(N.LogSumExp, "logsumexp"),
             latex=_call(r"\operatorname{logsumexp}"), code={"numpy": "_logsumexp({0})"},
             index="opaque",
             exact=lambda ex, node: _scalar(sp.log(sum(sp.exp(e) for e in _child(ex, node)))),
             value=_lse, label="logsumexp", domain="unsaturated", plain_word=True, latex_words=("logsumexp", "LSE"),
             doc=Doc("logsumexp(a)", "log Σ exp(aᵢ), computed stably", "logsumexp(x)", {"x": Nv}),
             examples=(Example("logsumexp(W @ v)", WV, True),)),
    NodeSpec(N.Concat, rational=True, simplify="concat", name="concat", arity=None, build=_build_concat, usage="concat(x1, x2, ...)",
             latex=_concat_latex,
             code={"numpy": "np.concatenate([{0}])", "torch": "torch.cat([{0}])"}, index="opaque",
             exact=lambda ex, node: sp.Matrix.vstack(*(ex.evaluate(c) for c in node.children)),
             value=lambda *vs: np.vstack(vs), label="concat",
             latex_words=("concat",),
             doc=Doc("concat(a, b, …)", "stack vectors into one", "concat(x, y)", {"x": Nv, "y": ["m"]}),
             examples=(Example("concat(x, y)", {**X, "y": ("n",)}),
                       Example("u = concat(x, y); u.T @ u", {**X, "y": ("n",)}, True))),
    NodeSpec(N.Slice, rational=True, simplify="slice_rows", latex=_slice_latex, code={"numpy": _slice_code}, index=_slice_index,
             exact=_x_slice, label=_slice_label, trace="slice",
             examples=(_tree(lambda v: N.Sum(N.Mul(N.Slice(N.Concat(v["x"], v["y"]), _n, 2 * _n),
                                                   v["x"])), "x", "y"),)),
]  # fmt: skip

_OPS += [
    NodeSpec(Cumsum, rational=True, syntax_shape="same", name="cumsum", build=_build_cumsum,
             latex=_call(r"\operatorname{cumsum}"),
             code={"numpy": "np.cumsum({0}, axis=0)", "torch": "torch.cumsum({0}, dim=0)"},
             index=_cumsum_index, exact=_x_cumsum, value=lambda x: np.cumsum(x, axis=0),
             label="cumsum", latex_words=("cumsum",),
             doc=Doc("cumsum(a)", "running sums down a vector (each column of a matrix)",
                     "u.T @ cumsum(x)", {"u": Nv, "x": Nv}),
             examples=(Example("u.T @ cumsum(x)", {"u": ("n",), "x": ("n",)}),
                       Example("cumsum(x)", X),
                       Example("sum(cumsum(W) * W)", {"W": ("n", "m")}, True))),
]  # fmt: skip

NODE_SPECS: list[NodeSpec] = [
    *_STRUCTURAL,
    *_OPS,
    *AXIS_SPECS,
    *INDEX_SPECS,
    *PRODUCT_SPECS,
    *NORMALIZATION_SPECS,
]
