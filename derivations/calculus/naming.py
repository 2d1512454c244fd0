"""Name what repeats: a subexpression written twice in one displayed result is named once.

The lecture writes the softmax Jacobian as diag(p) − p pᵀ with p = softmax(z), and the
derivative of (A + tB)⁻¹ as −Y⁻¹ B Y⁻¹ with Y = A + tB. After a derivation, every result is
scanned for non-trivial subexpressions that occur more than once in it; each becomes a named
definition of the program (role ``introduced``), so it prints once, is computed once by the
generated code, and is checked like any other intermediate. A subexpression that is already an
intermediate of the program takes that name; otherwise the name comes from a short list of
conventional letters (p for a softmax, Y for a matrix under an inverse, σ for a square root,
then generic letters), never one the program or its dimensions use, nor a numbered version of
one (s₂ next to an output s reads as a second s). σ names a square root only where no sigmoid
appears anywhere in the program or its results: there σ means the logistic function. Names are
tied together: once s = σ(x) is named, 1 − σ(x) is defined as 1 − s.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import sympy as sp

from ..expr import nodes as N
from ..expr import shapes as S
from ..expr.program import Definition, TypedProgram
from ..ops.nodeops import Cumsum
from ..ops.normalization import Variance
from . import algebra as A
from .derivation import Derivation, reserved_names

_LETTERS = {
    "softmax": ("p", "q", "p2", "q2"),
    "inverse": ("Y", "M", "Y2", "M2"),
    "sqrt": ("sigma", "r", "sigma2"),
    # A layer norm's √(var(x) + ε), named even where it occurs once (the textbook's σ), but
    # never σ next to a sigmoid.
    "std": ("sigma", "std", "sigma2", "std2"),
    "std_by_sigmoid": ("std", "std2"),
    "lower": ("L", "L2"),  # cumsum(I), the lower-triangular ones matrix: cumsum(x) = L x
    "sigmoid": ("s", "p", "h", "q", "s2", "p2"),
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


def _is_std(node: N.Node) -> bool:
    """√(var(x) + ε): the standard deviation a layer norm's derivative divides by."""
    if not (isinstance(node, N.Apply) and node.fn == "sqrt"):
        return False
    (radicand,) = node.children
    return (
        isinstance(radicand, N.Add)
        and len(radicand.children) == 2
        and isinstance(radicand.children[0], Variance)
        and isinstance(radicand.children[1], N.Const)
    )


def _is_lower(node: N.Node) -> bool:
    return isinstance(node, Cumsum) and isinstance(node.children[0], N.Identity)


def _kind(node: N.Node, has_sigmoid: bool) -> str:
    if _is_lower(node):
        return "lower"
    if _is_std(node):
        return "std_by_sigmoid" if has_sigmoid else "std"
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
    user = set(taken)  # names a numbered letter must not look like a version of
    scanned = [*roots, program.output, *(d.node for d in program.definitions)]
    has_sigmoid = any(
        isinstance(n, N.Apply) and n.fn == "sigmoid" for r in scanned for n in N.walk(r)
    )
    mapping: dict[N.Node, N.Node] = {}  # every name given, for the bodies of later names
    local: list[dict[N.Node, N.Node]] = []  # the names each result uses: those repeating in it
    start = len(program.definitions)  # where the names given here begin
    for root in roots:
        here: dict[N.Node, N.Node] = {}
        local.append(here)
        found = _repeats(root, forward)
        always = [n for n in N.walk(root) if _is_lower(n) or _is_std(n)]  # named even once
        found += [
            (n, None) for n in always if N.free_vars(n) <= forward and all(n != f for f, _ in found)
        ]
        for node, kind in found:
            if node in existing:
                here[node] = existing[node]
                continue
            if node not in mapping:
                letters = _LETTERS[kind or _kind(node, has_sigmoid)]
                name = next((c for c in letters if _free(c, taken, user)), None)
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
    _tie_names(program, mapping)
    _name_epsilon(program, mapping, start, taken | user)
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


def _name_epsilon(
    program: TypedProgram, mapping: dict[N.Node, N.Node], start: int, taken: set[str]
) -> None:
    """σ = √(var(x) + ε) with ε = 10⁻⁵ stated once: never a bare 1/100000 in σ's body."""
    stds = {v.name for k, v in mapping.items() if _is_std(k) and isinstance(v, N.Var)}
    if not stds:
        return
    name = next(c for c in ("epsilon", "eps", "epsilon2", "eps2", "epsilon3") if c not in taken)
    named: dict[sp.Expr, N.Var] = {}
    for k, d in enumerate(program.definitions):
        if d.name not in stds or not _is_std(d.node):
            continue
        variance, eps = d.node.children[0].children
        if eps.value not in named:
            label = name if not named else f"{name}{len(named) + 1}"
            named[eps.value] = N.Var(label, S.SCALAR, "intermediate")
        body = N.Apply("sqrt", N.Add(variance, named[eps.value]))
        program.definitions[k] = Definition(d.name, body)
    for value, var in reversed(list(named.items())):
        _introduce(program, var.name, N.Const(value))
        program.definitions.insert(start, program.definitions.pop())


def _free(name: str, taken: set[str], user: set[str]) -> bool:
    """Whether ``name`` is unused and is not a numbered version (s2) of a user's name (s)."""
    base = name.rstrip("0123456789")
    return name not in taken and (base == name or base not in user)


def _tie_names(program: TypedProgram, mapping: dict[N.Node, N.Node]) -> None:
    """Write each introduced body with the other introduced names (c = 1 − s once s = σ(x)),
    then order the introduced definitions so that each follows the names it uses.

    A body is named larger-first, so when it was introduced the smaller names inside it did
    not exist yet. A replacement that mentions the definition's own name (σ² for σ's own
    radicand) is never used in its body."""
    names = {v.name for v in mapping.values() if isinstance(v, N.Var)}
    slots = [k for k, d in enumerate(program.definitions) if d.name in names]
    if len(slots) < 2:
        return
    tied: dict[str, Definition] = {}
    for k in slots:
        d = program.definitions[k]
        others = {a: b for a, b in mapping.items() if d.name not in N.free_vars(b)}
        tied[d.name] = Definition(d.name, N.substitute(d.node, others))
    ordered: list[Definition] = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in path:
            raise _Cycle
        if any(d.name == name for d in ordered):
            return
        for used in sorted(N.free_vars(tied[name].node) & tied.keys()):
            visit(used, (*path, name))
        ordered.append(tied[name])

    try:
        for k in slots:
            visit(program.definitions[k].name, ())
    except _Cycle:
        return  # bodies as introduced: each is correct on its own
    for k, d in zip(slots, ordered, strict=True):
        program.definitions[k] = d


class _Cycle(Exception):
    """Two introduced bodies written with each other's names (never for trees, but cheap to
    refuse)."""


def _introduce(program: TypedProgram, name: str, body: N.Node) -> None:
    """Append a named definition, keeping the program as the user wrote it for verification."""
    if program.written is None:
        program.written = replace(
            program, definitions=list(program.definitions), introduced=set(program.introduced)
        )
    program.definitions.append(Definition(name, body))
    program.introduced.add(name)
