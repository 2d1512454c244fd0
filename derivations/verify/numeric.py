"""Finite-difference checks of the generated code, and the engine comparison.

Derivatives are compared entry by entry with the relative error |a − n| / max(|a|, |n|, floor).
The difference quotient is the two-sided five-point stencil with h = 1e-3: its truncation error
is O(h⁴) ≈ 1e-12 and its rounding error ≈ 1e-13, so a smooth result that is right agrees to
about 1e-9, and a transposed, mis-scaled or mis-signed one misses by order 1.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

H = 1e-3
FLOOR = 1e-6
# Hessians are differences of gradients that are themselves rounded (2e-15 for det via inv):
# divided by h = 1e-3 that is ~1e-12 of the gradient's scale, so exact zeros are compared at a
# floor ten times higher. A wrong entry still misses by order 1.
HESSIAN_FLOOR = 1e-5
TOLERANCE = 1e-6


STEPS = (H, 1e-4, 1e-5)


def best_error(
    analytic: np.ndarray,
    f: Callable[[dict[str, Any]], np.ndarray],
    inputs: dict[str, Any],
    name: str,
    value_scale: float,
    floor: float = FLOOR,
) -> tuple[float, tuple[int, ...]]:
    """The error at the largest step that passes: fast-oscillating functions (sin 100x) need a
    smaller h, whose truncation error is lower. A wrong derivative fails at every step."""
    best = (float("inf"), ())
    for h in STEPS:
        err = rel_error(
            analytic, five_point(f, inputs, name, h), floor=floor, value_scale=value_scale
        )
        best = min(best, err, key=lambda e: e[0])
        if best[0] <= TOLERANCE:
            break
    return best


def best_directional_error(
    hessian: np.ndarray,
    g: Callable[[dict[str, Any]], np.ndarray],
    inputs: dict[str, Any],
    name: str,
    directions: list[np.ndarray],
    value_scale: float,
    floor: float = FLOOR,
) -> tuple[float, tuple[int, ...]]:
    """The Hessian applied to each direction D against the difference quotient of the gradient
    along D: for a variable whose kind ties entries together (a symmetric matrix, Σ y = 1),
    whose rewritten gradient agrees with the unconstrained one on the kind only."""
    x0 = np.asarray(inputs[name], dtype=float)
    axes = x0.ndim
    analytic = np.stack([np.tensordot(hessian, d, axes=axes) for d in directions])
    best = (float("inf"), ())
    for h in STEPS:

        def along(step: float, d: np.ndarray) -> np.ndarray:
            moved = dict(inputs)
            moved[name] = x0 + step * d
            return np.asarray(g(moved), dtype=float)

        numeric = np.stack(
            [
                (-along(2 * h, d) + 8 * along(h, d) - 8 * along(-h, d) + along(-2 * h, d))
                / (12 * h)
                for d in directions
            ]
        )
        err = rel_error(analytic, numeric, floor=floor, value_scale=value_scale)
        best = min(best, err, key=lambda e: e[0])
        if best[0] <= TOLERANCE:
            break
    return best


def load_module(source: str) -> dict[str, Any]:
    """Execute a module that chainrule's own printer generated (never user text).

    This is the only place chainrule executes code. Every caller passes a module a code
    printer wrote from a typed tree (a result's ``code``, or ``printing.numpy_code.numpy_source``
    around printer output): names are identifiers the elaborator validated with full matches,
    numbers are ones it formatted, and no text of the user's is copied in. (A student's NumPy
    answer never comes here: grading runs it in a contained subprocess.)
    """
    namespace: dict[str, Any] = {"__name__": "chainrule_generated"}
    exec(compile(source, "<chainrule-generated>", "exec"), namespace)  # noqa: S102
    return namespace


def rel_error(
    a: np.ndarray, n: np.ndarray, floor: float = FLOOR, value_scale: float = 1.0
) -> tuple[float, tuple[int, ...]]:
    """Largest |a − n| / max(|a|, |n|, floor) and the index where it occurs.

    The floor scales with the array's largest entry and with the function's magnitude: finite
    differences of f carry a rounding error of about 1e-13·|f|, so an entry far below that
    scale (an exact zero, say) is compared at the scale where it can be resolved.
    """
    a = np.asarray(a, dtype=float)
    n = np.asarray(n, dtype=float)
    if a.shape != n.shape:
        return float("inf"), ()
    if a.size == 0:
        return 0.0, ()
    scale = max(1.0, float(np.max(np.abs(n))), float(np.max(np.abs(a))), value_scale)
    err = np.abs(a - n) / np.maximum(np.maximum(np.abs(a), np.abs(n)), floor * scale)
    worst = np.unravel_index(int(np.argmax(err)), err.shape) if err.shape else ()
    return float(np.max(err)), tuple(int(i) for i in worst)


def five_point(
    f: Callable[[dict[str, Any]], np.ndarray], inputs: dict[str, Any], name: str, h: float = H
) -> np.ndarray:
    """∂f/∂inputs[name], entry by entry, with shape f.shape + inputs[name].shape."""
    x0 = np.asarray(inputs[name], dtype=float)
    base = np.asarray(f(inputs), dtype=float)
    out = np.zeros(base.shape + x0.shape)

    def at(index: tuple[int, ...], step: float) -> np.ndarray:
        x = x0.copy()
        if x.shape:
            x[index] += step
        else:
            x = x0 + step
        moved = dict(inputs)
        moved[name] = x if x.shape else float(x)
        return np.asarray(f(moved), dtype=float)

    for index in np.ndindex(x0.shape) if x0.shape else [()]:
        stencil = -at(index, 2 * h) + 8 * at(index, h) - 8 * at(index, -h) + at(index, -2 * h)
        d = stencil / (12 * h)
        if base.shape:
            out[(...,) + index] = d
        else:
            out[index] = d
    return out
