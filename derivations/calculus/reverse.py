"""The reverse-mode driver: adjoints flow from the output back through the named intermediates.

This is the lecture's backpropagation done symbolically. Each statement is visited once, in
reverse order; the adjoints it receives from every later use are summed (fan-out), and a
non-trivial adjoint gets a name, δ. Naming is what keeps results short and deep networks linear:
∂s/∂W₁ refers to δ₁, which refers to δ₂, instead of repeating the whole chain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..expr import nodes as N
from ..expr.program import Definition
from . import algebra as A
from .rules import vjp


@dataclass
class Backward:
    """Adjoint definitions (in the order they are computed) and the adjoint of each wanted name."""

    definitions: list[Definition] = field(default_factory=list)
    adjoints: dict[str, N.Node] = field(default_factory=dict)  # input or intermediate -> adjoint


def _is_atomic(node: N.Node) -> bool:
    """Small enough to write inline instead of naming: u, uᵀ, −u, 2u, 𝟏, I."""
    if not node.children:
        return True
    if isinstance(node, N.Transpose | N.Neg):
        return _is_atomic(node.children[0]) and not node.children[0].children
    c, rest = A.split_coefficient(node)
    return c != 1 and not rest.children


_PLACEHOLDER = "__upstream__"


def _fan_out(node: N.Node, live: set[str]) -> int:
    """How many times a definition's adjoint is reused by the adjoints it sends to its inputs.

    An adjoint used once (h = tanh(z) sends G ∘ f′(z) to z) is written inline, which gives the
    lecture's recursion δ₁ = (W₂ᵀδ₂) ∘ f′(z₁); one used several times (z = Wx + b sends G to W, x
    and b) is named, which is the "compute shared parts once" of backprop.
    """
    placeholder = N.Var(_PLACEHOLDER, node.shape, "adjoint")
    count = 0
    stack = [(node, placeholder)]
    while stack:
        current, g = stack.pop()
        if isinstance(current, N.Var):
            if current.name in live:
                count += sum(1 for n in N.walk_all(g) if n == placeholder)
            continue
        if not (N.free_vars(current) & live):
            continue
        for child, contribution in zip(current.children, vjp(current, g), strict=False):
            if contribution is not None and not A.is_zero(contribution):
                stack.append((child, contribution))
    return count


def adjoint_name(intermediate: str, taken: set[str]) -> str:
    """δ for z is ``delta_z``; for z1 or h_2 it is ``delta1`` / ``delta_2`` (printed δ₁, δ₂)."""
    m = re.fullmatch(r"[A-Za-z]+(_?\d+)", intermediate)
    base = f"delta{m.group(1)}" if m else f"delta_{intermediate}"
    name, k = base, 2
    while name in taken:
        name, k = f"{base}_{k}", k + 1
    return name


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

    def flow(node: N.Node, g: N.Node) -> None:
        # Iterative over the expression tree; an explicit stack keeps deep trees safe.
        stack = [(node, g)]
        while stack:
            current, adjoint = stack.pop()
            if isinstance(current, N.Var):
                if current.name in live:
                    contributions.setdefault(current.name, []).append(adjoint)
                continue
            if not (N.free_vars(current) & live):
                continue
            for child, contribution in zip(current.children, vjp(current, adjoint), strict=False):
                if contribution is not None and not A.is_zero(contribution):
                    stack.append((child, contribution))

    flow(output, seed)
    for d in reversed(definitions):
        if d.name not in live or d.name not in contributions:
            continue
        total = A.add(*contributions[d.name])
        if name_adjoints and not _is_atomic(total) and _fan_out(d.node, live) > 1:
            name = adjoint_name(d.name, taken)
            taken.add(name)
            result.definitions.append(Definition(name, total))
            adjoint: N.Node = N.Var(name, total.shape, "adjoint")
        else:
            adjoint = total
        result.adjoints[d.name] = adjoint
        flow(d.node, adjoint)
    for name in wrt:
        if name in contributions:
            result.adjoints[name] = A.add(*contributions[name])
    return result
