"""The chain-rule steps' trees, computed once for every variable of a scalar output.

For each variable: the names depending on it, the δs its gradient needs, and (when the
intermediates from the output down form a single path of vectors) the Jacobian of every link.
A link is shared by every variable below it (∂h₃/∂z₃ is in the chain of b₁, b₂ and b₃), so
each link's Jacobian is computed once and every free-variable set is taken once: the work grows
linearly with the program, not with the number of variables times its depth.
"""

from __future__ import annotations

from ..expr import nodes as N
from ..expr import shapes as S
from ..expr.derived import Chain, Derivation, Steps, reserved_names
from ..expr.program import Definition
from . import algebra as A
from .forward import jacobian
from .rules import NoMatrixForm
from .seeded import seeded_partials

_NO_FORM = object()  # a link memoised as having no matrix form


def plan_steps(derivation: Derivation) -> dict[str, Steps]:
    program = derivation.program
    by_name = {d.name: d for d in program.definitions}
    free = {d.name: N.free_vars(d.node) for d in program.definitions}
    inputs_of = _dependencies(program.definitions, free, set(program.inputs))
    adjoint_free = {d.name: N.free_vars(d.node) for d in derivation.adjoint_definitions()}
    output_free = N.free_vars(program.output)
    links: dict[tuple[N.Node, N.Var], object] = {}
    plan: dict[str, Steps] = {}
    for w in derivation.wrt:
        live = frozenset({w} | {n for n, deps in inputs_of.items() if w in deps})
        path = _path(output_free, free, live, w)
        chain = _chain(derivation, by_name, w, path, links) if path else None
        grad_free = N.free_vars(derivation.gradient(w)) & set(adjoint_free)
        plan[w] = Steps(chain, live, frozenset(_closure(grad_free, adjoint_free)))
    return plan


def _dependencies(
    definitions: list[Definition], free: dict[str, set[str]], inputs: set[str]
) -> dict[str, frozenset[str]]:
    """The inputs each intermediate depends on, in one pass over the definitions."""
    deps: dict[str, frozenset[str]] = {}
    for d in definitions:
        found: set[str] = set()
        for name in free[d.name]:
            if name in deps:
                found |= deps[name]
            elif name in inputs:
                found.add(name)
        deps[d.name] = frozenset(found)
    return deps


def _path(
    output_free: set[str], free: dict[str, set[str]], live: frozenset[str], wrt: str
) -> list[str] | None:
    """The intermediates from the output down to ``wrt`` when they form a single chain."""
    chain: list[str] = []
    names = output_free
    while True:
        uses = [n for n in names if n in live and n != wrt]
        direct = wrt in names
        if direct and not uses:
            return chain
        if len(uses) != 1 or direct:
            return None
        chain.append(uses[0])
        names = free[uses[0]]


def _closure(start: set[str], refers: dict[str, set[str]]) -> set[str]:
    """The δs reachable from ``start`` through the δs each refers to."""
    needed: set[str] = set()
    frontier = list(start)
    while frontier:
        name = frontier.pop()
        if name in needed:
            continue
        needed.add(name)
        frontier.extend(refers[name] & set(refers))
    return needed


def _chain(
    derivation: Derivation,
    by_name: dict[str, Definition],
    wrt: str,
    path: list[str],
    links: dict[tuple[N.Node, N.Var], object],
) -> Chain | None:
    """Each link's matrix form; None when a link is a matrix or has no matrix form."""
    program = derivation.program
    nodes = [program.output, *(by_name[p].node for p in path)]
    refs = [by_name[p].ref for p in path]
    if any(S.is_matrix(r.shape) for r in refs):
        return None
    factors: list[N.Node | None] = []
    for node, ref in zip(nodes, refs, strict=False):
        if (node, ref) not in links:
            try:
                links[node, ref] = jacobian([], node, ref)
            except NoMatrixForm:
                links[node, ref] = _NO_FORM
        j = links[node, ref]
        if j is _NO_FORM:
            return None
        factors.append(j)  # type: ignore[arg-type]
    var = program.inputs[wrt]
    try:
        if S.is_matrix(var.shape):
            reserved = reserved_names(program)
            return Chain(path, factors, seeded_partials([], nodes[-1], var, set(), reserved))
        j_last = jacobian([], nodes[-1], var)
    except NoMatrixForm:
        return None
    return Chain(path, factors, j_last if j_last is not None else A.zeros(var.shape))
