"""The exact check: every entry of every result against sympy.diff of the explicit program.

At small distinct sizes the program is expanded into SymPy matrices of scalar symbols, with the
scalar functions spelled out from their definitions (``definitions.py``, never our derivative
table). Each derivative entry is compared with ``sympy.diff`` of the corresponding output
entry at random rational points, in 50-digit arithmetic, where a wrong result shows as an O(1)
difference and a right one as 0 or below 1e-30.

The check is bounded by counted work, never by the clock: every subexpression built, every node
``sympy.diff`` walks (the tree size, measured before the call) and every node evaluated costs
one unit, and the check stops with ``skipped`` (and the number of entries it compared) when the
budget is spent. No symbolic expansion or simplification is ever run, so the count bounds the
time: the same program gives the same verdict on an idle and on a loaded machine.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import mpmath
import sympy as sp

from ..calculus.derivation import Derivation
from ..expr import nodes as N
from .explicit import Explicit, symbols_for
from .kinds import exact_kind_values
from .pointwise import DIGITS, Sizes, Undefined, evaluate
from .report import skipped
from .sampling import label_classes

# Units of work (subexpressions built, tree nodes differentiated, DAG nodes evaluated). About
# 30 µs each on the development machine, so the default budget is ~3 s of SymPy.
DEFAULT_WORK = 100_000
# One sympy.diff call over a tree larger than this is refused (it would be most of the budget).
MAX_TREE = 40_000
POINTS = 3
AGREEMENT = 1e-30


class Budget(Exception):
    """The exact check would exceed its work budget: reported as skipped, with the reason."""


@dataclass
class Work:
    """Counted work, with an optional wall-clock safety net (the service's time limit)."""

    limit: int
    deadline: float | None = None
    used: int = 0
    sizes: Sizes = field(default_factory=Sizes)

    def spend(self, units: int, what: str = "") -> None:
        self.used += units
        if self.used > self.limit:
            raise Budget(f"its work budget of {self.limit} units{what}")
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise Budget("the request's time limit")

    def built(self, m: sp.Matrix) -> None:
        """Charge the subexpressions in ``m`` that are new."""
        before = len(self.sizes.memo)
        for e in m:
            self.sizes.tree(e)
        self.spend(len(self.sizes.memo) - before)

    def diff(self, expr: sp.Expr, symbol: sp.Symbol) -> sp.Expr:
        size = self.sizes.tree(expr)
        if size > MAX_TREE:
            raise Budget(f"an entry with {size} terms (more than {MAX_TREE} to differentiate)")
        self.spend(size)
        return sp.diff(expr, symbol)


def _points(
    symbols: list[sp.Symbol],
    positive: set[sp.Symbol],
    conditioned: list[sp.Matrix],
    rng: random.Random,
    kinds: list[tuple[str, sp.Matrix, int | None]] = (),
) -> list[dict[sp.Symbol, Any]]:
    """Rational points with distinct magnitudes 0.5 to 1.5 (so no x − y or x + y vanishes),
    positive only where a log or sqrt needs it; square matrices under inv/det/logdet near the
    identity, and at one point with a negative determinant (logdet is log|det|). A variable
    with a kind is then moved onto its kind (one-hot, simplex, symmetric, ...), exactly."""
    conditioned_ids = {id(m) for m in conditioned}
    points = []
    for k in range(POINTS):
        magnitudes = rng.sample(range(5001, 15000), len(symbols))
        point = {}
        for s, mag in zip(symbols, magnitudes, strict=True):
            value = sp.Rational(mag, 10_000)
            point[s] = value if s in positive or rng.random() < 0.5 else -value
        for m in conditioned:
            for i in range(m.shape[0]):
                for j in range(m.shape[1]):
                    off = sp.Rational(rng.randint(-200, 200), 1000)
                    sign = -1 if (k == 1 and j == 0) else 1
                    point[m[i, j]] = sign * (off + (1 if i == j else 0))
        for kind, m, axis in kinds:
            _on_kind(point, kind, m, rng, id(m) in conditioned_ids, axis)
        # At the comparison's precision, so that a kind's equalities (Σ y = 1) hold to it.
        with mpmath.workdps(DIGITS):
            points.append({s: mpmath.mpf(v.p) / v.q for s, v in point.items()})
    return points


def _on_kind(
    point: dict[sp.Symbol, sp.Rational],
    kind: str,
    m: sp.Matrix,
    rng: random.Random,
    cond: bool,
    axis: int | None = None,
) -> None:
    rows = [[Fraction(int(point[m[i, j]].p), int(point[m[i, j]].q)) for j in range(m.shape[1])]
            for i in range(m.shape[0])]  # fmt: skip
    values = exact_kind_values(kind, rows, rng, cond, axis)
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            v = values[i][j]
            point[m[i, j]] = sp.Rational(v.numerator, v.denominator)


class Comparer:
    """Compares pairs of expressions at the points; counts what it decided and how."""

    def __init__(self, points: list[dict[sp.Symbol, Any]], work: Work) -> None:
        self.points = points
        self.work = work
        self.symbolic = 0
        self.numeric = 0
        self.unresolved = 0
        self.worst = 0.0

    def compare(self, pairs: list[tuple[str, sp.Expr, sp.Expr]]) -> list[str]:
        """The labels of the pairs that differ."""
        open_pairs = []
        for label, got, want in pairs:
            if got == want:
                self.symbolic += 1
            else:
                open_pairs.append((label, got, want))
        if not open_pairs:
            return []
        wrong: list[str] = []
        usable = {label: 0 for label, *_ in open_pairs}
        with mpmath.workdps(DIGITS):
            for point in self.points:
                memo: dict[sp.Basic, Any] = {}
                for label, got, want in open_pairs:
                    if label in wrong:
                        continue
                    verdict = self._at(got, want, point, memo)
                    if verdict is None:
                        continue
                    usable[label] += 1
                    if not verdict:
                        wrong.append(label)
        for label, count in usable.items():
            if label in wrong:
                continue
            if count:
                self.numeric += 1
            else:
                self.unresolved += 1
        return wrong

    def _at(self, got: sp.Expr, want: sp.Expr, point: dict, memo: dict) -> bool | None:
        """True if equal at the point, False if not, None if neither has a value there."""
        values = []
        for e in (got, want):
            before = len(memo)
            try:
                values.append(evaluate(e, point, memo))
            except Undefined:
                values.append(None)
            self.work.spend(len(memo) - before)
        a, b = values
        if a is None and b is None:
            return None
        if a is None or b is None:
            self.worst = float("inf")
            return False
        err = float(abs(a - b) / (abs(a) + abs(b) + 1))
        self.worst = max(self.worst, err)
        return err <= AGREEMENT


def _domain(derivation: Derivation, env: dict[str, sp.Matrix]) -> tuple[set, list]:
    """Where the points may lie, decided here rather than by the numeric checks' sampler (so a
    sampler that narrows its domains cannot narrow this check's): positive only under log,
    sqrt and fractional powers; matrices under inv/det/logdet near the identity."""
    positive: set[str] = set()
    conditioned: set[str] = set()
    for node in N.walk(derivation.program.as_written.inlined()):
        if isinstance(node, N.Apply) and node.fn in ("log", "sqrt"):
            positive |= N.free_vars(node.children[0])
        elif isinstance(node, N.Apply) and node.fn == "pow":
            exponent = node.children[1]
            if not (isinstance(exponent, N.Const) and exponent.value.is_integer is True):
                positive |= N.free_vars(node.children[0])
        elif isinstance(node, N.Inverse | N.Det | N.LogDet):
            conditioned |= N.free_vars(node.children[0])
    return {s for name in positive for s in env[name]}, [env[n] for n in sorted(conditioned)]


def _value_failures(
    value_fn: Any,
    scalars: set[str],
    env: dict[str, sp.Matrix],
    output: sp.Matrix,
    comparer: Comparer,
    work: Work,
) -> list[str]:
    """The generated value() at each exact point (in float64) against the exact output there.

    The points are this check's own (both signs, negative determinants at one), so a printer
    mistake such as log(det A) for log|det A| shows here even if the numeric sampler misses it.
    """
    import numpy as np

    failures = []
    with mpmath.workdps(DIGITS):
        for k, point in enumerate(comparer.points):
            memo: dict[sp.Basic, Any] = {}
            try:
                exact = [evaluate(e, point, memo) for e in output]
            except Undefined:
                continue  # the program itself has no value here
            finally:
                work.spend(len(memo))
            if any(isinstance(v, mpmath.mpc) and v.imag != 0 for v in exact):
                continue  # outside the real domain (log(−x) at x > 0): nothing to compare
            inputs = {}
            for name, m in env.items():
                values = np.array(
                    [
                        [float(point.get(m[i, j], m[i, j])) for j in range(m.shape[1])]
                        for i in range(m.shape[0])
                    ]
                )
                inputs[name] = values if m.shape[1] > 1 else values[:, 0]
            for name in scalars:
                inputs[name] = float(inputs[name][0])
            with np.errstate(all="ignore"):
                ours = np.asarray(value_fn(**inputs), dtype=complex).ravel()
            want = np.array([complex(v) for v in exact])
            if not np.all(np.abs(want) < 1e300):
                continue  # beyond float64 ((x**64)**64 at x = 2): float64 cannot be compared
            if ours.size != want.size:
                failures.append(f"value at point {k}: {ours.size} entries, expected {want.size}")
                continue
            scale = np.maximum(np.abs(ours), np.abs(want)) + 1
            err = np.abs(ours - want) / scale
            if not np.all(np.isfinite(err)) or float(np.max(err)) > 1e-8:
                failures.append(f"value at point {k}")
    return failures


def exact_check(
    derivation: Derivation,
    sizes: dict[str, int],
    work_limit: int = DEFAULT_WORK,
    seed: int = 0,
    deadline: float | None = None,
    value_fn: Any = None,
) -> dict[str, Any]:
    """Every entry of every derivative against sympy.diff, within ``work_limit`` units."""
    program = derivation.program
    env = symbols_for(program.inputs, sizes)
    rng = random.Random(seed)
    for name, declaration in program.declarations.items():
        if declaration.is_label:  # an integer, fixed: no derivative is taken by it
            env[name] = sp.Matrix(
                [[sp.Integer(rng.randrange(label_classes(program, name, sizes)))]]
            )
    symbols = [s for m in env.values() for s in m if isinstance(s, sp.Symbol)]
    positive, conditioned = _domain(derivation, env)
    kinds = [
        (kind, env[name], program.axes.get(name))
        for name, kind in program.kinds.items()
        if kind != "label"
    ]
    work = Work(work_limit, deadline)
    comparer = Comparer(_points(symbols, positive, conditioned, rng, kinds), work)
    compared = 0
    failures: list[str] = []
    try:
        base = _evaluator(derivation, env, sizes, work)
        output = _truth(derivation, env, sizes, work)
        if value_fn is not None:
            scalars = {n for n, v in program.inputs.items() if v.is_scalar}
            failures += _value_failures(value_fn, scalars, env, output, comparer, work)
        for item in derivation.items:
            pairs = _pairs(derivation, item, env, sizes, base, output, work)
            compared += len(pairs)
            failures += comparer.compare(pairs)
            if len(failures) > 5:
                break
    except Budget as exc:
        return _stopped(sizes, str(exc), compared, work)
    except NotImplementedError as exc:
        # A form the small evaluator does not know (say, an unevaluated Derivative): our
        # limitation, not evidence against the derivation.
        return skipped("exact_componentwise", sizes, f"not decided: {exc}", entries=compared)
    except (sp.matrices.exceptions.NonInvertibleMatrixError, ZeroDivisionError) as exc:
        why = f"the explicit matrices at these sizes are singular ({exc}); nothing compared"
        return skipped("exact_componentwise", sizes, why)
    detail = (
        f"{compared} entries: {comparer.symbolic} identical, {comparer.numeric} equal at "
        f"{POINTS} random rational points ({DIGITS} digits)"
        + ("; the generated value() agrees there" if value_fn is not None else "")
        + f"; {work.used} units of work"
    )
    if comparer.unresolved:
        detail += f"; {comparer.unresolved} had no value at any point and were not decided"
    if failures:
        detail += f"; wrong: {', '.join(failures[:5])}"
    if not failures and compared and comparer.unresolved == compared:
        return skipped("exact_componentwise", sizes, detail, entries=compared)
    return {
        "method": "exact_componentwise",
        "passed": not failures,
        "skipped": False,
        "max_rel_error": comparer.worst,
        "sizes": sizes,
        "entries": compared,
        "work": work.used,
        "detail": detail,
    }


def _stopped(sizes: dict[str, int], reason: str, compared: int, work: Work) -> dict[str, Any]:
    why = (
        f"stopped at {reason} with {compared} entries compared and none wrong: the program is "
        "too large to expand exactly at these sizes (the numeric checks cover it)"
    )
    return skipped("exact_componentwise", sizes, why, entries=compared, work=work.used)


def _evaluator(
    derivation: Derivation,
    env: dict[str, sp.Matrix],
    sizes: dict[str, int],
    work: Work,
    indices: dict[str, int] | None = None,
) -> Explicit:
    ex = Explicit(dict(env), sizes, indices, work=work)
    for d in derivation.program.definitions:
        ex.env[d.name] = ex.evaluate(d.node)
    # A result may read the output itself by name: p in diag(p) − p pᵀ.
    ex.env[derivation.output_symbol] = ex.evaluate(derivation.program.output)
    for d in derivation.adjoint_definitions():
        ex.env[d.name] = ex.evaluate(d.node)
    return ex


def _truth(
    derivation: Derivation, env: dict[str, sp.Matrix], sizes: dict[str, int], work: Work
) -> sp.Matrix:
    """The output of the program as the user wrote it (before σ, softplus and the names a
    result introduced): the derivatives are compared with what the user wrote, so a rewrite
    that changes a value fails here."""
    written = derivation.program.as_written
    ex = Explicit(dict(env), sizes, None, work=work)
    for d in written.definitions:
        ex.env[d.name] = ex.evaluate(d.node)
    return ex.evaluate(written.output)


def _pairs(
    derivation: Derivation,
    item: Any,
    env: dict[str, sp.Matrix],
    sizes: dict[str, int],
    base: Explicit,
    output: sp.Matrix,
    work: Work,
) -> list[tuple[str, sp.Expr, sp.Expr]]:
    """(label, our entry, sympy.diff's entry) for every entry of one derivative."""
    entries = list(env[item.wrt])
    pairs = []
    if item.kind in ("gradient", "jacobian") and item.matrix is not None:
        got = base.evaluate(item.matrix)
        rows = list(output) if item.kind == "jacobian" else [output[0, 0]]
        for r, out_entry in enumerate(rows):
            for c, v in enumerate(entries):
                if item.kind != "jacobian":
                    want = list(got)[c]
                elif got.shape == (len(rows), len(entries)):
                    want = got[r, c]
                else:  # d/dt of a matrix: the output's shape, entries row-major
                    want = list(got)[r * len(entries) + c]
                pairs.append(
                    (f"{item.kind} {item.wrt} entry {(r, c)}", want, work.diff(out_entry, v))
                )
    elif item.kind == "hessian" and item.matrix is not None:
        got = base.evaluate(item.matrix)
        grad = [work.diff(output[0, 0], v) for v in entries]
        for r, g in enumerate(grad):
            for c, v in enumerate(entries):
                entry = got[0, 0] if got.shape == (1, 1) else got[r, c]
                pairs.append((f"hessian {item.wrt} entry {(r, c)}", entry, work.diff(g, v)))
    else:
        pairs = _seeded_pairs(derivation, item, env, sizes, base, output, work)
    return pairs


def _seeded_pairs(
    derivation: Derivation,
    item: Any,
    env: dict[str, sp.Matrix],
    sizes: dict[str, int],
    base: Explicit,
    output: sp.Matrix,
    work: Work,
) -> list[tuple[str, sp.Expr, sp.Expr]]:
    """Index forms: bind the basis index of the seed to each output entry in turn."""
    seeded = item.seeded
    entries = list(env[item.wrt])
    if item.kind != "hessian":
        targets = output
    elif derivation.program.kind(item.wrt) is not None:
        # The gradient was rewritten with the variable's own kind (2A for 2Aᵀ): equal on the
        # kind, but not its derivative. The Hessian is compared with sympy.diff done twice.
        grad = env[item.wrt]
        targets = sp.Matrix(
            grad.shape[0], grad.shape[1], lambda i, j: work.diff(output[0, 0], grad[i, j])
        )
    else:
        targets = base.evaluate(derivation_gradient(derivation, item.wrt))
    rows, cols = targets.shape
    pairs = []
    for r in range(rows):
        for c in range(cols):
            position = (r, c) if len(seeded.output_indices) == 2 else (r if rows > 1 else c,)
            indices = dict(zip(seeded.output_indices, position, strict=False))
            got = list(_evaluator(derivation, env, sizes, work, indices).evaluate(seeded.node))
            for k, v in enumerate(entries):
                label = f"{item.kind} {item.wrt} entry {(r, c, k)}"
                pairs.append((label, got[k], work.diff(targets[r, c], v)))
    return pairs


def derivation_gradient(derivation: Derivation, wrt: str) -> N.Node:
    node = next(i.matrix for i in derivation.items if i.wrt == wrt and i.kind == "gradient")
    assert node is not None
    return node
