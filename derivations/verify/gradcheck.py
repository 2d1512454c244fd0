"""Gradient checking for plain Python functions of NumPy arrays (and for chainrule programs).

A checker compares an analytic gradient with a numeric one and says how far apart they are,
using the relative error |a − n| / max(|a|, |n|, floor) and the CS231n verdict bands. Three
numeric methods: central differences over every entry (exact enough for float64 with ε = 1e-6,
O(entries) calls of f), random directional derivatives (a handful of calls, so 10⁶ parameters
are fine; a wrong gradient is caught with probability 1 by a random direction), and the complex
step (no subtractive cancellation, so accurate to machine precision, but only valid when f is
analytic along the path: no abs/max/relu/comparisons, no ``.real``; the caller decides).

Finite differences across a kink (relu, abs, max/min ties, leaky ReLU) measure an average of two
one-sided slopes, which is no derivative at all. When the caller provides the kink arguments
(``kink_ops``: inputs -> the values whose zero is a kink), every entry whose ±ε evaluation moves
a kink argument across or to within ``kink_tol`` of zero is *flagged* and left out of the
verdict instead of being reported as a failure. ``program_kinks`` builds that function for a
chainrule program with the engine; ``near_kink`` tells a caller to redraw its inputs.

Functions take a dict {name: value} and return a float; vectors are 1-D, matrices 2-D arrays,
scalars floats.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Inputs = Mapping[str, Any]
Function = Callable[[dict[str, Any]], float]
KinkFunction = Callable[[dict[str, Any]], Any]

EPS64 = float(np.finfo(np.float64).eps)

# CS231n bands, worst first: (lower bound of the band, verdict).
BANDS: tuple[tuple[float, str], ...] = (
    (1e-2, "probably wrong"),
    (1e-4, "suspicious"),
    (1e-7, "ok for kinked/float functions"),
    (0.0, "good"),
)


def verdict(max_rel_error: float) -> str:
    """The CS231n reading of a relative error: > 1e-2 probably wrong … < 1e-7 good."""
    if not np.isfinite(max_rel_error):
        return "probably wrong"
    for bound, text in BANDS:
        if max_rel_error > bound:
            return text
    return "good"


@dataclass
class RelativeError:
    errors: np.ndarray  # elementwise relative errors
    max_rel_error: float
    worst_index: tuple[int, ...] | None  # None when there are no entries
    verdict: str


def relative_error(a: Any, n: Any, floor: float = 1e-12) -> RelativeError:
    """Elementwise |a − n| / max(|a|, |n|, floor); the floor keeps 0 vs 1e-300 from blowing up."""
    a = np.asarray(a, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    errors = np.abs(a - n) / np.maximum(np.maximum(np.abs(a), np.abs(n)), floor)
    errors = np.where(np.isnan(errors), np.inf, errors)  # nan on either side is a failure
    if errors.size == 0:
        return RelativeError(errors, 0.0, None, "good")
    flat = int(np.argmax(errors))
    worst = tuple(int(i) for i in np.unravel_index(flat, errors.shape))
    top = float(errors.reshape(-1)[flat])
    return RelativeError(errors, top, worst, verdict(top))


@dataclass
class GradCheckReport:
    passed: bool
    max_rel_error: float
    worst: tuple[str, tuple[int, ...] | None] | None  # (input name, entry index)
    verdict: str
    flagged_kinks: list[tuple[str, tuple[int, ...]]] = field(default_factory=list)
    method: str = "central"
    errors: dict[str, np.ndarray] = field(default_factory=dict)  # elementwise, per input
    numeric: dict[str, Any] = field(default_factory=dict)  # the numeric gradients (or <g, v>)
    problems: list[str] = field(default_factory=list)  # e.g. a gradient of the wrong shape

    def __str__(self) -> str:
        status = "passed" if self.passed else "FAILED"
        text = (
            f"gradient check ({self.method}) {status}: max relative error {self.max_rel_error:.3g}"
        )
        text += f" ({self.verdict})"
        if self.worst is not None:
            text += f", worst at {self.worst[0]}{list(self.worst[1] or ())}"
        if self.flagged_kinks:
            text += f"; {len(self.flagged_kinks)} entries near a kink were not judged"
        return "\n".join([text, *self.problems])


# --- evaluation helpers ----------------------------------------------------------------------


def _arrays(inputs: Inputs, dtype: type = np.float64) -> tuple[dict[str, np.ndarray], set[str]]:
    """Private copies (0-d arrays for scalars) that the checker may perturb in place."""
    arrays = {name: np.array(value, dtype=dtype) for name, value in inputs.items()}
    scalars = {name for name, value in inputs.items() if np.ndim(value) == 0}
    return arrays, scalars


def _call(
    f: Callable[[dict[str, Any]], Any], arrays: dict[str, np.ndarray], scalars: set[str]
) -> Any:
    # Scalars go back as Python numbers, the form the caller gave them in.
    return f({k: (v[()] if k in scalars else v) for k, v in arrays.items()})


def _kink_values(
    kinks: KinkFunction, arrays: dict[str, np.ndarray], scalars: set[str]
) -> np.ndarray:
    # Copies: a kink function may return views of the very arrays the checker perturbs next.
    out = _call(kinks, arrays, scalars)
    if isinstance(out, np.ndarray | float | int):
        return np.array(out, dtype=np.float64).ravel()
    parts = [np.array(p, dtype=np.float64).ravel() for p in out]
    return np.concatenate(parts) if parts else np.zeros(0)


def _crosses(before: np.ndarray, after: np.ndarray, tol: float) -> bool:
    """Did a perturbation move a kink argument across zero, or to within tol of it?"""
    moved = before != after
    if not np.any(moved):
        return False
    crossed = np.sign(before) != np.sign(after)
    close = np.minimum(np.abs(before), np.abs(after)) <= tol
    return bool(np.any(moved & (crossed | close)))


def _wrt(inputs: Inputs, wrt: Sequence[str] | None) -> list[str]:
    names = list(inputs) if wrt is None else list(wrt)
    unknown = [n for n in names if n not in inputs]
    if unknown:
        raise KeyError(f"no input named {', '.join(unknown)}; inputs are {', '.join(inputs)}")
    return names


def _shaped(grad: np.ndarray, scalar: bool) -> Any:
    return float(grad) if scalar else grad


def _central(
    f: Function,
    inputs: Inputs,
    wrt: Sequence[str],
    eps: float,
    kinks: KinkFunction | None = None,
    kink_tol: float | None = None,
) -> tuple[dict[str, np.ndarray], list[tuple[str, tuple[int, ...]]], float]:
    """Central differences, the entries flagged near kinks, and the largest |f| seen."""
    arrays, scalars = _arrays(inputs)
    tol = 10 * eps if kink_tol is None else kink_tol
    grads: dict[str, np.ndarray] = {}
    flagged: list[tuple[str, tuple[int, ...]]] = []
    fscale = abs(float(_call(f, arrays, scalars)))
    for name in wrt:
        x = arrays[name]
        grad = np.zeros_like(x)
        for index in np.ndindex(x.shape):
            old = x[index]
            x[index] = old + eps
            fp = float(_call(f, arrays, scalars))
            kp = _kink_values(kinks, arrays, scalars) if kinks else None
            x[index] = old - eps
            fm = float(_call(f, arrays, scalars))
            km = _kink_values(kinks, arrays, scalars) if kinks else None
            x[index] = old
            grad[index] = (fp - fm) / (2 * eps)
            fscale = max(fscale, abs(fp), abs(fm))
            if kp is not None and km is not None and _crosses(km, kp, tol):
                flagged.append((name, tuple(int(i) for i in index)))
        grads[name] = grad
    return grads, flagged, fscale


def numeric_gradient(
    f: Function, inputs: Inputs, wrt: Sequence[str] | None = None, eps: float = 1e-6
) -> dict[str, Any]:
    """Two-sided central differences (f(x+ε) − f(x−ε)) / 2ε over every entry of each input."""
    _positive_step("eps", eps)
    names = _wrt(inputs, wrt)
    grads, _, _ = _central(f, inputs, names, eps)
    return {n: _shaped(grads[n], np.ndim(inputs[n]) == 0) for n in names}


def complex_step_gradient(
    f: Function, inputs: Inputs, wrt: Sequence[str] | None = None, h: float = 1e-30
) -> dict[str, Any]:
    """Im f(x + ih·eₖ) / h for every entry: exact to round-off, no cancellation.

    Valid only when f is analytic along the path and written with complex-safe operations
    (no abs, max, relu, comparisons, ``np.real``, or in-place float casts): the caller decides.
    """
    _positive_step("h", h)
    names = _wrt(inputs, wrt)
    arrays, scalars = _arrays(inputs, np.complex128)
    grads: dict[str, Any] = {}
    for name in names:
        x = arrays[name]
        grad = np.zeros(x.shape)
        for index in np.ndindex(x.shape):
            old = x[index]
            x[index] = old + 1j * h
            grad[index] = np.imag(_call(f, arrays, scalars)) / h
            x[index] = old
        grads[name] = _shaped(grad, name in scalars)
    return grads


def _noise_floor(fscale: float, eps: float, rtol: float) -> float:
    # Central differences carry round-off ≈ ε_mach·|f| / ε; dividing by rtol makes round-off
    # alone unable to fail an entry, so tiny true gradients are judged in absolute terms. The
    # scale is |f| itself (not max(1, |f|)): a function of size 1e-24 resolves gradients of
    # size 1e-12 perfectly well, and a sign error there must not pass.
    return max(np.finfo(np.float64).tiny, 10 * EPS64 * fscale / eps / rtol)


def _positive_step(name: str, value: float) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite step, got {value!r}")


def _shape_problems(analytic: Mapping[str, Any], inputs: Inputs, wrt: Sequence[str]) -> list[str]:
    problems = []
    for name in wrt:
        if name not in analytic:
            problems.append(f"no analytic gradient for {name}")
        elif np.shape(analytic[name]) != np.shape(inputs[name]):
            problems.append(
                f"the gradient of {name} has shape {list(np.shape(analytic[name]))} but {name} has "
                f"shape {list(np.shape(inputs[name]))} (transposed?)"
            )
    return problems


def _failed_shapes(problems: list[str], method: str, name: str) -> GradCheckReport:
    return GradCheckReport(
        False, float("inf"), (name, None), "probably wrong", [], method, problems=problems
    )


def _report(
    analytic: Mapping[str, Any],
    numeric: Mapping[str, Any],
    wrt: Sequence[str],
    floor: float,
    rtol: float,
    flagged: list[tuple[str, tuple[int, ...]]],
    method: str,
) -> GradCheckReport:
    errors: dict[str, np.ndarray] = {}
    worst: tuple[str, tuple[int, ...] | None] | None = None
    top = 0.0
    skip = set(flagged)
    for name in wrt:
        err = relative_error(analytic[name], numeric[name], floor).errors
        for index in np.ndindex(err.shape):
            if (name, tuple(int(i) for i in index)) in skip:
                err[index] = 0.0
        errors[name] = err
        if err.size:
            flat = int(np.argmax(err))
            if worst is None or err.reshape(-1)[flat] > top:
                top = float(err.reshape(-1)[flat])
                worst = (name, tuple(int(i) for i in np.unravel_index(flat, err.shape)))
    return GradCheckReport(
        top <= rtol, top, worst, verdict(top), list(flagged), method, errors, dict(numeric)
    )


def directional_check(
    f: Function,
    grads: Mapping[str, Any],
    inputs: Inputs,
    n_directions: int = 3,
    eps: float = 1e-6,
    rng: np.random.Generator | int | None = None,
    *,
    rtol: float = 1e-5,
    floor: float | None = None,
    kink_ops: KinkFunction | None = None,
    kink_tol: float | None = None,
) -> GradCheckReport:
    """Compare ⟨g, v⟩ with (f(x+εv) − f(x−εv)) / 2ε along random unit directions v.

    Two calls of f per direction whatever the number of parameters. ``worst`` names the
    direction ("direction", (k,)); a direction that crosses a kink is flagged, not judged.
    """
    if not isinstance(n_directions, int) or n_directions < 1:
        raise ValueError(f"n_directions must be a positive integer, got {n_directions!r}")
    _positive_step("eps", eps)
    wrt = _wrt(inputs, list(grads))
    problems = _shape_problems(grads, inputs, wrt)
    if problems:
        return _failed_shapes(problems, "directional", wrt[0])
    generator = np.random.default_rng(rng)
    arrays, scalars = _arrays(inputs)
    base = {name: arrays[name].copy() for name in wrt}
    tol = 10 * eps if kink_tol is None else kink_tol
    analytic, numeric = [], []
    flagged: list[tuple[str, tuple[int, ...]]] = []
    fscale = abs(float(_call(f, arrays, scalars)))
    for k in range(n_directions):
        v = {name: generator.standard_normal(base[name].shape) for name in wrt}
        norm = np.sqrt(sum(float(np.sum(d * d)) for d in v.values())) or 1.0
        v = {name: d / norm for name, d in v.items()}
        analytic.append(sum(float(np.sum(np.asarray(grads[n]) * v[n])) for n in wrt))
        values = []
        kink_args = []
        for sign in (1.0, -1.0):
            for name in wrt:
                arrays[name][...] = base[name] + sign * eps * v[name]
            values.append(float(_call(f, arrays, scalars)))
            if kink_ops is not None:
                kink_args.append(_kink_values(kink_ops, arrays, scalars))
        for name in wrt:
            arrays[name][...] = base[name]
        numeric.append((values[0] - values[1]) / (2 * eps))
        fscale = max(fscale, *map(abs, values))
        if kink_args and _crosses(kink_args[1], kink_args[0], tol):
            flagged.append(("direction", (k,)))
    floor = _noise_floor(fscale, eps, rtol) if floor is None else floor
    report = _report(
        {"direction": np.array(analytic)},
        {"direction": np.array(numeric)},
        ["direction"],
        floor,
        rtol,
        flagged,
        "directional",
    )
    return report


def check_gradient(
    f: Function,
    analytic_grads: Mapping[str, Any],
    inputs: Inputs,
    method: str = "central",
    *,
    kink_ops: KinkFunction | None = None,
    kink_tol: float | None = None,
    eps: float | None = None,
    rtol: float = 1e-5,
    floor: float | None = None,
    n_directions: int = 3,
    rng: np.random.Generator | int | None = None,
) -> GradCheckReport:
    """Check ``analytic_grads`` (a dict over the inputs to check) against f numerically.

    ``passed`` means every judged entry has relative error ≤ ``rtol`` (default 1e-5, inside the
    "ok" band: central differences in float64 reach ~1e-8 on smooth functions, a planted mistake
    gives ~1). ``floor`` defaults to the method's round-off level (see ``_noise_floor``).
    """
    if method == "directional":
        return directional_check(
            f, analytic_grads, inputs, n_directions, 1e-6 if eps is None else eps, rng,
            rtol=rtol, floor=floor, kink_ops=kink_ops, kink_tol=kink_tol,
        )  # fmt: skip
    wrt = _wrt(inputs, list(analytic_grads))
    problems = _shape_problems(analytic_grads, inputs, wrt)
    if problems:
        return _failed_shapes(problems, method, wrt[0])
    if method == "central":
        step = 1e-6 if eps is None else eps
        _positive_step("eps", step)
        numeric, flagged, fscale = _central(f, inputs, wrt, step, kink_ops, kink_tol)
        floor = _noise_floor(fscale, step, rtol) if floor is None else floor
    elif method == "complex_step":
        numeric = complex_step_gradient(f, inputs, wrt, 1e-30 if eps is None else eps)
        flagged = []
        if kink_ops is not None:  # the complex step is meaningless at a kink: flag them all
            arrays, scalars = _arrays(inputs)
            tol = 1e-8 if kink_tol is None else kink_tol
            if np.any(np.abs(_kink_values(kink_ops, arrays, scalars)) <= tol):
                flagged = [
                    (n, tuple(int(i) for i in ix))
                    for n in wrt
                    for ix in np.ndindex(np.shape(inputs[n]))
                ]
        gscale = max([1.0, *(float(np.max(np.abs(numeric[n]), initial=0.0)) for n in wrt)])
        floor = max(1e-12, EPS64 * gscale / rtol) if floor is None else floor
    else:
        raise ValueError(
            f"unknown method {method!r}: use 'central', 'directional' or 'complex_step'"
        )
    return _report(analytic_grads, numeric, wrt, floor, rtol, flagged, method)


# --- kinks of chainrule programs -------------------------------------------------------------


def program_kinks(program: Any, indices: Mapping[str, int] | None = None) -> KinkFunction:
    """inputs -> the arguments of every kinked function in a TypedProgram (zero = at a kink).

    relu/abs/leaky_relu/sign contribute their first argument, max/min and the indicators a − b.
    Evaluated with the engine, which is independent of the symbolic derivatives being checked.
    """
    from ..engine import compile_program
    from ..expr import nodes as N
    from ..ops.registry import function_spec

    graph = compile_program(program, indices)
    kinked = [
        node
        for node in graph.nodes
        if node.op is N.Apply and function_spec(node.params[0]).kinks is not None
    ]

    def kinks(inputs: dict[str, Any]) -> list[np.ndarray]:
        values = graph.evaluate(inputs).values
        out = []
        for node in kinked:
            if node.id not in values:
                continue  # not on the output's path
            args = [values[j] for j in node.inputs]
            kind = function_spec(node.params[0]).kinks
            out.append(args[0] if kind == "zero" else args[0] - args[1])
        return out

    return kinks


def near_kink(
    program: Any, inputs: Inputs, tol: float = 1e-5, indices: Mapping[str, int] | None = None
) -> bool:
    """Is any kink argument within tol of its kink at these inputs? (Then redraw the inputs.)"""
    arrays, scalars = _arrays(inputs)
    values = _kink_values(program_kinks(program, indices), arrays, scalars)
    return bool(np.any(np.abs(values) <= tol))
