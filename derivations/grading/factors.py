"""The factor between an answer and the right one, in words a student can act on.

A constant factor (2, 1/2) is read off any draw. A factor that depends on the sizes is named
only when one monomial in the dimensions (1/B, n·B/12, m²) explains the ratio at every set of
sizes tried, at least three of them, and no other equally simple monomial does: at two sets,
or at sets that keep some product of sizes, several monomials fit and naming one would mislead
(3, 4 then 4, 3 made 1/B look like n/12). A ratio that depends on the sizes in another way is
reported as such, with its value at each set, and earns no credit.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

RELATIVE = 1e-7  # ratios that agree this closely are one ratio (float64 rounding)
MIN_SETS_FOR_MONOMIAL = 3
POWERS = (1, -1, 2, -2)
MAX_DIMS_IN_MONOMIAL = 3
MAX_DEGREE = 4  # the sum of |exponents| of a monomial tried


@dataclass
class Factor:
    """``constant`` for a size-free factor; else ``monomial`` or neither (``per_set``)."""

    text: str
    constant: float | None = None
    monomial: dict[str, int] | None = None
    per_set: list[tuple[dict[str, int], float]] | None = None


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= RELATIVE * max(1.0, abs(a), abs(b))


def nice(value: float) -> Fraction | None:
    """The fraction with a small denominator equal to ``value`` up to rounding, if any."""
    frac = Fraction(value).limit_denominator(1000)
    return frac if abs(float(frac) - value) <= 1e-9 * max(abs(value), 1e-300) else None


def number_text(value: float) -> str:
    frac = nice(value)
    if frac is None:
        return f"{value:.12g}"
    return str(frac.numerator) if frac.denominator == 1 else f"{frac.numerator}/{frac.denominator}"


def factor_of(ratios: list[tuple[dict[str, int], float]]) -> Factor | None:
    """The factor c(sizes) with answer = c · reference, from one ratio per draw; None when the
    ratio changes between draws at the same sizes (then it is not a factor at all)."""
    per_set: list[tuple[dict[str, int], float]] = []
    for sizes, c in ratios:
        same = [k for k, (s, _) in enumerate(per_set) if s == sizes]
        if not same:
            per_set.append((sizes, c))
        elif not _close(per_set[same[0]][1], c):
            return None
    if not per_set:
        return None
    first = per_set[0][1]
    if all(_close(c, first) for _, c in per_set):
        return Factor(number_text(first), constant=first)
    if len(per_set) >= MIN_SETS_FOR_MONOMIAL:
        fit = fit_monomial(per_set)
        if fit is not None:
            coefficient, exponents = fit
            return Factor(monomial_text(coefficient, exponents), monomial=exponents)
    return Factor(per_set_text(per_set), per_set=per_set)


def _exponents(dims: list[str]) -> Iterator[dict[str, int]]:
    for count in range(1, min(len(dims), MAX_DIMS_IN_MONOMIAL) + 1):
        for chosen in itertools.combinations(dims, count):
            for powers in itertools.product(POWERS, repeat=count):
                if sum(abs(p) for p in powers) <= MAX_DEGREE:
                    yield dict(zip(chosen, powers, strict=True))


def fit_monomial(
    per_set: list[tuple[dict[str, int], float]],
) -> tuple[Fraction, dict[str, int]] | None:
    """k · Π dᵉ equal to the ratio at every set, with k a small fraction; the simplest such
    monomial, or None when there is none or two equally simple ones fit."""
    dims = list(per_set[0][0])
    fits: list[tuple[int, Fraction, dict[str, int]]] = []
    for exponents in _exponents(dims):
        ks = []
        for sizes, c in per_set:
            scale = 1.0
            for d, e in exponents.items():
                scale *= float(sizes[d]) ** e
            ks.append(c / scale)
        k = nice(ks[0])
        if k is not None and k != 0 and all(_close(x, ks[0]) for x in ks):
            fits.append((sum(abs(e) for e in exponents.values()), k, exponents))
    if not fits:
        return None
    simplest = min(f[0] for f in fits)
    best = [f for f in fits if f[0] == simplest]
    if len(best) > 1:
        return None
    return best[0][1], best[0][2]


def _power(d: str, e: int) -> str:
    return d if abs(e) == 1 else f"{d}{'²' if abs(e) == 2 else '^' + str(abs(e))}"


def monomial_text(coefficient: Fraction, exponents: dict[str, int]) -> str:
    """n·B/12, 1/B, 12/n, B/n, 2·n², −m/4: as a student would write the factor."""
    sign = "−" if coefficient < 0 else ""
    k = abs(coefficient)
    top = ([str(k.numerator)] if k.numerator != 1 else []) + [
        _power(d, e) for d, e in exponents.items() if e > 0
    ]
    bottom = ([str(k.denominator)] if k.denominator != 1 else []) + [
        _power(d, e) for d, e in exponents.items() if e < 0
    ]
    text = "·".join(top) or "1"
    if bottom:
        below = "·".join(bottom)
        text += "/" + (below if len(bottom) == 1 else f"({below})")
    return sign + text


def sizes_text(sizes: dict[str, int]) -> str:
    return ", ".join(f"{k} = {v}" for k, v in sizes.items())


def per_set_text(per_set: list[tuple[dict[str, int], float]]) -> str:
    return "; ".join(f"{number_text(c)} at {sizes_text(s)}" for s, c in per_set)
