"""Common-subexpression naming for straight-line code.

Two passes: an expression equal to an earlier statement's right-hand side becomes that name
(the δ code reuses h instead of recomputing tanh(z)), and any other non-trivial subexpression
used twice gets a temporary, computed once before its first use. This is the lecture's
"compute shared parts once", applied to the generated code.
"""

from __future__ import annotations

from collections import Counter

from ..expr import nodes as N
from ..expr.broadcast import spread_of
from .codeopt import is_running_factor


def _trivial(node: N.Node) -> bool:
    if not node.children:
        return True
    return isinstance(node, N.Transpose | N.Neg) and not node.children[0].children


def eliminate(
    statements: list[tuple[str, N.Node]], reserved: set[str], prefix: str = "t"
) -> list[tuple[str, N.Node]]:
    known: dict[N.Node, N.Node] = {}
    reused: list[tuple[str, N.Node]] = []
    for name, node in statements:
        node = N.substitute(node, known) if known else node
        reused.append((name, node))
        if not _trivial(node) and node not in known:
            known[node] = N.Var(name, node.shape, "intermediate")

    counts: Counter[N.Node] = Counter()
    for _, node in reused:
        counts.update(n for n in N.walk_all(node) if not _trivial(n))
    # diag(v) is never named: a product prints it as a scaling by v (which is named instead),
    # so naming it would materialise the n×n matrix the printer avoids.
    # Nor is a broadcast b 𝟏ᵀ: it prints as b[:, None], and naming it would build the matrix.
    # Nor is L = cumsum(I) or Lᵀ: a product by it prints as a running sum (codeopt).
    shared = {
        n
        for n, c in counts.items()
        if c >= 2
        and not isinstance(n, N.Diag)
        and spread_of(n)[0] is None
        and not is_running_factor(n)
    }
    # A statement's whole right-hand side is already named; do not name it twice.
    shared -= {node for _, node in reused}

    taken = set(reserved) | {name for name, _ in statements}
    counter = 0
    names: dict[N.Node, N.Node] = {}
    out: list[tuple[str, N.Node]] = []
    for name, node in reused:
        for sub in N.walk(node):
            if sub in shared and sub not in names:
                counter += 1
                temp = f"{prefix}{counter}"
                while temp in taken:
                    counter += 1
                    temp = f"{prefix}{counter}"
                taken.add(temp)
                out.append((temp, N.substitute(sub, names)))
                names[sub] = N.Var(temp, sub.shape, "intermediate")
        out.append((name, N.substitute(node, names) if names else node))
    return _inline_single_use(out, {name for name, _ in statements})


def _inline_single_use(
    statements: list[tuple[str, N.Node]], keep: set[str]
) -> list[tuple[str, N.Node]]:
    """A temporary used once is folded back: name only what is really shared.

    Folding a temporary into its one user moves its uses, so no other count changes; one pass
    in order (a temporary is defined before its use) folds them all. Only dropping an unused
    temporary lowers other counts, hence the repeat until nothing is folded.
    """
    while True:
        uses: Counter[str] = Counter()
        for _, node in statements:
            uses.update(n.name for n in N.walk_all(node) if isinstance(n, N.Var))
        folded: dict[N.Node, N.Node] = {}
        out: list[tuple[str, N.Node]] = []
        for name, node in statements:
            node = N.substitute(node, folded) if folded else node
            if name not in keep and uses[name] <= 1:
                folded[N.Var(name, node.shape, "intermediate")] = node
            else:
                out.append((name, node))
        if not folded:
            return out
        statements = out
