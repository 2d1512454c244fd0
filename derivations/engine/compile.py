"""Typed program -> engine graph, from the same typed tree the symbolic side differentiates.

Each declared input and each named intermediate becomes one graph node that every reference
shares (so its gradient accumulates over its uses). Other subtrees are shared only when they are
the same Python object in the tree, never merely equal: ``(x + y) * (x + y)`` written twice is
two nodes, as the user wrote it.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..expr import nodes as N
from ..expr.program import TypedProgram
from .graph import Graph


def _compile(graph: Graph, root: N.Node, memo: dict[int, int], named: Mapping[str, int]) -> int:
    for node in N.walk(root):  # iterative, children first
        if id(node) in memo:
            continue
        if isinstance(node, N.Var):
            memo[id(node)] = graph.inputs[node.name] if node.role == "input" else named[node.name]
            continue
        kids = [memo[id(c)] for c in node.children]
        memo[id(node)] = graph._add(type(node), kids, node.params, shape=node.shape)
    return memo[id(root)]


def _named(graph: Graph, node_id: int, name: str) -> int:
    node = graph.nodes[node_id]
    if node.name is not None:  # an alias (z = x): a pass-through node keeps both names
        return graph._add(N.Var, [node_id], (name,), name=name, shape=node.shape)
    node.name = node.label = name
    return node_id


def compile_program(program: TypedProgram, indices: Mapping[str, int] | None = None) -> Graph:
    """The program as a graph whose output is the program's output.

    ``indices`` binds the index symbols of basis vectors (``{"i": 2}``, 0-based); a run may
    also pass its own.
    """
    graph = Graph()
    graph.indices = dict(indices or {})
    for name, var in program.inputs.items():
        graph.input(name, shape=var.shape)
    memo: dict[int, int] = {}
    named: dict[str, int] = {}
    for definition in program.definitions:
        node_id = _compile(graph, definition.node, memo, named)
        named[definition.name] = _named(graph, node_id, definition.name)
    out = _compile(graph, program.output, memo, named)
    if program.output_name:
        out = _named(graph, out, program.output_name)
    graph.set_output(out)
    return graph
