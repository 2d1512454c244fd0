"""Chain-rule steps as the lecture writes them, for each variable of a scalar output.

1. The Jacobian chain along the named intermediates, when they form a single path of vectors:
   ∂s/∂b = ∂s/∂h · ∂h/∂z · ∂z/∂b = uᵀ diag(f′(z)) I. For a matrix variable the last factor has
   no matrix form, so its index form is given instead (∂z_i/∂W_jk = 𝟙[i = j] x_k).
2. The backward pass in the shape convention: each intermediate's adjoint, δ where named.
3. The result.
"""

from __future__ import annotations

from ..calculus import algebra as A
from ..calculus.derivation import Derivation, reserved_names, seeded_partials
from ..calculus.forward import jacobian
from ..calculus.reverse import depends
from ..calculus.rules import NoMatrixForm
from ..expr import nodes as N
from ..expr import shapes as S
from .index import index_latex, partial_lhs
from .latex import MUL, LatexPrinter


def _frac(top: str, bottom: str) -> str:
    return rf"\frac{{\partial {top}}}{{\partial {bottom}}}"


def _path(derivation: Derivation, wrt: str) -> list[str] | None:
    """The intermediates from the output down to ``wrt`` when they form a single chain."""
    program = derivation.program
    live = depends(program.definitions, {wrt})
    chain: list[str] = []
    node = program.output
    while True:
        uses = [n for n in N.free_vars(node) if n in live and n != wrt]
        direct = wrt in N.free_vars(node)
        if direct and not uses:
            return chain
        if len(uses) != 1 or direct:
            return None
        chain.append(uses[0])
        definition = program.definition(uses[0])
        assert definition is not None
        node = definition.node


def steps_for(derivation: Derivation, wrt: str, printer: LatexPrinter) -> list[str]:
    program = derivation.program
    out = printer.name(derivation.output_symbol)
    lines: list[str] = []
    var = program.inputs[wrt]
    w = printer.name(wrt)
    path = _path(derivation, wrt)
    if path:
        lines.extend(_jacobian_chain(derivation, wrt, path, printer))
    # The backward pass in the shape convention, in the order backprop reaches each node.
    bw = derivation.backward
    assert bw is not None
    grad = next(i.matrix for i in derivation.items if i.wrt == wrt and i.kind == "gradient")
    assert grad is not None
    needed = _needed_deltas(derivation, grad)
    live = depends(program.definitions, {wrt})
    named = {d.name: d for d in bw.definitions}
    for key in bw.order:
        if key in bw.meanings:  # a δ named inside an expression
            if key in needed:
                inner = printer.doprint(bw.meanings[key])
                lhs = rf"\frac{{\partial {out}}}{{\partial \left({inner}\right)}}"
                lines.append(f"{printer.name(key)} = {lhs} = {printer.doprint(named[key].node)}")
            continue
        if key not in live:
            continue
        adjoint = bw.adjoints[key]
        lhs = _frac(out, printer.name(key))
        if isinstance(adjoint, N.Var) and adjoint.name in named:
            body = printer.doprint(named[adjoint.name].node)
            lines.append(f"{printer.name(adjoint.name)} = {lhs} = {body}")
        else:
            lines.append(f"{lhs} = {printer.doprint(adjoint)}")
    result = f"{_frac(out, w)} = {printer.doprint(grad)}"
    if not var.is_scalar:
        result += r" \quad \text{(shape convention: the shape of } " + w + ")"
    lines.append(result)
    return lines


def _needed_deltas(derivation: Derivation, grad: N.Node) -> set[str]:
    """The adjoint definitions a gradient refers to, directly or through other δs."""
    definitions = {d.name: d.node for d in derivation.adjoint_definitions()}
    needed: set[str] = set()
    frontier = list(N.free_vars(grad) & set(definitions))
    while frontier:
        name = frontier.pop()
        if name in needed:
            continue
        needed.add(name)
        frontier.extend(N.free_vars(definitions[name]) & set(definitions))
    return needed


def _jacobian_chain(
    derivation: Derivation, wrt: str, path: list[str], printer: LatexPrinter
) -> list[str]:
    """∂s/∂h ∂h/∂z ∂z/∂b with each factor's matrix form, when every link is a vector."""
    program = derivation.program
    out = printer.name(derivation.output_symbol)
    names = [derivation.output_symbol, *path]
    nodes = [program.output, *(program.definition(p).node for p in path)]  # type: ignore[union-attr]
    refs = [program.definition(p).ref for p in path]  # type: ignore[union-attr]
    if any(S.is_matrix(r.shape) for r in refs):
        return []
    var = program.inputs[wrt]
    factors: list[str] = []
    try:
        for node, ref in zip(nodes, refs, strict=False):
            j = jacobian([], node, ref)
            factors.append(printer.wrap(j, MUL + 1) if j is not None else "0")
        # A factor of 1 (∂f/∂q for f = q + z) is shown in the symbols but not multiplied out.
        last_node = nodes[-1]
        symbols = [
            _frac(printer.name(a), printer.name(b)) for a, b in zip(names, path, strict=False)
        ]
        w = printer.name(wrt)
        symbols.append(_frac(printer.name(names[-1]), w))
        if S.is_matrix(var.shape):
            reserved = reserved_names(program)
            seeded = seeded_partials([], last_node, var, set(), reserved)
            lhs = partial_lhs(printer.name(names[-1]), seeded.output_indices, w, seeded.var_indices)
            rhs = index_latex(seeded.node, seeded.var_indices, printer.names, reserved)
            chain = " ".join(symbols)
            return [f"{_frac(out, w)} = {chain}", f"{lhs} = {rhs}"]
        j_last = jacobian([], last_node, var)
        factors.append(printer.wrap(j_last if j_last is not None else A.zeros(var.shape), MUL + 1))
    except NoMatrixForm:
        return []
    shown = [f for f in factors if f != "1"] or ["1"]
    return [f"{_frac(out, printer.name(wrt))} = {' '.join(symbols)} = {' '.join(shown)}"]
