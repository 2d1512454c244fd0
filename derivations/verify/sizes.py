"""Exposing sizes: assignments of the dimensions under which a miscount cannot hide.

Every dimension is at least 3, all are distinct, and no sum of two equals a product of two
(n + n = n·n at n = 2 hid a mean that counted n + m entries). Later sets must differ from the
earlier ones in every way a size-dependent mistake could use: each dimension takes a new value,
and no sum of two dimensions, no product or ratio of small powers of one or two of them
(n·B, B/n, n²·m) and neither the sum nor the product of all of them stays the same. A
permutation of the first set (n, B = 3, 4 then 4, 3) kept n·B and n + B, so an answer off by
n·B/12 or (n + B)/7 passed every check.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction

from ..expr.program import TypedProgram

# Programs with more dimensions than this get consecutive distinct sizes after the first ones
# (the search is quadratic and the sizes would grow without need).
MAX_EXPOSING = 8


def good_sizes(count: int) -> list[int]:
    """The smallest increasing sizes ≥ 3 where no a + b equals any c·d (repeats allowed)."""
    chosen: list[int] = []
    value = 3
    while len(chosen) < min(count, MAX_EXPOSING):
        trial = [*chosen, value]
        sums = {a + b for a in trial for b in trial}
        products = {a * b for a in trial for b in trial}
        if not sums & products:
            chosen.append(value)
        value += 1
    return chosen + list(range(chosen[-1] + 1, chosen[-1] + 1 + count - len(chosen)))


SIZE_SETS = 2  # verification's numeric checks; the grader uses one more (GRADING_SIZE_SETS)
GRADING_SIZE_SETS = 3


def choose_sizes(program: TypedProgram, which: int = 0) -> dict[str, int]:
    """Assignment ``which`` (0, 1, 2, …) of exposing sizes, in order of first appearance.

    Set 0 is ``good_sizes``, increasing; every later set differs from each earlier one as the
    module says. Set 1 is decreasing (AᵀA with A (n, m) is singular when n < m, so one of the
    first two can always be sampled); later sets alternate.
    """
    values = exposing_sizes(len(program.dims), which)
    return {str(d): v for d, v in zip(program.dims, values, strict=True)}


@functools.lru_cache(maxsize=256)
def exposing_sizes(count: int, which: int) -> tuple[int, ...]:
    """The values of ``choose_sizes`` for ``count`` dimensions (cached: a small search)."""
    if which == 0 or count == 0:
        return tuple(good_sizes(count)) if count else ()
    earlier = [exposing_sizes(count, k) for k in range(which)]
    found = _search(count, earlier, descending=which % 2 == 1)
    assert found is not None, (count, which)
    return found


def _fine(values: list[int]) -> bool:
    """Distinct, and (for the first MAX_EXPOSING) no a + b equal to any c·d, as good_sizes."""
    if len(set(values)) != len(values):
        return False
    head = values[:MAX_EXPOSING]
    sums = {a + b for a in head for b in head}
    return not sums & {a * b for a in head for b in head}


POWERS = (-2, -1, 1, 2)


def _pair_kept(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Whether two dimensions valued ``a`` in one set and ``b`` in another keep their sum or a
    product of small powers (p·q, p/q, p²·q, …): a factor made of them would not change."""
    if a[0] + a[1] == b[0] + b[1]:
        return True
    return any(
        Fraction(a[0]) ** i * Fraction(a[1]) ** j == Fraction(b[0]) ** i * Fraction(b[1]) ** j
        for i in POWERS
        for j in POWERS
    )


def _search(count: int, earlier: list[tuple[int, ...]], descending: bool) -> tuple[int, ...] | None:
    """The smallest monotone assignment (smallest values first) that differs from every
    earlier set as the module says: a depth-first search over values in increasing order."""
    order = list(reversed(range(count))) if descending else list(range(count))
    limit = max(max(e) for e in earlier) + 8 * count + 8
    totals = {(sum(e), math.prod(e)) for e in earlier}
    chosen: dict[int, int] = {}

    def clashes(position: int, value: int) -> bool:
        if any(value == e[position] for e in earlier):
            return True
        if not _fine([*chosen.values(), value]):
            return True
        return any(
            _pair_kept((value, other), (e[position], e[q]))
            for q, other in chosen.items()
            for e in earlier
        )

    def extend(k: int, low: int) -> tuple[int, ...] | None:
        if k == count:
            values = tuple(chosen[i] for i in range(count))
            kept = any(t == sum(values) or p == math.prod(values) for t, p in totals)
            return None if kept else values
        position = order[k]
        for value in range(low, limit):
            if clashes(position, value):
                continue
            chosen[position] = value
            found = extend(k + 1, value + 1)
            if found is not None:
                return found
            del chosen[position]
        return None

    return extend(0, 3)
