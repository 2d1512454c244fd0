"""Trace a program at given values: every node's value and upstream gradient, as in lecture 4.

The lecture's worked example, f = (x + y) · max(y, z) at x=1, y=2, z=0, comes out with values
3, 2, 6 and gradients 2 (into the add), 3 (into the max), and x=2, y=5, z=0: the add
distributes its upstream gradient, the max routes it, the multiply switches it.

A non-scalar output is seeded with ones, i.e. the trace shows the gradients of the sum of its
entries (``TraceResult.seed`` says so, and the table prints it), rather than refusing: writing
``sum(...)`` around the output gives the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ChainruleError
from ..expr import nodes as N
from ..expr.kinds import violation
from ..expr.program import TypedProgram
from ..language.elaborate import elaborate
from ..limits import DEFAULT_LIMITS, Limits
from ..ops.indexing import Index, OneHot
from ..ops.registry import node_spec
from .compile import compile_program
from .graph import Graph, GraphNode, Run, _numeric, to_api
from .values import coerce_values, max_entries


def op_name(node: GraphNode) -> str:
    """'input', 'add', 'matmul', or the function's name for an elementwise function."""
    if node.op is N.Var:
        return "input" if node.is_input else "alias"
    if node.op is N.Apply:
        return str(node.params[0])
    return node_spec(node.op).trace_name


def _listed(value: float | np.ndarray) -> Any:
    return value if isinstance(value, float) else value.tolist()


ROUND_OFF = 1e-14


def _fmt_number(x: float, scale: float = 0.0) -> str:
    """6 significant digits; a result at round-off level of its inputs (0.1·3 − 0.3 gives
    5.55e-17) prints as 0, as its exact value is. The JSON keeps the float."""
    if abs(x) <= ROUND_OFF * scale:
        return "0"
    return format(x + 0.0, ".6g")  # + 0.0 prints -0.0 as 0


def _fmt(value: float | np.ndarray | None, width: int = 36, scale: float = 0.0) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return _fmt_number(value, scale)
    if value.ndim == 1:
        text = "[" + ", ".join(_fmt_number(v, scale) for v in value) + "]"
    else:
        text = (
            "["
            + ", ".join("[" + ", ".join(_fmt_number(v, scale) for v in row) + "]" for row in value)
            + "]"
        )
    return text if len(text) <= width else text[: width - 1] + "…"


@dataclass
class TraceResult:
    graph: Graph
    run: Run
    order: list[int]  # node ids in topological order
    wrt: list[str]
    seed: str  # "1" for a scalar output, "ones" otherwise

    def _value(self, node_id: int) -> float | np.ndarray:
        return to_api(self.run.values[node_id], self.graph.nodes[node_id].kind)

    def _grad(self, node_id: int) -> float | np.ndarray | None:
        g = self.run.grads.get(node_id)
        return None if g is None else to_api(g, self.graph.nodes[node_id].kind)

    @property
    def value(self) -> float | np.ndarray:
        return self._value(self.graph.output)

    @property
    def gradients(self) -> dict[str, float | np.ndarray]:
        return {name: self.graph._gradient(self.run, name) for name in self.wrt}

    def to_dict(self) -> dict[str, Any]:
        """{"value", "gradients", "nodes"}; nodes in topological order with compact ids.

        A node's ``grad`` is the upstream gradient d output / d node; it is null for nodes that
        no input flows through (constants).
        """
        compact = {node_id: k for k, node_id in enumerate(self.order)}
        nodes = []
        for node_id in self.order:
            node = self.graph.nodes[node_id]
            value = self._value(node_id)
            grad = self._grad(node_id)
            nodes.append(
                {
                    "id": compact[node_id],
                    "op": op_name(node),
                    "label": node.label,
                    "inputs": [compact[j] for j in node.inputs],
                    "shape": list(np.shape(value)),
                    "value": _listed(value),
                    "grad": None if grad is None else _listed(grad),
                }
            )
        return {
            "value": _listed(self.value),
            "gradients": {name: _listed(g) for name, g in self.gradients.items()},
            "nodes": nodes,
        }

    def _scale(self, inputs: list[int]) -> float:
        """The largest input magnitude: what round-off in this node's value is relative to."""
        sizes = [np.max(np.abs(self._value(j)), initial=0.0) for j in inputs]
        return float(max(sizes, default=0.0))

    def table(self) -> str:
        """The nodes as a fixed-width table: value forward, upstream gradient backward."""
        compact = {node_id: k for k, node_id in enumerate(self.order)}
        rows = [("id", "node", "op", "inputs", "value", "gradient")]
        for node_id in self.order:
            node = self.graph.nodes[node_id]
            rows.append(
                (
                    str(compact[node_id]),
                    node.label,
                    op_name(node),
                    ",".join(str(compact[j]) for j in node.inputs) or "-",
                    _fmt(self._value(node_id), scale=self._scale(node.inputs)),
                    _fmt(self._grad(node_id)),
                )
            )
        widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
        lines = [
            "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
            for r in rows
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        if self.seed == "ones":
            lines.append("(non-scalar output: gradients are those of the sum of its entries)")
        return "\n".join(lines)


def _check_sizes(graph: Graph, env: Mapping, limits: Limits) -> None:
    cap = max_entries(limits)
    for node in graph.nodes:
        if node.shape is None:
            continue
        rows, cols = _numeric(node.shape, env)  # type: ignore[misc]
        if rows * cols > cap:
            raise ChainruleError.limit(
                "max_entries",
                cap,
                f"{node.label} would have {rows * cols} entries; the limit is {cap}",
                "trace a smaller example: the derivation does not depend on the size",
            )


def _first_nonfinite(
    graph: Graph, order: list[int], arrays: Mapping[int, np.ndarray]
) -> GraphNode | None:
    for node_id in order:
        value = arrays.get(node_id)
        if value is not None and not np.all(np.isfinite(value)):
            return graph.nodes[node_id]
    return None


def _check_kinds(program: TypedProgram, values: Mapping[str, Any], env: Mapping) -> None:
    """Values of a variable declared with a kind must be of the kind (y one-hot, A symmetric,
    a label an integer class)."""
    sizes = {str(k): int(v) for k, v in env.items()}
    for name, kind in program.kinds.items():
        classes = program.declaration(name).classes
        count = (
            None if classes is None else int(classes) if classes.isdigit() else sizes.get(classes)
        )
        why = violation(kind, values[name], count, program.declaration(name).axis)
        if why is not None:
            raise ChainruleError(
                "value",
                f"the value of {name!r} is not {kind}, as declared",
                hint=f"{why}; give such a value, or drop the kind from the declaration",
                details={"variable": name},
            )


def _axis_ranges(node: N.Node) -> list[tuple[Any, Any, Any]]:
    """(first, last + 1, axis length) of every integer pick and slice of ``node``."""
    if isinstance(node, N.Slice):
        return [(node.params[0], node.params[1], node.children[0].shape[0])]
    if isinstance(node, OneHot):
        picks = [(node.params[1], node.params[0])]
    elif isinstance(node, Index):
        picks = list(zip(node.params, node.children[0].shape, strict=True))
    else:
        return []
    return [(p[1], p[1] + 1, n) for p, n in picks if p[0] == "at"]


def _check_indices(program: TypedProgram, env: Mapping) -> None:
    """An index or slice valid for the declared sizes (x[2] needs n ≥ 3) must fit the values'."""
    for node in N.walk(program.inlined()):
        for first, stop, length in _axis_ranges(node):
            lo, hi, n = _numeric((first, stop, length), env)  # type: ignore[misc]
            if lo < 0 or hi > n:
                need = n - lo if lo < 0 else hi
                raise ChainruleError(
                    "value",
                    f"an index or slice needs an axis of at least {need} entries; the value has {n}",
                    hint="give longer values: the program indexes past their end",
                )


def trace(
    program_text: str,
    variables: Mapping[str, Any],
    values: Mapping[str, Any],
    limits: Limits = DEFAULT_LIMITS,
) -> TraceResult:
    """Elaborate, check the values, then run forward and backward w.r.t. every declared input."""
    program = elaborate(program_text, variables, limits)
    arrays, env = coerce_values(program.inputs, values, limits)
    _check_kinds(program, values, env)
    _check_indices(program, env)
    graph = compile_program(program)
    _check_sizes(graph, env, limits)
    wrt = list(program.inputs)
    out_node = graph.nodes[graph.output]
    scalar_out = out_node.kind == "scalar"
    try:
        rows, cols = _numeric(out_node.shape, env)  # type: ignore[misc]
        run = graph.run(arrays, wrt, seed=None if scalar_out else np.ones((rows, cols)))
    except np.linalg.LinAlgError as exc:
        raise ChainruleError(
            "value",
            f"a matrix in the program is singular at these values ({exc})",
            hint="choose values that make the matrix invertible (e.g. add a multiple of I)",
        ) from None
    order = graph._plan(wrt).order
    bad = _first_nonfinite(graph, order, run.values)
    if bad is not None:
        raise ChainruleError(
            "value",
            f"{bad.label} is not finite at these values (outside the domain of {op_name(bad)}?)",
            hint="choose values inside every function's domain, e.g. log and sqrt of positive numbers",
            details={"node": bad.label},
        )
    bad = _first_nonfinite(graph, order[::-1], run.grads)
    if bad is not None:
        raise ChainruleError(
            "value",
            f"the gradient at {bad.label} is not finite at these values",
            hint="move the values away from points where a derivative is infinite (e.g. sqrt at 0)",
            details={"node": bad.label},
        )
    return TraceResult(graph, run, order, wrt, "1" if scalar_out else "ones")
