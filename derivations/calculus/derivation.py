"""Everything a derivation computes symbolically, before printing or verification.

For a scalar output: gradients by reverse mode (shape convention), Hessians by forward mode over
the gradient (matrix form for scalar/vector variables) or by reverse mode with basis seeds (index
form for matrices). For a vector or matrix output: Jacobians by forward mode where a matrix form
exists, otherwise elementwise partials by reverse mode with a basis seed e_i, whose (j, k) entry
is ∂y_i/∂W_jk. The same seeded reverse pass gives every pair its index form.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from ..errors import ChainruleError
from ..expr import nodes as N
from ..expr import shapes as S
from ..expr.program import Definition, TypedProgram
from . import algebra as A
from .assume import Facts, assume, assume_definitions
from .forward import jacobian
from .reverse import Backward, backward, delta_word, depends
from .rules import NoMatrixForm
from .tangent import derivative_by_scalar
from .tidy import Tidy, inline_deltas, program_names, prune, tidy_backward

INDEX_LETTERS = "ijklpqrs"


@dataclass
class Seeded:
    """A reverse pass seeded with a basis element: entry (vars) of ``node`` is the partial."""

    output_indices: tuple[str, ...]
    var_indices: tuple[str, ...]
    node: N.Node


@dataclass
class Item:
    wrt: str
    kind: str  # gradient | jacobian | partials | hessian
    shape: list[str]
    layout: str
    matrix: N.Node | None  # the matrix form, when one exists
    seeded: Seeded | None = None  # the index form's source when there is no matrix form


@dataclass
class Derivation:
    program: TypedProgram
    wrt: list[str]
    output_symbol: str  # identifier for the output in ∂s/∂x (the output's name, or f)
    backward: Backward | None  # the gradient's adjoint definitions (scalar outputs)
    items: list[Item] = field(default_factory=list)
    # The declared kinds' facts the results were simplified with, by variable (assume.py):
    # keys of ``expr.kinds.FACTS``.
    assumptions: dict[str, list[str]] = field(default_factory=dict)
    # Before that rewrite: the extended definitions and gradients, which Hessian-vector products
    # differentiate again (a rewritten gradient is right on the kind only, not its derivative).
    plain: tuple[list[Definition], dict[str, N.Node]] | None = None

    @property
    def scalar_output(self) -> bool:
        return self.program.output.is_scalar

    def adjoint_definitions(self) -> list[Definition]:
        return self.backward.definitions if self.backward else []

    def extended_definitions(self) -> list[Definition]:
        """Forward intermediates, then the adjoints computed from them."""
        return [*self.program.definitions, *self.adjoint_definitions()]

    def differentiable_gradient(self, wrt: str) -> tuple[list[Definition], N.Node]:
        """The gradient by ``wrt`` and its definitions as derived, before the kinds' facts
        rewrote them: what a Hessian-vector product may differentiate again."""
        if self.plain is not None:
            return self.plain[0], self.plain[1][wrt]
        grad = next(i.matrix for i in self.items if i.wrt == wrt and i.kind == "gradient")
        assert grad is not None
        return self.extended_definitions(), grad


def _indices(count: int, used: set[str]) -> tuple[str, ...]:
    free = [c for c in INDEX_LETTERS if c not in used]
    return tuple(free[:count])


def free_indices(count: int, program: TypedProgram) -> tuple[str, ...]:
    """Index letters for an entry, none of them a variable's, intermediate's or dimension's name."""
    return _indices(count, reserved_names(program))


def reserved_names(program: TypedProgram) -> set[str]:
    names = set(program.inputs) | {d.name for d in program.definitions}
    names |= {str(s) for d in program.dims for s in getattr(d, "free_symbols", {d})}
    return names | ({program.output_name} if program.output_name else set())


def basis_seed(shape: S.Shape, names: tuple[str, ...]) -> N.Node:
    """e_i for a column, e_iᵀ for a row, e_i e_jᵀ for a matrix."""
    if S.is_scalar(shape):
        return N.Const(1)
    if S.is_column(shape):
        return N.Basis(names[0], shape[0])
    if S.is_row(shape):
        return N.Transpose(N.Basis(names[0], shape[1]))
    return N.MatMul(N.Basis(names[0], shape[0]), N.Transpose(N.Basis(names[1], shape[1])))


def index_count(shape: S.Shape) -> int:
    return 0 if S.is_scalar(shape) else (1 if S.is_vector(shape) else 2)


def seeded_partials(
    definitions: list[Definition],
    output: N.Node,
    wrt: N.Var,
    taken: set[str],
    used: set[str] = frozenset(),
) -> Seeded:
    out_idx = _indices(index_count(output.shape), set(used))
    var_idx = _indices(index_count(wrt.shape), set(used) | set(out_idx))
    seed = basis_seed(output.shape, out_idx)
    result = backward(definitions, output, seed, [wrt.name], taken, name_adjoints=False)
    node = result.adjoints.get(wrt.name) or A.zeros(wrt.shape)
    return Seeded(out_idx, var_idx, node)


def derive_program(program: TypedProgram, wrt: list[str] | None, hessian: bool) -> Derivation:
    """Every derivative asked for; the declared kinds' facts are applied last (assume.py)."""
    derivation = _derive(program, wrt, hessian)
    if program.kinds:
        _assume(derivation)
    return derivation


def _assume(derivation: Derivation) -> None:
    facts = Facts(derivation.program.kinds)
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
    defs = program.definitions
    if hessian and not out.is_scalar:
        raise ChainruleError(
            "shape_mismatch",
            f"Hessians need a scalar output; this program's output is {S.describe(out.shape)}",
            hint="sum or project it to a scalar first, e.g. sum(...) or u.T @ (...)",
        )
    if out.is_scalar:
        # Backpropagate to every input, whatever ``wrt`` is, so that the δ names (and which
        # adjoints get one) are the same for every choice of wrt; then keep what wrt needs.
        bw = backward(defs, out, N.Const(1), names, taken)
        tidy_backward(bw, program)
        _rename_single_delta(bw, taken)
        prune(bw, wrt, program)
        inline_deltas(bw, program)
        _assert_closed(bw)
        derivation = Derivation(program, wrt, symbol, bw)
        for w in wrt:
            var = program.inputs[w]
            grad = bw.adjoints.get(w) or A.zeros(var.shape)
            derivation.items.append(
                Item(
                    w,
                    "gradient",
                    S.user_shape(var.shape),
                    "shape convention: the gradient has the variable's shape",
                    grad,
                )
            )
        if hessian:
            taken_ext = taken | {d.name for d in bw.definitions}
            ext = derivation.extended_definitions()
            for w in wrt:
                derivation.items.append(_hessian_item(derivation, ext, w, taken_ext))
        return derivation
    derivation = Derivation(program, wrt, symbol, None)
    for w in wrt:
        var = program.inputs[w]
        shape = S.user_shape(out.shape) + S.user_shape(var.shape)
        matrix = None
        if var.is_scalar:
            # d/dt has the output's shape: the textbook's matrix form, cos(t) A B x and
            # −Y⁻¹ B Y⁻¹ (index form beside it), even through matrix-valued intermediates.
            d = derivative_by_scalar(defs, out, var) if w in depends(defs, {w}) else None
            matrix = Tidy(program_names(defs))(d) if d is not None else A.zeros(out.shape)
            derivation.items.append(
                Item(w, "jacobian", shape, "derivative by a scalar: the output's shape", matrix)
            )
            continue
        if not S.is_matrix(out.shape) and not S.is_matrix(var.shape):
            try:
                matrix = jacobian(defs, out, var) if w in depends(defs, {w}) else None
                if matrix is not None:
                    matrix = Tidy(program_names(defs))(matrix)
                if matrix is None:
                    matrix = A.zeros((_entries(out.shape), _entries(var.shape)))
            except NoMatrixForm:
                matrix = None
        if matrix is not None:
            derivation.items.append(
                Item(
                    w,
                    "jacobian",
                    shape,
                    "numerator layout: rows are output entries, columns variable entries",
                    matrix,
                )
            )
        else:
            seeded = seeded_partials(defs, out, var, taken, reserved_names(program))
            derivation.items.append(
                Item(
                    w,
                    "partials",
                    shape,
                    "index notation: output indices first, then the variable's",
                    None,
                    seeded,
                )
            )
    return derivation


def _entries(shape: S.Shape) -> sp.Expr:
    return sp.Integer(1) if S.is_scalar(shape) else S.vector_length(shape)


def _hessian_item(derivation: Derivation, ext: list[Definition], w: str, taken: set[str]) -> Item:
    program = derivation.program
    var = program.inputs[w]
    grad = next(i.matrix for i in derivation.items if i.wrt == w and i.kind == "gradient")
    assert grad is not None
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
