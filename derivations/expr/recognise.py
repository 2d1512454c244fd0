"""Recognise the lecture's functions in what the user wrote: σ, softplus, softmax, logsumexp, tanh.

A student writes ``1/(1 + exp(-a))`` or ``log(1 + exp(a))``; the lecture writes σ(a) and
softplus(a). Recognising them before differentiating does two things at once: the derivative
comes out in the lecture's vocabulary (σ(a) ∘ (1 − σ(a)), not exp(−a)/(1 + exp(−a))²), and the
generated code uses the stable implementations of those functions (logaddexp, an overflow-free
σ), so ``log(1 + exp(X @ w))`` stays finite at X w ≈ 800 whichever way it was written.

Every rewrite is an exact identity for every real argument:

- 1/(1 + e^{−a}) = σ(a),  e^{a}/(1 + e^{a}) = σ(a),  c/(1 + e^{a}) = c σ(−a);
- log(1 + e^{a}) = log1p(e^{a}) = softplus(a);  log(1 − σ(a)) = log σ(−a);
- e^{a}/Σ e^{a} = softmax(a),  log Σ e^{a} = logsumexp(a);
- (e^{a} − e^{−a})/(e^{a} + e^{−a}) = tanh(a);
- log softmax(z) = log_softmax(z) (along an axis too), and log(softmax(z)[y]) = log_softmax(z)[y]:
  the class-label loss −log softmax(W x)[y] then has the gradient (ŷ − e_y) xᵀ, not the chain
  through 1/p_y;
- √(a²) = √(a ∘ a) = |a| (arguments are real).

The program as written is kept (``TypedProgram.written``): verification compares the result
with the user's own expression, so a wrong recognition cannot pass unnoticed.
"""

from __future__ import annotations

from dataclasses import replace

from ..ops.indexing import Index
from . import nodes as N
from . import shapes as S
from .axis_nodes import AxisLogSoftmax, AxisSoftmax
from .program import Definition, TypedProgram


def _exp_arg(node: N.Node) -> N.Node | None:
    return node.children[0] if isinstance(node, N.Apply) and node.fn == "exp" else None


def _is_one(node: N.Node) -> bool:
    return isinstance(node, N.Const) and node.value == 1


def _one_plus_exp(node: N.Node) -> N.Node | None:
    """a when node is 1 + e^{a} (either order)."""
    if isinstance(node, N.Add) and len(node.children) == 2:
        first, second = node.children
        if _is_one(first) and _exp_arg(second) is not None:
            return _exp_arg(second)
        if _is_one(second) and _exp_arg(first) is not None:
            return _exp_arg(first)
    return None


def negate(node: N.Node) -> N.Node:
    """−a without a double sign: −(−a) = a, −((−y) ∘ v) = y ∘ v, −(c) = −c."""
    if isinstance(node, N.Neg):
        return node.children[0]
    if isinstance(node, N.Const):
        return N.Const(-node.value)
    if isinstance(node, N.Mul):
        for k, f in enumerate(node.children):
            if isinstance(f, N.Neg | N.Const) and (
                not isinstance(f, N.Const) or f.value.could_extract_minus_sign()
            ):
                kids = list(node.children)
                kids[k] = negate(f)
                kids = [c for c in kids if not _is_one(c)]
                return kids[0] if len(kids) == 1 else N.Mul(*kids)
    return N.Neg(node)


def _sigmoid(a: N.Node, shape_of: N.Node) -> N.Node:
    s = N.Apply("sigmoid", a)
    if s.shape != shape_of.shape:  # a scalar argument broadcast by the other operand
        return N.Mul(s, N.Ones(shape_of.shape))
    return s


def _same(a: N.Node, b: N.Node) -> bool:
    return a == b


def _rewrite_div(node: N.Div) -> N.Node | None:
    top, bottom = node.children
    a = _one_plus_exp(bottom)
    if a is not None:
        if _exp_arg(top) is not None and _same(_exp_arg(top), a):
            return _sigmoid(a, node)  # e^{a}/(1 + e^{a})
        if _is_one(top):
            return _sigmoid(negate(a), node)  # 1/(1 + e^{a}) = σ(−a)
        if top.shape == node.shape:
            return N.Mul(top, _sigmoid(negate(a), node))
    exp_top = _exp_arg(top) is not None and S.is_column(top.shape)  # softmax is of a column only
    if exp_top and isinstance(bottom, N.Sum) and _same(bottom.children[0], top):
        return N.Softmax(top.children[0])  # e^{a}/Σ e^{a}
    if (
        isinstance(top, N.Add)
        and isinstance(bottom, N.Add)
        and len(top.children) == 2
        and len(bottom.children) == 2
    ):
        p, m = top.children
        q, r = bottom.children
        if isinstance(m, N.Neg) and _exp_arg(p) is not None and _exp_arg(q) is not None:
            a = _exp_arg(p)
            minus = _exp_arg(m.children[0])
            if (
                minus is not None
                and _same(minus, negate(a))
                and _same(_exp_arg(q), a)
                and _same(r, m.children[0])
            ):
                return N.Apply("tanh", a)
    return None


def _log_softmax(arg: N.Node) -> N.Node | None:
    """log of a softmax, or of entries picked from one: the log-softmax (picked)."""
    if isinstance(arg, N.Softmax):
        return N.LogSoftmax(arg.children[0])
    if isinstance(arg, AxisSoftmax):
        return AxisLogSoftmax(arg.children[0], arg.axis)
    if isinstance(arg, Index):
        inner = _log_softmax(arg.children[0])
        if inner is not None:
            return arg.rebuild((inner, *arg.children[1:]))
    return None


def _rewrite_log(node: N.Apply) -> N.Node | None:
    (arg,) = node.children
    picked = _log_softmax(arg)
    if picked is not None:
        return picked
    a = _one_plus_exp(arg)
    if a is not None:
        return N.Apply("softplus", a)
    if isinstance(arg, N.Sum) and _exp_arg(arg.children[0]) is not None:
        return N.LogSumExp(_exp_arg(arg.children[0]))
    if isinstance(arg, N.Add) and len(arg.children) == 2:  # log(1 − σ(a)) = log σ(−a)
        one, other = arg.children
        if (
            _is_one(one)
            and isinstance(other, N.Neg)
            and isinstance(other.children[0], N.Apply)
            and other.children[0].fn == "sigmoid"
        ):
            return N.Apply("log", N.Apply("sigmoid", negate(other.children[0].children[0])))
    return None


def _squared(node: N.Node) -> N.Node | None:
    """a when node is a² (a power or a ∘ a)."""
    if isinstance(node, N.Apply) and node.fn == "pow":
        base, p = node.children
        if isinstance(p, N.Const) and p.value == 2:
            return base
    if isinstance(node, N.Mul) and len(node.children) == 2 and _same(*node.children):
        return node.children[0]
    return None


def recognise_node(root: N.Node) -> N.Node:
    """Rewrite every recognised pattern, children first, until nothing changes."""
    memo: dict[N.Node, N.Node] = {}
    for node in N.walk(root):
        if node in memo:
            continue
        kids = tuple(memo[c] for c in node.children)
        new = node if kids == node.children else node.rebuild(kids)
        rewritten = None
        if isinstance(new, N.Div):
            rewritten = _rewrite_div(new)
        elif isinstance(new, N.Apply) and new.fn == "log":
            rewritten = _rewrite_log(new)
        elif isinstance(new, N.Apply) and new.fn == "log1p" and _exp_arg(new.children[0]):
            rewritten = N.Apply("softplus", _exp_arg(new.children[0]))  # log1p(e^{a})
        elif isinstance(new, N.Apply) and new.fn == "sqrt" and _squared(new.children[0]):
            rewritten = N.Apply("abs", _squared(new.children[0]))  # √(a²) = |a|
        if rewritten is not None and rewritten.shape == new.shape:
            new = recognise_node(rewritten) if rewritten != new else rewritten
        memo[node] = new
    return memo[root]


def recognise(program: TypedProgram) -> TypedProgram:
    """The program with the lecture's functions recognised; the original kept as ``written``."""
    definitions = [Definition(d.name, recognise_node(d.node)) for d in program.definitions]
    output = recognise_node(program.output)
    if output == program.output and all(
        new.node == old.node for new, old in zip(definitions, program.definitions, strict=True)
    ):
        return program
    return replace(program, definitions=definitions, output=output, written=program)
