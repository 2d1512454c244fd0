"""The reverse-mode driver: adjoints flow from the output back through the named intermediates.

This is the lecture's backpropagation done symbolically. Each statement is visited once, in
reverse order; the adjoints it receives from every later use are summed (fan-out), and a
non-trivial adjoint gets a name, δ. Naming is what keeps results short and deep networks linear:
∂s/∂W₁ refers to δ₁, which refers to δ₂, instead of repeating the whole chain.
"""

from __future__ import annotations

import re

from ..expr import nodes as N
from ..expr import shapes as S
from ..expr.derived import Backward
from ..expr.program import Definition
from ..ops.indexing import OneHot
from . import algebra as A
from .rules import vjp


def _is_atomic(node: N.Node) -> bool:
    """Small enough to write inline instead of naming: u, uᵀ, −u, 2u, 𝟏, I, e_y."""
    if _leaf(node):
        return True
    if isinstance(node, N.Transpose | N.Neg):
        return _leaf(node.children[0])
    c, rest = A.split_coefficient(node)
    if c != 1 and _leaf(rest):
        return True
    # A broadcast scalar, c·𝟏 (what a sum sends back), is no shared work worth a name.
    return isinstance(node, N.Mul) and all(
        f.is_scalar or isinstance(f, N.Ones) for f in node.children
    )


def _leaf(node: N.Node) -> bool:
    """A name, a constant array, or e_y (whose only child is the label it is built from)."""
    return not node.children or isinstance(node, OneHot)


_PLACEHOLDER = "__upstream__"


def _fan_out(node: N.Node, live: set[str]) -> int:
    """How many of a node's inputs receive its adjoint (the upstream gradient).

    An adjoint passed to one input (h = tanh(z) sends G ∘ f′(z) to z) is written inline, which
    gives the lecture's recursion δ₁ = (W₂ᵀδ₂) ∘ f′(z₁); one passed to several (Wx + b sends it
    to Wx and to b) is named, which is the "compute shared parts once" of backprop.
    """
    placeholder = N.Var(_PLACEHOLDER, node.shape, "adjoint")
    count = 0
    for child, contribution in zip(node.children, vjp(node, placeholder), strict=False):
        if contribution is None or A.is_zero(contribution) or not (N.free_vars(child) & live):
            continue
        count += sum(1 for n in N.walk_all(contribution) if n == placeholder)
    return count


def _unscaled(node: N.Node) -> N.Node:
    """E for c E or E/c with c a number (√d for a dimension d): attention's S = Q Kᵀ/√d shares its adjoint with
    Q and K through the scale, so Δ_S is named as the textbook's dS (and Δ₁ = Δ_S/√d)."""
    c, rest = A.split_coefficient(node)
    if c != 1:
        return rest
    if isinstance(node, N.Div):
        bottom = node.children[1]
        if bottom.is_scalar and not N.free_vars(bottom):  # a number such as √d
            return node.children[0]
    return node


def delta_word(shape: S.Shape) -> str:
    """δ for a vector or scalar error signal, Δ for a matrix one (a batch): Δ_ik can never be
    mistaken for the Kronecker δ_ik of an index form."""
    return "Delta" if S.is_matrix(shape) else "delta"


def adjoint_name(intermediate: str, taken: set[str], shape: S.Shape = S.SCALAR) -> str:
    """δ for z is ``delta_z``; for z1 or h_2 it is ``delta1`` / ``delta_2`` (printed δ₁, δ₂)."""
    m = re.fullmatch(r"[A-Za-z]+(_?\d+)", intermediate)
    word = delta_word(shape)
    base = f"{word}{m.group(1)}" if m else f"{word}_{intermediate}"
    name, k = base, 2
    while name in taken:
        name, k = f"{base}_{k}", k + 1
    return name


def _shared(root: N.Node, live: set[str]) -> dict[N.Node, int]:
    """The compound subexpressions of ``root`` that depend on a live name and occur more than
    once, with their heights (a parent is higher than its children). Counted by paths in the
    shared tree, never by expanding it."""
    order = N.walk(root)  # children first, each object once
    height: dict[int, int] = {}
    for node in order:
        height[id(node)] = 1 + max((height[id(c)] for c in node.children), default=0)
    uses: dict[N.Node, int] = {}
    paths: dict[int, int] = {id(root): 1}
    for node in reversed(order):  # parents before children
        count = paths.get(id(node), 0)
        uses[node] = uses.get(node, 0) + count
        for child in node.children:
            paths[id(child)] = paths.get(id(child), 0) + count
    return {
        node: height[id(node)]
        for node in order
        if uses.get(node, 0) > 1
        and node.children
        and not isinstance(node, OneHot)
        and N.free_vars(node) & live
    }


def depends(definitions: list[Definition], wanted: set[str]) -> set[str]:
    """Names (intermediates and inputs) whose value depends on any wanted input."""
    live = set(wanted)
    for d in definitions:
        if N.free_vars(d.node) & live:
            live.add(d.name)
    return live


def backward(
    definitions: list[Definition],
    output: N.Node,
    seed: N.Node,
    wrt: list[str],
    taken: set[str],
    name_adjoints: bool = True,
) -> Backward:
    """Backpropagate ``seed`` from ``output`` through ``definitions`` to the ``wrt`` names.

    ``taken`` holds every name in use, so the δ names never shadow the user's.
    """
    live = depends(definitions, set(wrt))
    contributions: dict[str, list[N.Node]] = {}
    result = Backward()
    taken = set(taken)
    inner: list[str] = []  # δs named inside expressions, outermost first
    named: dict[str, str] = {}  # inner δs that are an intermediate's adjoint -> its δ name

    def flow(node: N.Node, g: N.Node) -> None:
        # A subexpression used twice (z in logsumexp(z) − z_y) sums its adjoints before passing
        # them on, as an intermediate does: one δ = softmax(z) − e_y, not two flows.
        shared = _shared(node, live)
        pending: dict[N.Node, list[N.Node]] = {}
        run(node, g, shared, pending)
        while pending:
            outermost = max(pending, key=lambda n: shared[n])  # every use of it is in
            total = A.add(*pending.pop(outermost))
            run(outermost, total, shared, pending, released=outermost)

    def run(
        node: N.Node,
        g: N.Node,
        shared: dict[N.Node, int],
        pending: dict[N.Node, list[N.Node]],
        released: N.Node | None = None,
    ) -> None:
        # Iterative over the expression tree; an explicit stack keeps deep trees safe.
        stack = [(node, g)]
        while stack:
            current, adjoint = stack.pop()
            if current in shared and current is not released:
                pending.setdefault(current, []).append(adjoint)
                continue
            released = None
            if isinstance(current, N.Var):
                if current.name in live:
                    contributions.setdefault(current.name, []).append(adjoint)
                continue
            if not (N.free_vars(current) & live):
                continue
            if name_adjoints and not _is_atomic(adjoint) and _fan_out(current, live) > 1:
                # The same upstream gradient feeds several inputs (Wx + b sends it to W, x
                # and b): name it once, as backprop computes it once.
                name = f"__inner{len(inner)}"
                inner.append(name)
                result.definitions.append(Definition(name, adjoint))
                result.meanings[name] = current
                result.order.append(name)
                adjoint = N.Var(name, adjoint.shape, "adjoint")
            for child, contribution in zip(current.children, vjp(current, adjoint), strict=False):
                if contribution is not None and not A.is_zero(contribution):
                    stack.append((child, contribution))

    flow(output, seed)
    for d in reversed(definitions):
        if d.name not in live or d.name not in contributions:
            continue
        total = A.add(*contributions[d.name])
        if name_adjoints and not _is_atomic(total) and _fan_out(_unscaled(d.node), live) > 1:
            name = adjoint_name(d.name, taken, total.shape)
            taken.add(name)
            result.definitions.append(Definition(name, total))
            adjoint: N.Node = N.Var(name, total.shape, "adjoint")
        else:
            adjoint = total
            if isinstance(total, N.Var) and total.name in inner and total.name not in named:
                # The δ named inside an expression is this intermediate's whole adjoint
                # (J = ½ Σ (Z₂ − Y)² gives Z₂ the δ of Z₂ − Y): it takes Z₂'s name, Δ₂.
                named[total.name] = adjoint_name(d.name, taken, total.shape)
                taken.add(named[total.name])
        result.adjoints[d.name] = adjoint
        result.order.append(d.name)
        flow(d.node, adjoint)
    for name in wrt:
        if name in contributions:
            result.adjoints[name] = A.add(*contributions[name])
    if inner:
        _number_inner(result, inner, taken, named)
    return result


def _number_inner(
    result: Backward, inner: list[str], taken: set[str], named: dict[str, str]
) -> None:
    """Give expression-level δs the lecture's layer numbers: the innermost is δ₁ (one that is
    an intermediate's whole adjoint already has that intermediate's name)."""
    mapping: dict[N.Node, N.Node] = {}
    names: dict[str, str] = dict(named)
    shapes = {d.name: d.node.shape for d in result.definitions}
    rest = [t for t in inner if t not in named]
    for position, temp in enumerate(rest):
        k = len(rest) - position
        word = delta_word(shapes[temp])
        while f"{word}{k}" in taken:  # next to a user's z1 (δ₁): the next free number, δ₂,
            k += 1  # never δ_(1,2)
        name = f"{word}{k}"
        taken.add(name)
        names[temp] = name
    for d in result.definitions:
        if d.name in names:
            mapping[N.Var(d.name, d.node.shape, "adjoint")] = N.Var(
                names[d.name], d.node.shape, "adjoint"
            )
    result.definitions = [
        Definition(names.get(d.name, d.name), N.substitute(d.node, mapping))
        for d in result.definitions
    ]
    result.adjoints = {k: N.substitute(v, mapping) for k, v in result.adjoints.items()}
    result.meanings = {names[k]: v for k, v in result.meanings.items()}
    result.order = [names.get(k, k) for k in result.order]
