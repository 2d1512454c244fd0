"""Name what repeats: a subexpression written twice in one displayed result is named once.

The lecture writes the softmax Jacobian as diag(p) − p pᵀ with p = softmax(z), and the
derivative of (A + tB)⁻¹ as −Y⁻¹ B Y⁻¹ with Y = A + tB. After a derivation, every result is
scanned for non-trivial subexpressions that occur more than once in it; each becomes a named
definition of the program (role ``introduced``), so it prints once, is computed once by the
generated code, and is checked like any other intermediate. A subexpression that is already an
intermediate of the program takes that name; otherwise the name comes from a short list of
conventional letters (p for a softmax, Y for a matrix under an inverse, σ for a square root,
then generic letters), never one the program or its dimensions use.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from ..expr import nodes as N
from ..expr import shapes as S
from ..expr.program import Definition, TypedProgram
from . import algebra as A
from .derivation import Derivation, reserved_names

_LETTERS = {
    "softmax": ("p", "q", "p2", "q2"),
    "inverse": ("Y", "M", "Y2", "M2"),
    "sqrt": ("sigma", "r", "sigma2"),
    "sigmoid": ("s", "s2", "s3"),
    "matrix": ("M", "C", "K", "M2", "C2"),
    "vector": ("v", "q", "r", "v2", "q2"),
    "scalar": ("c", "r", "c2", "r2"),
}


def _trivial(node: N.Node) -> bool:
    if not node.children or isinstance(node, N.Const):
        return True
    if isinstance(node, N.Transpose | N.Neg | N.Inverse):  # xᵀ, −x, X⁻¹, X⁻ᵀ are atoms
        return _trivial(node.children[0])
    return False


def _kind(node: N.Node, has_sigmoid: bool) -> str:
    if isinstance(node, N.Softmax):
        return "softmax"
    if isinstance(node, N.Apply) and node.fn == "sqrt" and not has_sigmoid:
        return "sqrt"
    if isinstance(node, N.Apply) and node.fn == "sigmoid":
        return "sigmoid"
    if S.is_matrix(node.shape):
        return "matrix"
    return "scalar" if node.is_scalar else "vector"


def _repeats(root: N.Node, forward: set[str]) -> list[tuple[N.Node, str | None]]:
    """Maximal non-trivial subtrees occurring twice or more, over forward names only (with
    the kind of name they take when it is not the subtree's own)."""
    counts = Counter(n for n in N.walk_all(root) if not _trivial(n))
    found: list[N.Node] = []
    kinds: dict[N.Node, str | None] = {}
    for node in sorted(counts, key=lambda n: -len(N.walk_all(n))):
        if counts[node] < 2 or not N.free_vars(node) <= forward:
            continue
        if any(node in N.walk(f) and counts[node] <= counts[f] for f in found):
            continue  # inside a larger repeat: naming that one names this too
        kind = None
        # Under an inverse, the textbook names the matrix (Y = A + tB) and writes Y⁻¹.
        if isinstance(node, N.Inverse) and node.children[0].children:
            node, kind = node.children[0], "inverse"
        found.append(node)
        kinds[node] = kind
    return [(n, kinds[n]) for n in found]


def name_repeats(derivation: Derivation) -> None:
    program = derivation.program
    forward = set(program.inputs) | {d.name for d in program.definitions}
    roots = [i.matrix for i in derivation.items if i.matrix is not None]
    roots += [d.node for d in derivation.adjoint_definitions()]
    existing = {d.node: d.ref for d in program.definitions if d.node.children}
    if program.output_name and not program.output.is_scalar and program.output.children:
        # p = softmax(z): its Jacobian reads diag(p) − p pᵀ (never a Hessian's input).
        existing[program.output] = N.Var(program.output_name, program.output.shape, "intermediate")
        forward.add(program.output_name)
    taken = reserved_names(program) | {d.name for d in derivation.adjoint_definitions()}
    taken.add(derivation.output_symbol)
    has_sigmoid = any(
        isinstance(n, N.Apply) and n.fn == "sigmoid" for r in roots for n in N.walk(r)
    )
    mapping: dict[N.Node, N.Node] = {}  # every name given, for the bodies of later names
    local: list[dict[N.Node, N.Node]] = []  # the names each result uses: those repeating in it
    for root in roots:
        here: dict[N.Node, N.Node] = {}
        local.append(here)
        for node, kind in _repeats(root, forward):
            if node in existing:
                here[node] = existing[node]
                continue
            if node not in mapping:
                name = next(
                    (c for c in _LETTERS[kind or _kind(node, has_sigmoid)] if c not in taken),
                    None,
                )
                if name is None:
                    continue
                _introduce(program, name, N.substitute(node, mapping))
                taken.add(name)
                mapping[node] = N.Var(name, node.shape, "intermediate")
                if isinstance(node, N.Apply) and node.fn == "sqrt":  # σ = √c: c itself is σ²
                    mapping[node.children[0]] = A.power(mapping[node], N.Const(2))
            here[node] = mapping[node]
            if node.children and node.children[0] in mapping and isinstance(node, N.Apply):
                here[node.children[0]] = mapping[node.children[0]]
    if not any(local):
        return
    it = iter(local)
    gradients = {}
    for item in derivation.items:
        if item.matrix is not None:
            item.matrix = N.substitute(item.matrix, next(it))
            if item.kind == "gradient":
                gradients[item.wrt] = item.matrix
    bw = derivation.backward
    if bw is not None:
        bw.definitions = [
            Definition(d.name, N.substitute(d.node, next(it))) for d in bw.definitions
        ]
        bw.adjoints.update({k: v for k, v in gradients.items() if k in bw.adjoints})


def _introduce(program: TypedProgram, name: str, body: N.Node) -> None:
    """Append a named definition, keeping the program as the user wrote it for verification."""
    if program.written is None:
        program.written = replace(
            program, definitions=list(program.definitions), introduced=set(program.introduced)
        )
    program.definitions.append(Definition(name, body))
    program.introduced.add(name)
