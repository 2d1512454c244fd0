"""What a derivation computes, as plain data: every tree the printers and verifiers read.

The calculus (``calculus/derivation.py``) fills these in; the printers only print them. Keeping
the types here, beside the expression trees, lets ``printing/`` read a derivation without
importing the calculus, so no data flows back from a printer into the rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import nodes as N
from .program import Definition, TypedProgram

# The upstream seed a generated value_and_vjp / _hvp_W takes at run time.
SEED = "_seed"


def reserved_names(program: TypedProgram) -> set[str]:
    """The program's own names (variables, intermediates, dimensions, output), which no index
    letter of an index form may take."""
    names = set(program.inputs) | {d.name for d in program.definitions}
    names |= {str(s) for d in program.dims for s in getattr(d, "free_symbols", {d})}
    names |= {program.output_name} if program.output_name else set()
    # A name's subscripts too: Σ_k beside W_k would print ∂J/∂W_(k,ij) = Σ_k X_ki Δ_(K,kj).
    return names | {part for name in names for part in name.split("_")[1:] if part}


@dataclass
class Backward:
    """Adjoint definitions (in the order they are computed) and the adjoint of each wanted name."""

    definitions: list[Definition] = field(default_factory=list)
    adjoints: dict[str, N.Node] = field(default_factory=dict)  # input or intermediate -> adjoint
    # A δ named inside an expression (no intermediate of the user's) -> the subexpression it
    # is the gradient with respect to, so that it can be shown as ∂s/∂(Wx + b).
    meanings: dict[str, N.Node] = field(default_factory=dict)
    # Intermediates and expression-level δs in the order the backward pass reached them.
    order: list[str] = field(default_factory=list)


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
class Chain:
    """The lecture's chain ∂s/∂h · ∂h/∂z · ∂z/∂b for one variable of a scalar output.

    ``path`` holds the intermediates from the output down to the variable; ``factors[k]`` is
    the matrix form of the k-th link (None: the link is zero). ``last`` is the final link
    ∂z/∂b: its matrix form, or for a matrix variable its index form (∂z_i/∂W_jk = δ_ij x_k).
    """

    path: list[str]
    factors: list[N.Node | None]
    last: N.Node | Seeded


@dataclass
class Steps:
    """What the chain-rule steps of one variable show: its chain (when the intermediates form
    a single path of vectors), the names whose value depends on it, and the δs its gradient
    refers to directly or through other δs."""

    chain: Chain | None
    live: frozenset[str]
    needed: frozenset[str]


@dataclass
class Derivation:
    program: TypedProgram
    wrt: list[str]
    output_symbol: str  # identifier for the output in ∂s/∂x (the output's name, or f)
    backward: Backward | None  # the gradient's adjoint definitions (scalar outputs)
    items: list[Item] = field(default_factory=list)
    # An array output's reverse pass seeded by SEED (the generated value_and_vjp).
    vjp: Backward | None = None
    # A matrix variable's Hessian without matrix form: reverse mode through its gradient,
    # seeded by SEED (the generated _hvp_W).
    hvps: dict[str, Backward] = field(default_factory=dict)
    steps: dict[str, Steps] = field(default_factory=dict)  # scalar outputs: by variable
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
        return self.extended_definitions(), self.gradient(wrt)

    def gradient(self, wrt: str) -> N.Node:
        """The gradient item's tree for ``wrt`` (scalar outputs)."""
        item = next(i for i in self.items if i.wrt == wrt and i.kind == "gradient")
        assert item.matrix is not None
        return item.matrix
