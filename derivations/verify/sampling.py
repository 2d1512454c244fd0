"""Sizes and inputs for numeric checks: distinct sizes, each function's domain, away from kinks.

Distinct sizes (2, 3, 4, …) make a transposition mistake change a shape or a value instead of
hiding. Inputs that reach log, sqrt or a denominator are drawn positive; square matrices under
inv, det and logdet are drawn well-conditioned with a positive determinant. Draws whose
relu/abs/max arguments come close to a kink are rejected, since no derivative exists there.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..expr import nodes as N
from ..expr.functions import FUNCTIONS
from ..expr.program import TypedProgram
from ..printing.numpy_code import HELPERS, NumpyPrinter
from .numeric import load_module

KINK_MARGIN = 1e-2  # larger than the widest finite-difference stencil (2h with h = 1e-3)


def choose_sizes(program: TypedProgram, start: int = 2, reverse: bool = False) -> dict[str, int]:
    """Distinct small sizes, in order of first appearance (or reversed: AᵀA with A (n, m) is
    singular when n < m, so a program that cannot be sampled is retried the other way)."""
    values = [start + i for i in range(len(program.dims))]
    if reverse:
        values.reverse()
    return {str(d): v for d, v in zip(program.dims, values, strict=True)}


def concrete_shape(var: N.Var, sizes: dict[str, int]) -> tuple[int, ...]:
    def val(e: sp.Expr) -> int:
        return int(e.subs({sp.Symbol(k, integer=True, positive=True): v for k, v in sizes.items()}))

    rows, cols = (val(d) for d in var.shape)
    if var.is_scalar:
        return ()
    if cols == 1 and var.shape[1] == 1:
        return (rows,)
    return (rows, cols)


def _sensitive_inputs(program: TypedProgram) -> tuple[set[str], set[str]]:
    """Inputs to draw positive, and square matrices to draw well-conditioned."""
    positive: set[str] = set()
    conditioned: set[str] = set()
    root = program.inlined()
    for node in N.walk(root):
        if (
            isinstance(node, N.Apply)
            and FUNCTIONS[node.fn].domain == "positive"
            or isinstance(node, N.Apply)
            and node.fn == "pow"
        ):
            positive |= N.free_vars(node.children[0])
        elif isinstance(node, N.Div):
            positive |= N.free_vars(node.children[1])
        elif isinstance(node, N.Inverse | N.Det | N.LogDet):
            conditioned |= N.free_vars(node.children[0])
        elif isinstance(node, N.Norm2):
            positive |= N.free_vars(node.children[0])
    return positive, conditioned


def kink_arguments(program: TypedProgram) -> list[N.Node]:
    """The expressions that must stay away from zero: relu/abs arguments, max/min differences."""
    out: list[N.Node] = []
    root = program.inlined()
    extra = [program.inlined(d.ref) for d in program.definitions]
    for node in [n for r in [root, *extra] for n in N.walk(r)]:
        if isinstance(node, N.Apply):
            kinks = FUNCTIONS[node.fn].kinks
            if kinks == "zero":
                out.append(node.children[0])
            elif kinks == "tie":
                a, b = node.children
                out.append(N.Add(a, N.Neg(b)))
    return out


def matrix_arguments(program: TypedProgram) -> list[N.Node]:
    """The matrices that inv, det and logdet see: they must be well-conditioned at the draw."""
    root = program.inlined()
    return [n.children[0] for n in N.walk(root) if isinstance(n, N.Inverse | N.Det | N.LogDet)]


def compile_nodes(program: TypedProgram, nodes: list[N.Node]) -> object:
    """A NumPy function of the inputs returning the values of ``nodes`` (our own printer's code)."""
    printer = NumpyPrinter()
    params = ", ".join(program.inputs)
    lines = [f"def _evaluate({params}):"]
    # Only the intermediates the nodes read (names a result introduced, such as p = softmax(z)
    # or a centering matrix, may use sizes this function does not bind).
    bodies = {d.name: d.node for d in program.definitions}
    needed: set[str] = set()
    frontier = [v for n in nodes for v in N.free_vars(n) if v in bodies]
    while frontier:
        name = frontier.pop()
        if name not in needed:
            needed.add(name)
            frontier.extend(v for v in N.free_vars(bodies[name]) if v in bodies)
    lines += [
        f"    {d.name} = {printer.doprint(d.node)}" for d in program.definitions if d.name in needed
    ]
    lines.append("    return [" + ", ".join(printer.doprint(n) for n in nodes) + "]")
    helpers = "\n\n".join(HELPERS[h] for h in sorted(printer.helpers))
    source = "import numpy as np\n\n" + helpers + "\n\n" + "\n".join(lines)
    return load_module(source)["_evaluate"]


_RANGES = [(0.5, 1.5), (-1.5, -0.5), (3.5, 5.5), (-5.5, -3.5), (10.0, 20.0)]


def _finite_derivatives(fn: object, inputs: dict[str, object]) -> bool:
    try:
        out = fn(**inputs)  # type: ignore[operator]
    except (FloatingPointError, ValueError, ZeroDivisionError, np.linalg.LinAlgError):
        return False
    grads = out[1] if isinstance(out, tuple) else out
    return all(np.all(np.isfinite(np.asarray(g, dtype=float))) for g in grads.values())


def draw_inputs(
    program: TypedProgram,
    sizes: dict[str, int],
    rng: np.random.Generator,
    value_fn: object,
    attempts: int = 50,
    derivatives_fn: object | None = None,
) -> tuple[dict[str, np.ndarray | float] | None, str]:
    """Inputs in every function's domain and away from kinks, or None with the reason.

    With ``derivatives_fn`` (the generated value_and_grad or jacobian), a draw where the
    derivative itself is undefined, such as ‖relu(x)‖ with every x < 0 (the norm at 0), is
    redrawn too: no check can compare anything there.
    """
    program = program.as_written  # the domain is that of what the user wrote
    positive, conditioned = _sensitive_inputs(program)
    kinks = kink_arguments(program)
    kink_fn = compile_nodes(program, kinks) if kinks else None
    matrices = matrix_arguments(program)
    matrix_fn = compile_nodes(program, matrices) if matrices else None
    reason = "no draw gave finite values"
    for attempt in range(attempts):
        # Positive first; then other ranges, for domains like log(-x) or sqrt(x - 3).
        low, high = _RANGES[(attempt // 5) % len(_RANGES)]
        inputs: dict[str, np.ndarray | float] = {}
        for name, var in program.inputs.items():
            shape = concrete_shape(var, sizes)
            if name in conditioned and len(shape) == 2 and shape[0] == shape[1]:
                n = shape[0]
                a = np.eye(n) + 0.3 * rng.standard_normal(shape) / np.sqrt(n)
                if np.linalg.det(a) < 0.2:
                    a[:, 0] = -a[:, 0] if np.linalg.det(a) < 0 else a[:, 0]
                inputs[name] = a
            elif name in positive:
                inputs[name] = (
                    rng.uniform(low, high, size=shape) if shape else float(rng.uniform(low, high))
                )
            else:
                # Spread away from 0 so that kinks at 0 are easy to avoid.
                values = rng.standard_normal(shape) if shape else float(rng.standard_normal())
                inputs[name] = values
        with np.errstate(all="ignore"):
            try:
                value = np.asarray(value_fn(**inputs), dtype=float)  # type: ignore[operator]
            except (FloatingPointError, ValueError, np.linalg.LinAlgError, ZeroDivisionError):
                continue
            if not np.all(np.isfinite(value)):
                reason = "values were not finite (is the program defined on random inputs?)"
                continue
            if matrix_fn is not None:
                conditions = [
                    np.linalg.cond(np.asarray(m, dtype=float)) for m in matrix_fn(**inputs)
                ]  # type: ignore[operator]
                if max(conditions) > 1e6:
                    reason = "every draw made a matrix under inv/det/logdet singular at these sizes"
                    continue
            if kink_fn is not None:
                margins = [np.min(np.abs(np.asarray(v, dtype=float))) for v in kink_fn(**inputs)]  # type: ignore[operator]
                if min(margins) < KINK_MARGIN:
                    reason = "every draw came close to a kink of relu/abs/max/min"
                    continue
            if derivatives_fn is not None and not _finite_derivatives(derivatives_fn, inputs):
                reason = "every draw hit a point where the derivative is undefined"
                continue
        return inputs, f"drawn on attempt {attempt + 1}"
    return None, reason
