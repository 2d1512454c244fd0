"""Draws where a softmax is well conditioned: Xavier-scaled weights, saturated draws rejected.

Entries of size ~1 (N(0, 1), or U(0.5, 1.5) in a function's domain) make a product X W grow
like √(fan-in), so the spread of the transformer block's attention scores (X W_q)(X W_k)ᵀ/√d
grew with e and d, and at e = 10 a row softmax saturated (largest probability 1 − 3.5e-6).
There every gradient through the softmax is a difference of nearly equal numbers: finite
differences and the engine could not resolve the 6-digit-smaller entries of ∂J/∂W_q, so a right
derivation failed verification (4e-6 against a 1e-6 tolerance). A network is trained from
Xavier's initialisation, which divides each weight matrix by √(fan-in); the sampler does the same
for the matrices multiplied into the argument of a softmax-family op (the registry's
``domain="unsaturated"``), and rejects a draw where such an argument still saturates, as it
rejects draws near kinks and poles.

Only parameters are scaled: data (the tokens X) is drawn O(1), as a normalised input is. A draw
keeps every value's sign and its variety of sizes, so a wrong formula still misses by order 1
(``bench/mutants.py``); when every draw saturates (softmax(1000 x)), the first one that is
otherwise fine is used, since a check at a poorly conditioned point is better than none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import sympy as sp

from ..expr import nodes as N
from ..expr.program import TypedProgram
from ..ops.registry import node_spec

# The largest probability a softmax-family op may see: 1 − 1e-2. At 1 − p the textbook
# backward p ∘ (g − Σ g∘p) keeps about log10((1 − p) / 1e-16) digits (14 here); the block's
# draw, at 1 − p = 3.5e-6, left ~10, and its weight gradients lost three more in products.
SATURATION_MARGIN = 1e-2
SATURATED = "every draw saturated a softmax (its largest probability above 0.99)"


def saturating(program: TypedProgram) -> list[N.Node]:
    """The softmax, log-softmax and logsumexp nodes (vector or along an axis), inlined."""
    roots = [program.inlined(), *(program.inlined(d.ref) for d in program.definitions)]
    found = (n for r in roots for n in N.walk(r) if node_spec(n).domain == "unsaturated")
    return list(dict.fromkeys(found))  # each once: inlining copies a named softmax per use


def _input_matrix(node: N.Node, program: TypedProgram) -> str | None:
    """The name of a parameter matrix that is ``node`` (or its transpose), else None."""
    if isinstance(node, N.Transpose):
        node = node.children[0]
    if not isinstance(node, N.Var) or node.name not in program.inputs:
        return None
    rows, cols = node.shape
    if rows == 1 or cols == 1 or program.declaration(node.name).is_data:
        return None
    return node.name


def xavier_scales(program: TypedProgram, sizes: dict[str, int]) -> dict[str, float]:
    """1/√(fan-in) for each parameter matrix multiplied into a softmax-family argument: the
    fan-in is the contracted size of its product (the largest, if it has several)."""
    env = {sp.Symbol(k, integer=True, positive=True): v for k, v in sizes.items()}
    fan_in: dict[str, int] = {}
    for op in saturating(program):
        for node in N.walk(op.children[0]):
            if not isinstance(node, N.MatMul):
                continue
            contracted = int(node.children[0].shape[1].subs(env))
            for factor in node.children:
                name = _input_matrix(factor, program)
                if name is not None:
                    fan_in[name] = max(fan_in.get(name, 1), contracted)
    return {name: 1.0 / np.sqrt(k) for name, k in fan_in.items() if k > 1}


def top_probabilities(values: list[Any], nodes: list[N.Node]) -> float:
    """The largest probability any of the ops' softmaxes gives at these argument values."""
    top = 0.0
    for value, node in zip(values, nodes, strict=True):
        v = np.asarray(value, dtype=float)
        axis = node.params[0] if v.ndim == 2 and node.params else None
        if (v.size if axis is None else v.shape[axis]) < 2:  # one entry: p = 1, not saturation
            continue
        shifted = v - np.max(v, axis=axis, keepdims=True)
        p_max = 1.0 / np.sum(np.exp(shifted), axis=axis)
        top = max(top, float(np.max(p_max)))
    return top


def saturation_check(
    compile_nodes: Callable[[list[N.Node]], Any], program: TypedProgram
) -> Callable[[dict[str, Any]], bool] | None:
    """A test of a draw: True when some softmax-family op saturates there (None: no such op)."""
    nodes = saturating(program)
    if not nodes:
        return None
    args = compile_nodes([n.children[0] for n in nodes])

    def saturated(inputs: dict[str, Any]) -> bool:
        return top_probabilities(args(**inputs), nodes) > 1.0 - SATURATION_MARGIN

    return saturated
