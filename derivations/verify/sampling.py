"""Sizes and inputs for numeric checks: sizes that expose mistakes, domains as wide as defined.

Sizes: every dimension is at least 3, all are distinct, and no sum of two dimensions equals a
product of two (n + n = n·n at n = 2 hid a mean that counted n + m entries); each program is
checked at two such assignments (the grader at three) in which every dimension takes a new value
and the sums and products of the sizes change too (the second in decreasing order), so a
transposition, a miscount or a factor such as n·B/12 changes a shape or a value instead of
hiding.

Domains: inputs are drawn positive only where a function's domain needs it (the arguments of
log, sqrt and fractional powers). Everywhere else signs are free: under a denominator or a norm
the magnitudes stay away from zero (poles) with both signs drawn; square matrices under inv,
det and logdet are drawn well-conditioned with determinants of both signs (logdet is log|det|).
Draws close to a kink of relu/abs/max/min or to a pole are rejected. A variable declared with a
kind is drawn on that kind (``verify/kinds.py``): one-hot, on the simplex, symmetric, ...
Weight matrices that feed a softmax are scaled by 1/√(fan-in) as Xavier's initialisation does,
and draws that still saturate a softmax are rejected (``verify/conditioning.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np
import sympy as sp

from ..expr import nodes as N
from ..expr.axis_nodes import AxisMax
from ..expr.broadcast import unspread
from ..expr.program import TypedProgram
from ..language.indexing import SMALLEST_SIZE
from ..ops.indexing import Index, OneHot
from ..ops.registry import function_spec, node_spec
from ..printing.latex import latex
from ..printing.module import size_binding
from ..printing.numpy_code import NumpyPrinter, numpy_source
from ..printing.unicode import to_unicode
from .conditioning import SATURATED, saturation_check, xavier_scales
from .kinds import draw_kind
from .numeric import load_module

# The sizes live in sizes.py; the checks and tests import them with the draws, from here.
from .sizes import (  # noqa: F401
    GRADING_SIZE_SETS,
    MAX_EXPOSING,
    SIZE_SETS,
    choose_sizes,
    good_sizes,
)

KINK_MARGIN = 1e-2  # larger than the widest finite-difference stencil (2h with h = 1e-3)
POLE_MARGIN = 0.25  # denominators and norms this far from zero (inputs are ~1 in size)


def exact_sizes(program: TypedProgram, order: dict[str, int] | None = None) -> dict[str, int]:
    """Sizes for the exact check: distinct and as small as possible (2, 3, 4, …), since its cost
    grows fast with size, in the order of ``order`` (the sizes a numeric draw succeeded at, so
    AᵀA stays invertible); the smallest go to the dimensions of square matrices under
    inv/det/logdet, whose exact inverse grows fastest. (The numeric checks, which cost little,
    run at the exposing sizes of ``choose_sizes``.)"""
    order = order or {}
    domain = domain_of(program)
    square: set[str] = set()
    for name in domain.conditioned:
        rows, cols = program.inputs[name].shape
        if rows == cols:
            square |= {str(s) for s in rows.free_symbols}
    dims = sorted((str(d) for d in program.dims), key=lambda d: (d not in square, order.get(d, 0)))
    # An integer index into a symbolic size is at most 2 (language/indexing.py): sizes from 3.
    smallest = SMALLEST_SIZE if _picks_integers(program) else 2
    return {d: smallest + i for i, d in enumerate(dims)}


def _picks_integers(program: TypedProgram) -> bool:
    for node in N.walk(program.inlined()):
        picks = node.params if isinstance(node, Index) else ()
        picks += (node.params[1],) if isinstance(node, OneHot) else ()
        if any(p[0] == "at" for p in picks) or isinstance(node, N.Slice):
            return True
    return False


def label_classes(program: TypedProgram, name: str, sizes: dict[str, int]) -> int:
    """How many classes a label variable has at these sizes."""
    classes = program.declaration(name).classes
    assert classes is not None, name
    return int(classes) if classes.isdigit() else sizes[classes]


def concrete_shape(var: N.Var, sizes: dict[str, int]) -> tuple[int, ...]:
    def val(e: sp.Expr) -> int:
        return int(e.subs({sp.Symbol(k, integer=True, positive=True): v for k, v in sizes.items()}))

    rows, cols = (val(d) for d in var.shape)
    if var.is_scalar:
        return ()
    if cols == 1 and var.shape[1] == 1:
        return (rows,)
    return (rows, cols)


@dataclass
class Domain:
    """Where each input may be drawn: ``positive`` (log, sqrt), ``nonzero`` (either sign, away
    from zero: under a denominator or a norm), ``conditioned`` (matrices under inv/det/logdet)."""

    positive: set[str]
    nonzero: set[str]
    conditioned: set[str]


def _integer_exponent(node: N.Node) -> bool:
    return isinstance(node, N.Const) and node.value.is_integer is True


def domain_of(program: TypedProgram) -> Domain:
    positive: set[str] = set()
    nonzero: set[str] = set()
    conditioned: set[str] = set()
    for node in N.walk(program.inlined()):
        domain = node_spec(node).domain
        if isinstance(node, N.Apply) and function_spec(node.fn).domain == "positive":
            positive |= N.free_vars(node.children[0])
        elif isinstance(node, N.Apply) and node.fn == "pow":
            base, exponent = node.children
            if _integer_exponent(exponent):
                (nonzero if exponent.value < 0 else set()).update(N.free_vars(base))
            else:
                positive |= N.free_vars(base)
        elif isinstance(node, N.Div):
            nonzero |= N.free_vars(node.children[1])
        elif domain == "conditioned":
            conditioned |= N.free_vars(node.children[0])
        elif domain == "nonzero":
            nonzero |= N.free_vars(node.children[0])
    return Domain(positive, nonzero - positive, conditioned)


def _sensitive_inputs(program: TypedProgram) -> tuple[set[str], set[str]]:
    """Inputs to draw positive, and square matrices to draw well-conditioned."""
    d = domain_of(program)
    return d.positive, d.conditioned


def kink_arguments(program: TypedProgram) -> list[N.Node]:
    """The expressions that must stay away from zero: relu/abs arguments, max/min differences."""
    out: list[N.Node] = []
    root = program.inlined()
    extra = [program.inlined(d.ref) for d in program.definitions]
    for node in [n for r in [root, *extra] for n in N.walk(r)]:
        if isinstance(node, N.Apply):
            kinks = function_spec(node.fn).kinks
            if kinks == "zero":
                out.append(node.children[0])
            elif kinks == "tie":
                a, b = node.children
                out.append(N.Add(a, N.Neg(b)))
    return out


def tie_arguments(program: TypedProgram) -> list[AxisMax]:
    """The maxima along an axis: the two largest entries of each row or column must differ
    (at a tie max has no derivative, as max(a, b) has none at a = b)."""
    roots = [program.inlined(), *(program.inlined(d.ref) for d in program.definitions)]
    return [n for r in roots for n in N.walk(r) if isinstance(n, AxisMax)]


def _gaps(fn: object, nodes: list[AxisMax]) -> object:
    """A function of the inputs giving, per max, the gap between the two largest entries."""

    def gaps(**inputs: object) -> list[np.ndarray]:
        out = []
        for value, node in zip(fn(**inputs), nodes, strict=True):  # type: ignore[operator]
            v = np.asarray(value, dtype=float)
            axis = 0 if v.ndim == 1 else node.axis
            if v.shape[axis] < 2:
                continue
            top = np.sort(v, axis=axis)
            out.append(np.take(top, -1, axis=axis) - np.take(top, -2, axis=axis))
        return out

    return gaps


def matrix_arguments(program: TypedProgram) -> list[N.Node]:
    """The matrices that inv, det and logdet see: they must be well-conditioned at the draw."""
    root = program.inlined()
    return [n.children[0] for n in N.walk(root) if node_spec(n).domain == "conditioned"]


def compile_nodes(
    program: TypedProgram, nodes: list[N.Node], sizes: dict[str, int] | None = None
) -> object:
    """A NumPy function of the inputs returning the values of ``nodes`` (our own printer's code);
    ``sizes`` bind the dimensions a node uses as numbers (sum(x) / n)."""
    printer = NumpyPrinter()
    params = ", ".join(program.inputs)
    lines = [f"def _evaluate({params}):"]
    lines += [f"    {name} = {int(size)}" for name, size in (sizes or {}).items()]
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
    # A size in a node (batch norm's σ = √(1/B C∘² 𝟏) is a pole argument) is read off the
    # inputs' shapes, as in the generated module; unbound, every draw raised a NameError.
    text = "\n".join(lines[1:])
    sizes = [
        f"    {d} = {size_binding(program.inputs, d)}"
        for d in program.dims
        if re.search(rf"\b{re.escape(str(d))}\b", text)
    ]
    lines[1:1] = sizes
    return load_module(numpy_source(printer, "\n".join(lines)))["_evaluate"]


_RANGES = [(0.5, 1.5), (-1.5, -0.5), (3.5, 5.5), (-5.5, -3.5), (10.0, 20.0)]


def _finite_derivatives(fn: object, inputs: dict[str, object]) -> bool:
    try:
        out = fn(**inputs)  # type: ignore[operator]
    except (FloatingPointError, ZeroDivisionError, np.linalg.LinAlgError):
        return False
    grads = out[1] if isinstance(out, tuple) else out
    return all(np.all(np.isfinite(np.asarray(g, dtype=float))) for g in grads.values())


def pole_arguments(program: TypedProgram) -> list[N.Node]:
    """The values that must stay away from zero: denominators, norms, bases of negative powers."""
    out: list[N.Node] = []
    for node in N.walk(program.inlined()):
        if isinstance(node, N.Div):
            out.append(unspread(node.children[1]))  # b 𝟏ᵀ is zero where b is
        elif node_spec(node).domain == "nonzero":  # a norm
            out.append(node)
        elif isinstance(node, N.Apply) and node.fn == "pow":
            base, exponent = node.children
            if _integer_exponent(exponent) and exponent.value < 0:
                out.append(base)
    return out


def _matrix(rng: np.random.Generator, n: int, negative: bool) -> np.ndarray:
    """A well-conditioned n×n matrix near the identity with the determinant's sign chosen."""
    a = np.eye(n) + 0.3 * rng.standard_normal((n, n)) / np.sqrt(n)
    if (np.linalg.det(a) < 0) != negative:
        a[:, 0] = -a[:, 0]
    return a


def _draw(
    program: TypedProgram,
    sizes: dict[str, int],
    rng: np.random.Generator,
    domain: Domain,
    attempt: int,
    negative_det: bool,
    scales: dict[str, float],
) -> dict[str, np.ndarray | float]:
    # Positive first; then other ranges, for domains like log(-x) or sqrt(x - 3).
    low, high = _RANGES[(attempt // 5) % len(_RANGES)]
    inputs: dict[str, np.ndarray | float] = {}
    for name, var in program.inputs.items():
        shape = concrete_shape(var, sizes)
        kind = program.kind(name)
        if kind == "label":  # an integer class index, every class as likely
            inputs[name] = int(rng.integers(label_classes(program, name, sizes)))
            continue
        conditioned = name in domain.conditioned and len(shape) == 2 and shape[0] == shape[1]
        if conditioned and kind is None:
            inputs[name] = _matrix(rng, shape[0], negative_det)
            continue
        if name in domain.positive:
            values = rng.uniform(low, high, size=shape)
        elif name in domain.nonzero:
            lo, hi = sorted((abs(low), abs(high)))
            values = rng.uniform(lo, hi, size=shape) * rng.choice([-1.0, 1.0], size=shape)
        else:
            values = rng.standard_normal(shape)
        if kind is None:  # Xavier's 1/√(fan-in) for a weight that feeds a softmax
            values = values * scales.get(name, 1.0)
        else:  # one-hot, simplex, symmetric, ...: the kind's own points
            values = draw_kind(
                kind,
                np.asarray(values),
                rng,
                conditioned,
                negative_det,
                name in domain.positive,
                program.axes.get(name),
            )
        inputs[name] = values if shape else float(values)
    return inputs


def _rejected(
    inputs: dict[str, object],
    value_fn: object,
    checks: list[tuple[object | None, str]],
    derivatives_fn: object | None,
) -> str | None:
    """Why a draw cannot be used, or None when it can."""
    try:
        value = np.asarray(value_fn(**inputs), dtype=float)  # type: ignore[operator]
    except Exception as exc:  # noqa: BLE001 - judged as a failed check, with the message
        return f"the generated value() raised {type(exc).__name__}: {exc}"[:300]
    if not np.all(np.isfinite(value)):
        return "values were not finite (is the program defined on random inputs?)"
    for fn, kind in checks:
        if fn is None:
            continue
        try:
            values = [np.asarray(v, dtype=float) for v in fn(**inputs)]  # type: ignore[operator]
        except Exception:  # noqa: BLE001
            return f"every draw made a {kind} undefined"
        if kind == "matrix":
            if max(np.linalg.cond(m) for m in values) > 1e6:
                return "every draw made a matrix under inv/det/logdet singular at these sizes"
        elif min(float(np.min(np.abs(v), initial=np.inf)) for v in values) < (
            KINK_MARGIN if kind == "kink" else POLE_MARGIN
        ):
            return f"every draw came close to a {kind} (relu/abs/max/min kinks, zero denominators or norms)"
    if derivatives_fn is not None:
        try:
            finite = _finite_derivatives(derivatives_fn, inputs)
        except Exception as exc:  # noqa: BLE001 - judged as a failed check, with the message
            return f"the generated derivatives raised {type(exc).__name__}: {exc}"[:300]
        if not finite:
            return "every draw hit a point where the derivative is undefined"
    return None


def draw_inputs(
    program: TypedProgram,
    sizes: dict[str, int],
    rng: np.random.Generator,
    value_fn: object,
    attempts: int = 50,
    derivatives_fn: object | None = None,
    negative_det_first: bool = False,
) -> tuple[dict[str, np.ndarray | float] | None, str]:
    """Inputs in every function's domain and away from kinks and poles, or None with the reason.

    A draw that saturates a softmax is redrawn too; if every draw does, the first that is
    otherwise fine is returned (``conditioning.py``). With ``derivatives_fn`` (the generated value_and_grad or jacobian), a draw where the
    derivative itself is undefined, such as ‖relu(x)‖ with every x < 0 (the norm at 0), is
    redrawn too: no check can compare anything there. Determinants alternate in sign from
    attempt to attempt, starting negative with ``negative_det_first``.
    """
    program = program.as_written  # the domain is that of what the user wrote
    domain = domain_of(program)

    def compiled(nodes: list[N.Node]) -> object | None:
        return compile_nodes(program, nodes, sizes) if nodes else None

    ties = tie_arguments(program)
    checks = [
        (compiled(matrix_arguments(program)), "matrix"),
        (compiled(kink_arguments(program)), "kink"),
        (compiled(pole_arguments(program)), "pole"),
        (_gaps(compiled([t.children[0] for t in ties]), ties) if ties else None, "kink"),
    ]
    saturated = saturation_check(compiled, program)
    scales = xavier_scales(program, sizes)
    reason = "no draw gave finite values"
    fallback: tuple[dict[str, np.ndarray | float], str] | None = None
    for attempt in range(attempts):
        negative = (attempt % 2 == 0) == negative_det_first
        inputs = _draw(program, sizes, rng, domain, attempt, negative, scales)
        with np.errstate(all="ignore"):
            why = _rejected(inputs, value_fn, checks, derivatives_fn)
            if why is None and saturated is not None and saturated(inputs):
                why = SATURATED
                fallback = fallback or (inputs, f"{SATURATED}; drawn on attempt {attempt + 1}")
        if why is None:
            return inputs, f"drawn on attempt {attempt + 1}"
        reason = why
    if fallback:
        return fallback
    if program.kinds and ("close to a" in reason or "derivative is undefined" in reason):
        reason = _singular_on_kinds(program, sizes, rng, value_fn, checks, derivatives_fn) or reason
    return None, reason


NOT_DIFFERENTIABLE = "not differentiable at any point of the declared kinds"
_OFF_KIND_ATTEMPTS = 10
_ZERO = 1e-9  # identically zero on the kind, up to rounding (not merely near a pole)


def _singular_on_kinds(
    program: TypedProgram,
    sizes: dict[str, int],
    rng: np.random.Generator,
    value_fn: object,
    checks: list[tuple[object | None, str]],
    derivatives_fn: object | None,
) -> str | None:
    """Why no draw on the kinds can be used, when off the kinds one can: every point of the
    kind is a point where the program has no derivative (‖A − Aᵀ‖ is 0 for every symmetric
    A, and the norm's gradient at 0 is undefined). No formula can be checked there, and none
    is wrong for it: the verdict says so instead of "every draw came close to a pole"."""
    free = replace(
        program,
        declarations={n: replace(d, kind=None, axis=None) for n, d in program.declarations.items()},
    )
    domain = domain_of(free)
    for attempt in range(_OFF_KIND_ATTEMPTS):
        inputs = _draw(
            free, sizes, rng, domain, attempt, attempt % 2 == 1, xavier_scales(free, sizes)
        )
        with np.errstate(all="ignore"):
            if _rejected(inputs, value_fn, checks, derivatives_fn) is None:
                break
    else:
        return None  # singular off the kinds too: the kinds are not the reason
    kinds = ", ".join(f"{name} {kind}" for name, kind in program.kinds.items())
    at = _draw(program, sizes, rng, domain_of(program), 0, False, xavier_scales(program, sizes))
    zero = _zero_on_kind(program, sizes, at)
    where = f": {zero} is 0 for every such input" if zero else ""
    return (
        f"{NOT_DIFFERENTIABLE} ({kinds}){where}, where its derivative is undefined (a norm, a "
        "denominator or a kink at 0). This is no wrong formula: there is no derivative on the "
        "kind to check. Declare the inputs without their kinds to check the formula off them."
    )


def _zero_on_kind(program: TypedProgram, sizes: dict[str, int], inputs: dict) -> str | None:
    """The first denominator, norm or kink argument that is 0 at a draw on the kinds."""
    for node in [*pole_arguments(program), *kink_arguments(program)]:
        fn = compile_nodes(program, [node], sizes)
        with np.errstate(all="ignore"):
            try:
                (value,) = fn(**inputs)  # type: ignore[operator]
            except Exception:  # noqa: BLE001 - a node undefined there is no answer
                continue
        if np.max(np.abs(np.asarray(value, dtype=float)), initial=0.0) < _ZERO:
            return to_unicode(latex(node))
    return None
