"""A computation graph run by reverse-mode backpropagation, one gate per node.

Nodes are appended in creation order and every node's inputs exist before it, so creation order
is already a topological order: sorting the nodes a run needs is one iterative marking pass plus
a scan (no recursion, so a 10 000-node chain is fine), and forward and backward are O(nodes).
Backward visits only nodes that lie on a path from a requested input to the output, and each gate
computes only the input gradients that are needed; gradients accumulate where a value fans out.

At the API boundary vectors are 1-D arrays, matrices 2-D arrays and scalars floats; inside,
every value is 2-D (a vector is a column (n, 1), a scalar (1, 1)), so the matrix gates are
uniform. A gradient comes back in the shape its input was given in.

Build by hand::

    g = Graph()
    x, y, z = g.input("x"), g.input("y"), g.input("z")
    f = g.mul(g.add(x, y), g.max(y, z))   # any elementwise function: g.tanh(x), g.apply("pow", x, 2)
    g.backward({"x": 1.0, "y": 2.0, "z": 0.0}, ["x", "y", "z"])   # (6.0, {x: 2, y: 5, z: 0})

The output is the last node created unless ``set_output`` says otherwise. Programs compile to the
same structure (``compile.compile_program``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import sympy as sp

from ..errors import ChainruleError
from ..expr import nodes as N
from ..expr.shapes import Shape
from ..ops.registry import function_spec
from . import labels
from .gates import ELEMENTWISE, FUNCTION_GATES, Gate, gate_for
from .values import bind_dims, kind_of

Array = np.ndarray
Feed = Mapping[str, Any]


@dataclass(slots=True)
class GraphNode:
    id: int
    op: type[N.Node]
    inputs: tuple[int, ...]
    params: tuple
    gate: Gate
    label: str
    strength: int
    name: str | None = None  # an input's or a named intermediate's name
    kind: str | None = None  # 'scalar' | 'column' | 'row' | 'matrix' when the shape is declared
    shape: Shape | None = None  # symbolic shape (compiled graphs)
    symbolic: bool = False  # params mention dimensions or index symbols, resolved per run

    @property
    def fn(self) -> str | None:
        return self.params[0] if self.op is N.Apply else None

    @property
    def is_input(self) -> bool:
        return self.op is N.Var and not self.inputs


@dataclass(frozen=True, slots=True)
class Ref:
    """A handle on a node of a hand-built graph."""

    id: int


@dataclass
class Run:
    """The values (and, after a backward, upstream gradients) of one evaluation, by node id."""

    values: dict[int, Array]
    grads: dict[int, Array] = field(default_factory=dict)
    given_shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)
    given_scalar: dict[str, bool] = field(default_factory=dict)


@dataclass(frozen=True)
class _Plan:
    order: list[int]  # forward: every node the output needs, inputs first
    backward: list[tuple[int, tuple[bool, ...]]]  # reversed path nodes with their input needs


def _has_symbols(value: object) -> bool:
    # Any SymPy number is resolved once per run's sizes (1/n needs n; Integer(3) becomes 3).
    if isinstance(value, sp.Basic):
        return True
    if isinstance(value, tuple):
        return any(_has_symbols(v) for v in value)
    return False


def _numeric(value: object, env: Mapping) -> object:
    if isinstance(value, tuple):
        return tuple(_numeric(v, env) for v in value)
    if isinstance(value, sp.Basic):
        v = value.subs(env) if value.free_symbols else value
        if v.free_symbols:
            raise ChainruleError(
                "value",
                f"the size {value} depends on {sorted(map(str, v.free_symbols))}, which no value binds",
                hint="give values for every declared variable",
            )
        return int(v) if v.is_Integer else float(v)
    return value


def _to_internal(name: str, value: Any) -> Array:
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        return arr.reshape(1, 1)
    if arr.ndim == 1:
        return arr.reshape(-1, 1)
    if arr.ndim == 2:
        return arr
    raise ChainruleError(
        "value",
        f"{name} has {arr.ndim} dimensions; the engine takes scalars, vectors and matrices",
        hint=f"give {name} as a number, a 1-D vector or a 2-D matrix",
    )


def to_api(value: Array, kind: str | None) -> float | Array:
    """Internal 2-D value -> float (scalar), 1-D (vector, row or column) or 2-D (matrix)."""
    if kind is None:  # hand-built graphs: read the kind off the runtime shape
        r, c = value.shape
        kind = (
            "scalar" if (r, c) == (1, 1) else "column" if c == 1 else "row" if r == 1 else "matrix"
        )
    if kind == "scalar":
        return float(value[0, 0])
    if kind in ("column", "row"):
        return np.array(value).ravel()
    return np.array(value)


class Graph:
    """Nodes, the named inputs, and an output; see the module docstring for the API."""

    def __init__(self) -> None:
        self.nodes: list[GraphNode] = []
        self.inputs: dict[str, int] = {}
        self.indices: dict[str, int] = {}  # index symbols of Basis nodes, e.g. {"i": 2}
        self._output: int | None = None
        self._plans: dict[tuple, _Plan] = {}
        self._resolved: dict[tuple, dict[int, tuple]] = {}

    # -- building -------------------------------------------------------------------------

    def _add(
        self,
        op: type[N.Node],
        inputs: Sequence[int],
        params: tuple = (),
        *,
        name: str | None = None,
        shape: Shape | None = None,
    ) -> int:
        fn = params[0] if op is N.Apply and params else None
        gate = gate_for(op, fn)
        arity = function_spec(fn).arity if fn is not None else op.arity
        if arity is not None and len(inputs) != arity and not (op is N.Var and len(inputs) <= 1):
            raise ValueError(
                f"{op.__name__}{f' {fn}' if fn else ''} takes {arity} inputs, got {len(inputs)}"
            )
        kids = [(self.nodes[i].label, self.nodes[i].strength) for i in inputs]
        kids = [
            (k[0], labels.ATOM) if self.nodes[i].name else k
            for k, i in zip(kids, inputs, strict=True)
        ]
        label, strength = labels.describe(op, params, kids)
        node = GraphNode(
            id=len(self.nodes),
            op=op,
            inputs=tuple(inputs),
            params=params,
            gate=gate,
            label=name or label,
            strength=labels.ATOM if name else strength,
            name=name,
            kind=kind_of(shape) if shape is not None else None,
            shape=shape,
            symbolic=_has_symbols(params) or op is N.Basis,
        )
        self.nodes.append(node)
        self._output = node.id
        self._plans.clear()
        self._resolved.clear()
        return node.id

    def _ref(self, value: Ref | float | int) -> int:
        if isinstance(value, Ref):
            return value.id
        return self._add(N.Const, (), (float(value),))

    def input(self, name: str, shape: Shape | None = None) -> Ref:
        """A named input; ``shape`` (symbolic) lets runs bind and check dimensions."""
        if name in self.inputs:
            raise ValueError(f"input {name!r} already exists")
        self.inputs[name] = self._add(N.Var, (), (name,), name=name, shape=shape)
        return Ref(self.inputs[name])

    def const(self, value: float) -> Ref:
        return Ref(self._add(N.Const, (), (float(value),)))

    def op(
        self, op: type[N.Node], *args: Ref | float, params: tuple = (), name: str | None = None
    ) -> Ref:
        """Any op from the gate table, e.g. ``g.op(N.LogSumExp, x)``."""
        return Ref(self._add(op, [self._ref(a) for a in args], params, name=name))

    def add(self, *args: Ref | float) -> Ref:
        return self.op(N.Add, *args)

    def sub(self, a: Ref | float, b: Ref | float) -> Ref:
        return self.op(N.Add, a, self.op(N.Neg, b))

    def neg(self, a: Ref | float) -> Ref:
        return self.op(N.Neg, a)

    def mul(self, *args: Ref | float) -> Ref:
        return self.op(N.Mul, *args)

    def div(self, a: Ref | float, b: Ref | float) -> Ref:
        return self.op(N.Div, a, b)

    def matmul(self, a: Ref, b: Ref) -> Ref:
        return self.op(N.MatMul, a, b)

    def transpose(self, a: Ref) -> Ref:
        return self.op(N.Transpose, a)

    def sum(self, a: Ref) -> Ref:
        return self.op(N.Sum, a)

    def apply(self, fn: str, *args: Ref | float) -> Ref:
        """An elementwise function from ``FUNCTIONS`` (also reachable as ``g.<fn>(...)``)."""
        return self.op(N.Apply, *args, params=(fn,))

    def __getattr__(self, attr: str) -> Any:
        if attr in FUNCTION_GATES:
            return partial(self.apply, attr)
        raise AttributeError(attr)

    def name(self, ref: Ref, name: str) -> Ref:
        """Label a node as a named intermediate (a trace table shows it under this name)."""
        node = self.nodes[ref.id]
        node.name = node.label = name
        return ref

    def set_output(self, ref: Ref | int) -> None:
        self._output = ref.id if isinstance(ref, Ref) else ref
        self._plans.clear()

    @property
    def output(self) -> int:
        if self._output is None:
            raise ValueError("the graph is empty")
        return self._output

    # -- planning -------------------------------------------------------------------------

    def _plan(self, wrt: Sequence[str]) -> _Plan:
        for name in wrt:
            if name not in self.inputs:
                raise ChainruleError(
                    "value",
                    f"cannot differentiate with respect to {name!r}: it is not an input",
                    hint="inputs are: " + ", ".join(self.inputs),
                )
        key = (self.output, tuple(sorted(wrt)))
        plan = self._plans.get(key)
        if plan is not None:
            return plan
        out = self.output
        needed = bytearray(out + 1)
        needed[out] = 1
        stack = [out]
        while stack:  # iterative marking of the output's ancestors
            for j in self.nodes[stack.pop()].inputs:
                if not needed[j]:
                    needed[j] = 1
                    stack.append(j)
        order = [i for i in range(out + 1) if needed[i]]  # ids are a topological order
        targets = {self.inputs[n] for n in wrt}
        leads = bytearray(out + 1)  # does the node depend on a requested input?
        path: list[tuple[int, tuple[bool, ...]]] = []
        for i in order:
            node = self.nodes[i]
            needs = tuple(bool(leads[j]) for j in node.inputs)
            if i in targets or any(needs):
                leads[i] = 1
                path.append((i, needs))
        path.reverse()
        plan = _Plan(order, path)
        self._plans[key] = plan
        return plan

    # -- running --------------------------------------------------------------------------

    def _feed(self, inputs: Feed, order: Sequence[int], wrt: Sequence[str]) -> tuple[Run, dict]:
        unknown = [n for n in inputs if n not in self.inputs]
        if unknown:
            raise ChainruleError(
                "value",
                f"{', '.join(map(str, unknown))} {'is' if len(unknown) == 1 else 'are'} not an input of the graph",
                hint="inputs are: " + ", ".join(self.inputs),
            )
        wanted = set(wrt) | {self.nodes[i].name for i in order if self.nodes[i].is_input}
        missing = [n for n in self.inputs if n in wanted and n not in inputs]
        if missing:
            raise ChainruleError(
                "value", f"no value given for {', '.join(missing)}", hint="give every input a value"
            )
        run = Run({})
        declared: dict[str, Shape] = {}
        for name, value in inputs.items():
            node = self.nodes[self.inputs[name]]
            run.values[node.id] = _to_internal(name, value)
            run.given_shapes[name] = np.shape(value)
            run.given_scalar[name] = np.ndim(value) == 0 and not isinstance(value, np.ndarray)
            if node.shape is not None:
                declared[name] = node.shape
        env: dict = bind_dims(declared, run.given_shapes) if declared else {}
        return run, env

    def _params(self, env: Mapping, indices: Mapping[str, int]) -> dict[int, tuple]:
        key = (tuple(sorted((str(k), v) for k, v in env.items())), tuple(sorted(indices.items())))
        cached = self._resolved.get(key)
        if cached is not None:
            return cached
        resolved: dict[int, tuple] = {}
        for node in self.nodes:
            if not node.symbolic:
                continue
            params = node.params
            if node.op is N.Basis:
                index = params[0]
                if index not in indices:
                    raise ChainruleError(
                        "value",
                        f"the basis vector e_{index} needs a value for the index {index}",
                        hint=f"pass indices={{{index!r}: 0}} (0-based)",
                    )
                n = _numeric(params[1], env)
                if not 0 <= indices[index] < n:  # type: ignore[operator]
                    raise ChainruleError(
                        "value",
                        f"index {index} = {indices[index]} is outside 0..{n - 1}",  # type: ignore[operator]
                        hint="indices are 0-based",
                    )
                resolved[node.id] = (indices[index], n)
            else:
                resolved[node.id] = _numeric(params, env)  # type: ignore[assignment]
        self._resolved[key] = resolved
        return resolved

    def _forward(self, run: Run, plan: _Plan, params: dict[int, tuple]) -> None:
        values = run.values
        nodes = self.nodes
        with np.errstate(all="ignore"):
            for i in plan.order:
                node = nodes[i]
                if node.is_input:
                    continue
                ins = [values[j] for j in node.inputs]
                if node.op in ELEMENTWISE:
                    _check_broadcast(node, ins)
                values[i] = node.gate.forward(params.get(i, node.params), ins)

    def _backward(
        self, run: Run, plan: _Plan, seed: Array, params: dict[int, tuple], keep: bool = True
    ) -> dict[int, Array]:
        """Upstream gradients by node id; ``keep=False`` drops each once it has been passed on
        (inputs' excepted), so large intermediates are freed early and memory is reused."""
        values = run.values
        nodes = self.nodes
        grads: dict[int, Array] = {self.output: seed}
        with np.errstate(all="ignore"):
            for i, needs in plan.backward:
                node = nodes[i]
                g = grads.get(i) if keep or node.is_input else grads.pop(i, None)
                if g is None or node.gate.backward is None or not any(needs):
                    continue
                ins = [values[j] for j in node.inputs]
                parts = node.gate.backward(params.get(i, node.params), g, values[i], ins, needs)
                for j, need, part in zip(node.inputs, needs, parts, strict=True):
                    if need and part is not None:
                        prev = grads.get(j)
                        grads[j] = part if prev is None else prev + part
        return grads

    def evaluate(self, inputs: Feed, indices: Mapping[str, int] | None = None) -> Run:
        """Forward only, keeping every node's (internal, 2-D) value: for traces and kink checks."""
        plan = self._plan([])
        run, env = self._feed(inputs, plan.order, [])
        self._forward(run, plan, self._params(env, {**self.indices, **(indices or {})}))
        return run

    def forward(self, inputs: Feed, indices: Mapping[str, int] | None = None) -> float | Array:
        """The output's value: a float, a 1-D vector or a 2-D matrix."""
        run = self.evaluate(inputs, indices)
        return to_api(run.values[self.output], self.nodes[self.output].kind)

    def _seed(self, out: Array, seed: Any) -> Array:
        if seed is None:
            if out.shape != (1, 1):
                raise ChainruleError(
                    "value",
                    f"the output has shape {list(out.shape)}; a non-scalar output needs a seed",
                    hint="pass seed= an array of the output's shape (a vector-Jacobian product)",
                )
            return np.ones((1, 1))
        arr = np.asarray(seed, dtype=np.float64)
        if arr.size != out.size:
            raise ChainruleError(
                "value",
                f"the seed has {arr.size} entries but the output has {out.size}",
                hint="give the seed the output's shape",
            )
        return arr.reshape(out.shape)

    def run(
        self,
        inputs: Feed,
        wrt: Sequence[str],
        seed: Any = None,
        indices: Mapping[str, int] | None = None,
        keep: bool = True,
    ) -> Run:
        """Forward and backward, keeping every node's value and (if ``keep``) upstream gradient."""
        plan = self._plan(wrt)
        run, env = self._feed(inputs, plan.order, wrt)
        params = self._params(env, {**self.indices, **(indices or {})})
        self._forward(run, plan, params)
        seed_array = self._seed(run.values[self.output], seed)
        run.grads = self._backward(run, plan, seed_array, params, keep)
        return run

    def _gradient(self, run: Run, name: str, handed_out: set[int] | None = None) -> float | Array:
        node_id = self.inputs[name]
        g = run.grads.get(node_id)
        if g is None:
            g = np.zeros_like(run.values[node_id])
        if run.given_scalar[name]:
            return float(g.reshape(-1)[0])
        shape = run.given_shapes[name]
        # Hand out a gate's fresh array as is; copy views, read-only broadcasts, and arrays
        # already handed out under another name (an add passes one array to both operands).
        owned = g.flags.owndata and g.flags.writeable and g.base is None
        if handed_out is None or not owned or id(g) in handed_out:
            g = np.array(g, dtype=np.float64)
        if handed_out is not None:
            handed_out.add(id(g))
        return g.reshape(shape)

    def backward(
        self,
        inputs: Feed,
        wrt: Sequence[str],
        seed: Any = None,
        indices: Mapping[str, int] | None = None,
    ) -> tuple[float | Array, dict[str, float | Array]]:
        """(output value, {name: d output / d name}) for the requested inputs only.

        ``seed`` defaults to 1.0 for a scalar output; a non-scalar output needs a seed of its
        shape, and the result is then the vector-Jacobian product seedᵀ J.
        """
        run = self.run(inputs, wrt, seed, indices, keep=False)
        value = to_api(run.values[self.output], self.nodes[self.output].kind)
        handed_out: set[int] = {id(v) for v in run.values.values()}  # never alias a value
        return value, {name: self._gradient(run, name, handed_out) for name in wrt}

    def jacobian(
        self, inputs: Feed, wrt: Sequence[str], indices: Mapping[str, int] | None = None
    ) -> dict[str, Array]:
        """{name: array of shape output_shape + input_shape}, one backward pass per output entry."""
        plan = self._plan(wrt)
        run, env = self._feed(inputs, plan.order, wrt)
        params = self._params(env, {**self.indices, **(indices or {})})
        self._forward(run, plan, params)
        out = run.values[self.output]
        out_shape = np.shape(to_api(out, self.nodes[self.output].kind))
        rows: dict[str, list[Array]] = {name: [] for name in wrt}
        for k in range(out.size):
            seed = np.zeros(out.shape)
            seed.flat[k] = 1.0
            run.grads = self._backward(run, plan, seed, params)
            for name in wrt:
                rows[name].append(np.asarray(self._gradient(run, name), dtype=np.float64))
        return {
            name: np.stack(rows[name]).reshape(out_shape + run.given_shapes[name]) for name in wrt
        }


def _check_broadcast(node: GraphNode, ins: Sequence[Array]) -> None:
    """Elementwise operands must agree or be scalars: NumPy would silently broadcast (n,1)+(1,m)."""
    shape = None
    for x in ins:
        if x.shape == (1, 1):
            continue
        if shape is None:
            shape = x.shape
        elif x.shape != shape:
            raise ChainruleError(
                "shape_mismatch",
                f"{node.label}: operands of shapes {[list(a.shape) for a in ins]} do not match",
                hint="elementwise operands need equal shapes (or a scalar)",
            )
