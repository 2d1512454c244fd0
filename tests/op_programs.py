"""The programs that exercise every op, read from the op registry (each spec's ``examples``).

A new node class or elementwise function brings its own examples in its registry entry;
``test_every_op_is_covered`` fails until it does, and every test parametrised over these lists
then checks its rules against finite differences, the engine and SymPy, its printers (LaTeX,
index, Unicode, NumPy, PyTorch, JAX), the displayed forms and a trace, with no test edited.
"""

from __future__ import annotations

from derivations.expr import nodes as N
from derivations.ops.registry import FUNCTIONS, NODES, SUGAR
from derivations.ops.spec import CallSpec, FunctionSpec, NodeSpec


def op_name(spec: FunctionSpec | NodeSpec | CallSpec) -> str:
    """A test id: the class name of a node op, the name of a function or a call."""
    return spec.key if isinstance(spec, NodeSpec) else spec.name


SPECS: list[FunctionSpec | NodeSpec | CallSpec] = [*NODES.values(), *FUNCTIONS.values(), *SUGAR]

# (op, program, variables, hessian?) — programs with a scalar output check gradients (and
# Hessians where marked); programs with a vector output check Jacobians or partials.
USER_PROGRAMS: list[tuple[str, str, dict, bool]] = [
    (op_name(spec), ex.program, dict(ex.variables), ex.hessian)
    for spec in SPECS
    for ex in spec.examples
    if ex.tree is None
]

# Ops that only derivatives produce, exercised by building the typed tree directly.
NODE_PROGRAMS: list[tuple[str, N.Node, dict[str, N.Var]]] = [
    (op_name(spec), *ex.tree()) for spec in SPECS for ex in spec.examples if ex.tree is not None
]

# Basis only appears in index forms (seeded reverse passes); the printers and the exact
# evaluator are tested on it directly.
INDEX_ONLY = {"Basis"}


def nodes_of(op: type[N.Node]) -> list[N.Node]:
    """Nodes of class ``op`` taken from its examples' typed trees (for printer tests)."""
    from derivations.language.elaborate import elaborate

    spec = NODES[op]
    trees = [ex.tree()[0] if ex.tree else elaborate(ex.program, dict(ex.variables)).inlined()
             for ex in spec.examples]  # fmt: skip
    return [n for t in trees for n in N.walk(t) if type(n) is op]
