"""Chain-rule steps as the lecture writes them, for each variable of a scalar output.

1. The Jacobian chain along the named intermediates, when they form a single path of vectors:
   ∂s/∂b = ∂s/∂h · ∂h/∂z · ∂z/∂b = uᵀ diag(f′(z)) I. For a matrix variable the last factor has
   no matrix form, so its index form is given instead (∂z_i/∂W_jk = 𝟙[i = j] x_k).
2. The backward pass in the shape convention: each intermediate's adjoint, δ where named.
3. The result.
"""

from __future__ import annotations

from ..expr import nodes as N
from ..expr.derived import Chain, Derivation, Seeded, reserved_names
from .index import index_latex, partial_lhs
from .latex import MUL, LatexPrinter


def _frac(top: str, bottom: str) -> str:
    return rf"\frac{{\partial {top}}}{{\partial {bottom}}}"


def steps_for(derivation: Derivation, wrt: str, printer: LatexPrinter) -> list[str]:
    """The lines for ``wrt``, from the trees the derivation planned (``derivation.steps``)."""
    out = printer.name(derivation.output_symbol)
    plan = derivation.steps[wrt]
    lines: list[str] = []
    if plan.chain is not None:
        lines.extend(_jacobian_chain(derivation, wrt, plan.chain, printer))
    # The backward pass in the shape convention, in the order backprop reaches each node.
    bw = derivation.backward
    assert bw is not None
    named = {d.name: d for d in bw.definitions}
    for key in bw.order:
        if key in bw.meanings:  # a δ named inside an expression
            if key in plan.needed:
                inner = printer.doprint(bw.meanings[key])
                lhs = rf"\frac{{\partial {out}}}{{\partial \left({inner}\right)}}"
                lines.append(f"{printer.name(key)} = {lhs} = {printer.doprint(named[key].node)}")
            continue
        if key not in plan.live:
            continue
        adjoint = bw.adjoints[key]
        lhs = _frac(out, printer.name(key))
        if isinstance(adjoint, N.Var) and adjoint.name in named:
            body = printer.doprint(named[adjoint.name].node)
            lines.append(f"{printer.name(adjoint.name)} = {lhs} = {body}")
        else:
            lines.append(f"{lhs} = {printer.doprint(adjoint)}")
    w = printer.name(wrt)
    result = f"{_frac(out, w)} = {printer.doprint(derivation.gradient(wrt))}"
    if not derivation.program.inputs[wrt].is_scalar:
        result += r" \quad \text{(shape convention: the shape of } " + w + ")"
    lines.append(result)
    return lines


def _jacobian_chain(
    derivation: Derivation, wrt: str, chain: Chain, printer: LatexPrinter
) -> list[str]:
    """∂s/∂h ∂h/∂z ∂z/∂b with each factor's matrix form, when every link is a vector."""
    out = printer.name(derivation.output_symbol)
    names = [derivation.output_symbol, *chain.path]
    # A factor of 1 (∂f/∂q for f = q + z) is shown in the symbols but not multiplied out.
    symbols = [
        _frac(printer.name(a), printer.name(b)) for a, b in zip(names, chain.path, strict=False)
    ]
    w = printer.name(wrt)
    symbols.append(_frac(printer.name(names[-1]), w))
    if isinstance(chain.last, Seeded):
        seeded = chain.last
        lhs = partial_lhs(printer.name(names[-1]), seeded.output_indices, w, seeded.var_indices)
        reserved = reserved_names(derivation.program)
        rhs = index_latex(seeded.node, seeded.var_indices, printer.names, reserved)
        return [f"{_frac(out, w)} = {' '.join(symbols)}", f"{lhs} = {rhs}"]
    factors = [printer.wrap(j, MUL + 1) if j is not None else "0" for j in chain.factors]
    factors.append(printer.wrap(chain.last, MUL + 1))
    shown = [f for f in factors if f != "1"] or ["1"]
    return [f"{_frac(out, w)} = {' '.join(symbols)} = {' '.join(shown)}"]
