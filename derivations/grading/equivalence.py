"""Semantic equivalence: both sides evaluated at random inputs, then confirmed exactly.

The draws come from the verifier's sampler (inside every function's domain, away from kinks,
well-conditioned matrices under inv/det/logdet) at three sets of small distinct sizes, each
giving every dimension a new value and changing the sizes' sums and products, so a
transposition or a size-dependent factor (n·B/12, (n + B)/7) cannot hide. A float64 difference below
``EQUAL_TOLERANCE`` (relative, with an absolute floor) is equality up to rounding; above
``DIFFERENT_TOLERANCE`` it is a difference no rounding explains; in between, and for every
answer judged equal, an exact evaluation decides: rational arithmetic for rational expressions
(equal means identical), 60 digits otherwise (equal means below 1e-40), at the first draw and,
when affordable, at a draw of the second set of sizes. A false "correct" is
the worst outcome, so "correct" needs both the float64 agreement and the exact one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ChainruleError
from ..expr import nodes as N
from ..verify.exact import DEFAULT_WORK
from ..verify.sampling import draw_inputs
from ..verify.sizes import GRADING_SIZE_SETS, choose_sizes
from .evaluate import Draw, ExactDraw, is_rational
from .problem import Reference

EQUAL_TOLERANCE = 1e-7
DIFFERENT_TOLERANCE = 1e-4
EXACT_TOLERANCE = 1e-40
DRAWS_PER_SIZE = 3
FLOOR = 1e-8
# The exact check is repeated at a second set of sizes when the first comparison cost at most
# this much counted work (a quarter of the budget): cheap answers get both, costly ones one.
SECOND_SET_WORK = DEFAULT_WORK // 4


def relative_difference(a: np.ndarray, b: np.ndarray) -> tuple[float, tuple[int, ...]]:
    """max |a − b| / max(|a|, |b|, floor·scale) and where; NaN on either side is infinite."""
    if a.shape != b.shape:
        return math.inf, ()
    if a.size == 0:
        return 0.0, ()
    bad = ~(np.isfinite(a) & np.isfinite(b))
    if bad.any():
        where = np.unravel_index(int(np.argmax(bad)), a.shape)
        return math.inf, tuple(int(i) for i in where)
    scale = max(1.0, float(np.max(np.abs(a))), float(np.max(np.abs(b))))
    err = np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), FLOOR * scale)
    where = np.unravel_index(int(np.argmax(err)), err.shape)
    return float(np.max(err)), tuple(int(i) for i in where)


@dataclass
class Comparison:
    equal: bool
    worst: float  # the largest float64 relative difference over the draws
    draw: int | None = None  # the draw where it occurs
    entry: tuple[int, ...] = ()
    exact: dict[str, Any] = field(default_factory=dict)


class Judge:
    """The draws of one problem, shared by every answer to it (cached with the reference)."""

    def __init__(self, ref: Reference, seed: int = 0) -> None:
        self.ref = ref
        self.draws: list[Draw] = []
        self.size_sets: list[dict[str, int]] = []
        self._exact: dict[tuple[int, bool], ExactDraw] = {}
        self._work_used = 0  # counted work of the last exact comparison
        self._exact_rational: bool | None = None
        rng = np.random.default_rng(seed)
        program = ref.program
        n = len(program.dims)
        for sizes in _size_sets(program, n):
            drawn = self._draw_at(sizes, rng)
            if drawn:
                self.size_sets.append(sizes)
                self.draws += drawn
        if not self.draws:
            raise ChainruleError(
                "problem",
                "no inputs could be drawn where the program and its derivative are defined",
                hint="check the program's domain (log, sqrt and division need positive inputs)",
            )

    def _draw_at(self, sizes: dict[str, int], rng: np.random.Generator) -> list[Draw]:
        ref = self.ref
        defs = ref.definitions

        def value_fn(**inputs: Any) -> np.ndarray:
            return Draw(sizes, inputs, defs).value(ref.program.output)

        def derivatives_fn(**inputs: Any) -> dict[str, np.ndarray]:
            return {"g": Draw(sizes, inputs, defs).value(ref.node)}

        out = []
        for _ in range(DRAWS_PER_SIZE):
            inputs, _why = draw_inputs(
                ref.program, sizes, rng, value_fn, derivatives_fn=derivatives_fn
            )
            if inputs is None:
                break
            out.append(Draw(sizes, inputs, defs))
        return out

    # -- comparisons ---------------------------------------------------------------------

    def numeric(self, a: N.Node, b: N.Node) -> Comparison:
        worst, at, entry = 0.0, None, ()
        for k, draw in enumerate(self.draws):
            err, where = relative_difference(draw.value(a), draw.value(b))
            if at is None or err > worst:
                worst, at, entry = err, k, where
            if worst > DIFFERENT_TOLERANCE:
                break
        return Comparison(worst <= EQUAL_TOLERANCE, worst, at, entry)

    def close(self, a: N.Node, b: N.Node) -> bool:
        """Numerically equal (for diagnosis candidates, where partial credit is at stake)."""
        return self.numeric(a, b).equal

    def exact_draw(self, index: int = 0, rational: bool | None = None) -> ExactDraw:
        """Draw ``index`` in exact arithmetic (rational when the reference and, with
        ``rational`` given, the answer are rational), built once per problem."""
        if self._exact_rational is None:
            nodes = [d.node for d in self.ref.definitions] + [self.ref.node]
            self._exact_rational = is_rational(nodes)
        exact_rational = self._exact_rational if rational is None else rational
        key = (index, exact_rational)
        if key not in self._exact:
            self._exact[key] = ExactDraw(
                self.draws[index],
                self.ref.definitions,
                exact_rational,
                kinds=self.ref.program.kinds,
                axes=self.ref.program.axes,
            )
        return self._exact[key]

    def equivalent(self, a: N.Node) -> Comparison:
        """The verdict on ``a`` against the reference: numeric, then exact confirmation."""
        comparison = self.numeric(a, self.ref.node)
        if comparison.worst > DIFFERENT_TOLERANCE:
            return comparison
        comparison.exact = self.exact(a)
        if comparison.exact.get("skipped"):
            comparison.equal = comparison.worst <= EQUAL_TOLERANCE
        else:
            comparison.equal = bool(comparison.exact["passed"])
        return comparison

    def exact(self, a: N.Node) -> dict[str, Any]:
        """Exact agreement at the first draw, then at the first draw of the second set of
        sizes when that is affordable: an answer that matches only at one set of sizes (a
        polynomial in n vanishing there) is caught by the float draws or here."""
        first = self._exact_at(0, a)
        second = self._second_set_draw()
        if first.get("skipped") or not first["passed"] or second is None:
            return first
        if self._work_used > SECOND_SET_WORK:  # not cheap: the float draws there must do
            first["also_at"] = {"skipped": True, "reason": "the first comparison was costly"}
            return first
        again = self._exact_at(second, a)
        if again.get("skipped"):
            first["also_at"] = {"skipped": True, "reason": again["reason"]}
            return first
        if not again["passed"]:
            return again
        first["also_at"] = again["sizes"]
        return first

    def _second_set_draw(self) -> int | None:
        sizes = self.draws[0].sizes
        return next((k for k, d in enumerate(self.draws) if d.sizes != sizes), None)

    def _exact_at(self, index: int, a: N.Node) -> dict[str, Any]:
        from ..verify.exact import Budget

        rational = False
        try:
            rational = bool(self.exact_draw(index).rational) and is_rational([a])
            exact_draw = self.exact_draw(index, rational)
            difference = exact_draw.difference(a, self.ref.node)
            work = exact_draw.explicit.work
            self._work_used = work.used if work is not None else 0
        except (Budget, NotImplementedError, ZeroDivisionError, ArithmeticError) as exc:
            return {
                "skipped": True,
                "reason": f"exact evaluation unavailable ({type(exc).__name__})",
            }
        except Exception as exc:  # noqa: BLE001 - SymPy's singular-matrix errors and the like
            return {"skipped": True, "reason": f"exact evaluation failed ({type(exc).__name__})"}
        passed = difference == 0.0 if rational else difference <= EXACT_TOLERANCE
        return {
            "skipped": False,
            "method": "rational" if rational else "60-digit",
            "sizes": self.draws[index].sizes,
            "difference": difference if math.isfinite(difference) else None,
            "passed": bool(passed) and math.isfinite(difference),
        }

    def evidence(self, comparison: Comparison) -> dict[str, Any]:
        return {
            "sizes": self.size_sets,
            "draws": len(self.draws),
            "worst_rel_error": comparison.worst if math.isfinite(comparison.worst) else None,
            "tolerance": EQUAL_TOLERANCE,
            "exact": comparison.exact or {"skipped": True, "reason": "not needed"},
        }


def _size_sets(program: Any, n: int) -> list[dict[str, int]]:
    """The exposing sizes (every dimension at least 3, all distinct, no sum of dimensions equal
    to a product of them): three sets in which every dimension takes a new value and the sizes'
    sums and products change, so neither n + n = n·n nor a factor such as n·B/12 can hide."""
    if not n:
        return [choose_sizes(program, 0)]
    return [choose_sizes(program, k) for k in range(GRADING_SIZE_SETS)]
