"""Everything a derivation computes symbolically, before printing or verification.

For a scalar output: gradients by reverse mode (shape convention), Hessians by forward mode over
the gradient (matrix form for scalar/vector variables) or by reverse mode with basis seeds (index
form for matrices). For a vector or matrix output: Jacobians by forward mode where a matrix form
exists, otherwise elementwise partials by reverse mode with a basis seed e_i, whose (j, k) entry
is ∂y_i/∂W_jk. The same seeded reverse pass gives every pair its index form.
"""

from __future__ import annotations

import sympy as sp

from ..errors import ChainruleError
from ..expr import nodes as N
from ..expr import shapes as S
from ..expr.derived import SEED, Backward, Derivation, Item, Seeded
from ..expr.program import Definition, TypedProgram
from . import algebra as A
from .assume import Facts, assume, assume_definitions
from .chain import plan_steps
from .forward import NoTangentRule, derivative_by_scalar, jacobian
from .reverse import backward, delta_word, depends
from .rules import NoMatrixForm
from .seeded import free_indices, reserved_names, seeded_partials
from .tidy import Tidy, inline_deltas, program_names, prune, tidy_backward

__all__ = [
    "Backward", "Derivation", "Item", "Seeded", "default_wrt", "derive_program", "free_indices",
    "reserved_names", "seeded_partials",
]  # fmt: skip


def derive_program(program: TypedProgram, wrt: list[str] | None, hessian: bool) -> Derivation:
    """Every tree the result shows or runs: items, δs, VJP/HVP passes and chain-rule steps;
    the declared kinds' facts are applied last (assume.py), and the steps planned on the
    trees as shown."""
    derivation = _derive(program, wrt, hessian)
    if program.kinds:
        _assume(derivation)
    if derivation.backward is not None:
        derivation.steps = plan_steps(derivation)
    return derivation


def _assume(derivation: Derivation) -> None:
    facts = Facts(derivation.program.kinds, derivation.program.axes)
    gradients = {
        i.wrt: i.matrix for i in derivation.items if i.kind == "gradient" and i.matrix is not None
    }
    derivation.plain = (derivation.extended_definitions(), gradients)
    bw = derivation.backward
    if bw is not None:
        bw.definitions = assume_definitions(bw.definitions, facts)
        bw.adjoints = {k: assume(v, facts) for k, v in bw.adjoints.items()}
    for item in derivation.items:
        if item.matrix is not None:
            item.matrix = assume(item.matrix, facts)
        if item.seeded is not None:
            item.seeded.node = assume(item.seeded.node, facts)
    derivation.assumptions = {k: sorted(v) for k, v in sorted(facts.used.items())}


def default_wrt(program: TypedProgram) -> list[str]:
    """What is differentiated when nothing is asked: every variable not declared as data."""
    names = list(program.inputs)
    if not names:
        raise ChainruleError(
            "declaration",
            "the program has no variables to differentiate by",
            hint="declare at least one variable, e.g. --var x=n, and use it in the program",
        )
    parameters = program.parameters
    if not parameters:
        raise ChainruleError(
            "not_a_variable",
            "every variable is declared as data, so nothing is differentiated by default",
            hint="ask for a gradient by data explicitly (wrt), or declare a parameter",
        )
    return parameters


def _derive(program: TypedProgram, wrt: list[str] | None, hessian: bool) -> Derivation:
    wrt = _checked_wrt(program, wrt)
    # Sizes are names in the generated code too (n = x.shape[0]): no δ may take one.
    taken = set(program.inputs) | {d.name for d in program.definitions}
    taken |= {str(d) for d in program.dims}
    if program.output_name:
        taken.add(program.output_name)
    symbol = program.output_name or next(
        (n for n in ("f", "F", "f_out", "out") if n not in taken),
        next(f"f{k}" for k in range(len(taken) + 1) if f"f{k}" not in taken),
    )
    taken.add(symbol)
    out = program.output
    if hessian and not out.is_scalar:
        raise ChainruleError(
            "shape_mismatch",
            f"Hessians need a scalar output; this program's output is {S.describe(out.shape)}",
            hint="sum or project it to a scalar first, e.g. sum(...) or u.T @ (...)",
        )
    if out.is_scalar:
        return _scalar_derivation(program, wrt, symbol, taken, hessian)
    return _array_derivation(program, wrt, symbol, taken)


def _checked_wrt(program: TypedProgram, wrt: list[str] | None) -> list[str]:
    """The variables to differentiate by: declared ones, each once, never a class label (by
    default every variable not declared as data)."""
    names = list(program.inputs)
    wrt = list(wrt) if wrt else default_wrt(program)
    for w in wrt:
        if w not in program.inputs:
            intermediate = program.definition(w) is not None or w == program.output_name
            raise ChainruleError(
                "not_a_variable",
                f"cannot differentiate by {w!r}: it is "
                + ("an intermediate, not a declared variable" if intermediate else "not declared"),
                hint="differentiate by declared variables: " + ", ".join(names)
                if names
                else "declare the variables with --var",
                details={"wrt": w},
            )
    labels = [w for w in wrt if program.declaration(w).is_label]
    if labels:
        raise ChainruleError(
            "not_a_variable",
            f"cannot differentiate by {labels[0]!r}: it is a class label, an integer",
            hint="differentiate by the scores instead; a label only selects an entry",
            details={"wrt": labels[0]},
        )
    if len(set(wrt)) != len(wrt):
        raise ChainruleError(
            "not_a_variable", "a variable is listed twice in wrt", hint="list each once"
        )
    return wrt


def _scalar_derivation(
    program: TypedProgram, wrt: list[str], symbol: str, taken: set[str], hessian: bool
) -> Derivation:
    """Gradients by one reverse pass; Hessians by forward mode over them (or index form)."""
    # Backpropagate to every input, whatever ``wrt`` is, so that the δ names (and which
    # adjoints get one) are the same for every choice of wrt; then keep what wrt needs.
    bw = backward(program.definitions, program.output, N.Const(1), list(program.inputs), taken)
    tidy_backward(bw, program)
    _rename_single_delta(bw, taken)
    prune(bw, wrt, program)
    inline_deltas(bw, program)
    _assert_closed(bw)
    derivation = Derivation(program, wrt, symbol, bw)
    for w in wrt:
        var = program.inputs[w]
        grad = bw.adjoints.get(w) or A.zeros(var.shape)
        layout = "shape convention: the gradient has the variable's shape"
        derivation.items.append(Item(w, "gradient", S.user_shape(var.shape), layout, grad))
    if hessian:
        taken_ext = taken | {d.name for d in bw.definitions}
        ext = derivation.extended_definitions()
        for w in wrt:
            item = _hessian_item(derivation, ext, w, taken_ext)
            derivation.items.append(item)
            if item.matrix is None:
                grad = derivation.gradient(w)
                derivation.hvps[w] = runtime_seeded(ext, grad, [program.inputs[w]], taken_ext)
    return derivation


def _array_derivation(
    program: TypedProgram, wrt: list[str], symbol: str, taken: set[str]
) -> Derivation:
    """Jacobians by forward mode where a matrix form exists, else seeded partials; and the
    reverse pass with a runtime seed that the generated value_and_vjp runs."""
    derivation = Derivation(program, wrt, symbol, None)
    for w in wrt:
        derivation.items.append(_array_item(program, program.inputs[w], taken))
    variables = [program.inputs[w] for w in wrt]
    derivation.vjp = runtime_seeded(program.definitions, program.output, variables, taken)
    return derivation


def _array_item(program: TypedProgram, var: N.Var, taken: set[str]) -> Item:
    defs, out = program.definitions, program.output
    shape = S.user_shape(out.shape) + S.user_shape(var.shape)
    live = var.name in depends(defs, {var.name})
    if var.is_scalar:
        item = _scalar_item(defs, out, var, shape, live)
        if item is not None:
            return item
    matrix = None
    if not S.is_matrix(out.shape) and not S.is_matrix(var.shape):
        try:
            matrix = jacobian(defs, out, var) if live else None
            if matrix is not None:
                matrix = Tidy(program_names(defs))(matrix)
            if matrix is None:
                matrix = A.zeros((_entries(out.shape), _entries(var.shape)))
        except NoMatrixForm:
            matrix = None
    if matrix is not None:
        layout = "numerator layout: rows are output entries, columns variable entries"
        return Item(var.name, "jacobian", shape, layout, matrix)
    seeded = seeded_partials(defs, out, var, taken, reserved_names(program))
    layout = "index notation: output indices first, then the variable's"
    return Item(var.name, "partials", shape, layout, None, seeded)


def _scalar_item(
    defs: list[Definition], out: N.Node, var: N.Var, shape: list[str], live: bool
) -> Item | None:
    """d/dt has the output's shape: the textbook's matrix form, cos(t) A B x and −Y⁻¹ B Y⁻¹
    (index form beside it), even through matrix-valued intermediates. None when an op on the
    way has no tangent rule: the Jacobian or the index form is given instead of a crash."""
    try:
        d = derivative_by_scalar(defs, out, var) if live else None
    except NoTangentRule:
        return None
    matrix = Tidy(program_names(defs))(d) if d is not None else A.zeros(out.shape)
    return Item(var.name, "jacobian", shape, "derivative by a scalar: the output's shape", matrix)


def runtime_seeded(
    definitions: list[Definition], output: N.Node, variables: list[N.Var], taken: set[str]
) -> Backward:
    """Reverse mode from ``output`` seeded by the run-time array SEED (a VJP, or for a gradient
    output a Hessian-vector product); every variable gets an adjoint, zero when none flows."""
    seed = N.Var(SEED, output.shape, "input")
    bw = backward(definitions, output, seed, [v.name for v in variables], taken)
    for var in variables:
        if bw.adjoints.get(var.name) is None:
            bw.adjoints[var.name] = A.zeros(var.shape)
    return bw


def _entries(shape: S.Shape) -> sp.Expr:
    return sp.Integer(1) if S.is_scalar(shape) else S.vector_length(shape)


def _hessian_item(derivation: Derivation, ext: list[Definition], w: str, taken: set[str]) -> Item:
    program = derivation.program
    var = program.inputs[w]
    grad = derivation.gradient(w)
    shape = S.user_shape(var.shape) * 2
    if not S.is_matrix(var.shape):
        try:
            h = jacobian(ext, grad, var)
            if h is None:
                n = _entries(var.shape)
                h = A.zeros((n, n))
            h = Tidy(program_names(program.definitions))(h)
            return Item(w, "hessian", shape, "matrix form: H_ij = ∂²f/∂x_i∂x_j (symmetric)", h)
        except NoMatrixForm:
            pass
    seeded = seeded_partials(ext, grad, var, taken, reserved_names(program))
    return Item(w, "hessian", shape, "index notation: ∂²f/∂W_ij∂W_kl", None, seeded)


def _assert_closed(bw: Backward) -> None:
    """Every δ a result refers to is defined (a dangling δ would make a Hessian silently 0)."""
    defined = {d.name for d in bw.definitions}
    for node in [*bw.adjoints.values(), *(d.node for d in bw.definitions)]:
        for n in N.walk(node):
            assert not (isinstance(n, N.Var) and n.role == "adjoint") or n.name in defined, n


def _rename_single_delta(bw: Backward, taken: set[str]) -> None:
    """A derivation with one δ calls it plain δ, as the lecture does."""
    if len(bw.definitions) != 1:
        return
    old = bw.definitions[0]
    plain = delta_word(old.node.shape)
    if plain in taken:
        return
    new_ref = N.Var(plain, old.node.shape, "adjoint")
    old_ref = N.Var(old.name, old.node.shape, "adjoint")
    bw.definitions[0] = Definition(plain, old.node)
    for k, v in bw.adjoints.items():
        bw.adjoints[k] = N.substitute(v, {old_ref: new_ref})
    if old.name in bw.meanings:
        bw.meanings[plain] = bw.meanings.pop(old.name)
    bw.order = [plain if k == old.name else k for k in bw.order]
