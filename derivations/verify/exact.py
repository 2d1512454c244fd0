"""The exact check: every entry of every result against sympy.diff of the explicit program.

At tiny distinct sizes the program is expanded into SymPy matrices of scalar symbols. Each
derivative entry is compared with ``sympy.diff`` of the corresponding output entry: first
symbolically (the difference expands to 0), otherwise by evaluating the difference at random
rational points to 40 significant digits, where a wrong result shows as an O(1) value and a
right one as 0 (exactly, for rational functions) or below 1e-30.
"""

from __future__ import annotations

import math
import random
import time
from typing import Any

import mpmath
import sympy as sp

from ..calculus.derivation import Derivation
from ..expr import nodes as N
from ..expr.functions import _Elementwise
from .explicit import Explicit
from .report import skipped
from .sampling import concrete_shape

SYMBOLIC_OPS = 400


def _small(expr: sp.Expr) -> bool:
    """At most SYMBOLIC_OPS nodes, counted with an early exit (count_ops walks everything)."""
    return all(count <= SYMBOLIC_OPS for count, _ in enumerate(sp.preorder_traversal(expr)))


class Budget(Exception):
    """The exact check would take longer than its budget: reported as skipped."""


def _symbols(derivation: Derivation, sizes: dict[str, int]) -> dict[str, sp.Matrix]:
    env: dict[str, sp.Matrix] = {}
    for name, var in derivation.program.inputs.items():
        shape = concrete_shape(var, sizes)
        if not shape:
            env[name] = sp.Matrix([[sp.Symbol(name, real=True)]])
        elif len(shape) == 1:
            env[name] = sp.Matrix([sp.Symbol(f"{name}_{i}", real=True) for i in range(shape[0])])
        else:
            env[name] = sp.Matrix(
                shape[0], shape[1], lambda i, j, name=name: sp.Symbol(f"{name}_{i}_{j}", real=True)
            )
    return env


def _point(
    symbols: list[sp.Symbol], positive: set[sp.Symbol], rng: random.Random
) -> dict[sp.Symbol, sp.Rational]:
    """Rationals of magnitude 1/2 to 3/2; positive where a log, sqrt or denominator needs it."""
    point = {}
    for s in symbols:
        value = sp.Rational(rng.randint(51, 149), 100)
        point[s] = value if s in positive or rng.random() < 0.5 else -value
    return point


class Comparer:
    def __init__(
        self,
        symbols: list[sp.Symbol],
        positive: set[sp.Symbol],
        deadline: float,
        rng: random.Random,
        conditioned_point: dict[sp.Symbol, sp.Rational] | None = None,
    ) -> None:
        self.points = [_point(symbols, positive, rng) for _ in range(2)]
        if conditioned_point:
            self.points = [{**p, **conditioned_point} for p in self.points]
        self.deadline = deadline
        self.symbolic = 0
        self.numeric = 0
        self.worst = 0.0

    def equal(self, a: sp.Expr, b: sp.Expr) -> bool:
        if time.monotonic() > self.deadline:
            raise Budget
        diff = a - b
        if diff == 0:
            self.symbolic += 1
            return True
        # Expanding a nested tanh(W tanh(W x)) blows up; past a modest size the rational
        # points decide, which is as exact a test for our purposes and far cheaper.
        if _small(diff) and sp.expand(diff) == 0:
            self.symbolic += 1
            return True
        self.numeric += 1
        for point in self.points:
            err = _difference_at(a, b, point)
            # NaN (a singular point) is no evidence of equality: it fails, never passes.
            if not math.isfinite(err) or err > 1e-25:
                self.worst = max(self.worst, err) if math.isfinite(err) else float("inf")
                return False
            self.worst = max(self.worst, err)
        return True


def _plain(expr: sp.Expr) -> sp.Expr:
    """Our table's functions (σ, ReLU, 𝟙[·]) replaced by their definitions, for mpmath."""
    return expr.replace(
        lambda e: isinstance(e, _Elementwise), lambda e: type(e).definition(*e.args)
    )


def _difference_at(a: sp.Expr, b: sp.Expr, point: dict[sp.Symbol, sp.Rational]) -> float:
    """|a − b| / (|a| + |b| + 1) at a rational point, in 40-digit arithmetic.

    A compiled mpmath function (with shared subexpressions) evaluates large nested expressions
    in milliseconds where SymPy's evalf takes seconds; exact rational results stay exact.
    """
    value = (a - b).xreplace(point)
    if value.is_Rational:
        return abs(float(value))
    if value.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        return float("nan")
    symbols = sorted(point, key=str)
    args = [mpmath.mpf(point[s].p) / point[s].q for s in symbols]
    try:
        f = sp.lambdify(symbols, [_plain(a), _plain(b)], modules="mpmath", cse=True)
        with mpmath.workdps(40):
            va, vb = f(*args)
            return float(abs(va - vb) / (abs(va) + abs(vb) + 1))
    except Exception:  # noqa: BLE001 - any failure to evaluate is "no comparison possible"
        try:
            scale = abs(sp.N(a.xreplace(point), 40)) + abs(sp.N(b.xreplace(point), 40)) + 1
            return float(abs(sp.N(value, 40)) / scale)
        except Exception:  # noqa: BLE001
            return float("nan")


def exact_check(
    derivation: Derivation, sizes: dict[str, int], seconds: float, seed: int = 0
) -> dict[str, Any]:
    start = time.monotonic()
    deadline = start + seconds
    program = derivation.program
    written = program.as_written  # the derivatives are compared with what the user wrote
    env = _symbols(derivation, sizes)
    rng = random.Random(seed)
    all_symbols = [s for m in env.values() for s in m]
    # Square matrices under inv/det/logdet: evaluate near the identity so they are invertible.
    conditioned: dict[sp.Symbol, sp.Rational] = {}
    from .sampling import _sensitive_inputs

    positive_names, cond = _sensitive_inputs(written)
    positive = {s for name in positive_names for s in env[name]}
    for name in cond:
        m = env[name]
        for i in range(m.shape[0]):
            for j in range(m.shape[1]):
                conditioned[m[i, j]] = sp.Rational(rng.randint(-20, 20), 100) + (1 if i == j else 0)
    comparer = Comparer(all_symbols, positive, deadline, rng, conditioned)

    def evaluator(indices: dict[str, int] | None = None) -> Explicit:
        ex = Explicit(dict(env), sizes, indices, deadline=deadline)
        for d in derivation.program.definitions:
            ex.env[d.name] = ex.evaluate(d.node)
        ex.env[derivation.output_symbol] = ex.evaluate(program.output)  # diag(p) − p pᵀ
        for d in derivation.adjoint_definitions():
            ex.env[d.name] = ex.evaluate(d.node)
        return ex

    try:
        base = evaluator()
        truth = Explicit(dict(env), sizes, None, deadline=deadline)
        for d in written.definitions:
            truth.env[d.name] = truth.evaluate(d.node)
        output = truth.evaluate(written.output)
    except Budget:
        return _stopped(sizes, seconds, 0)
    except (sp.matrices.exceptions.NonInvertibleMatrixError, ZeroDivisionError) as exc:
        why = f"the explicit matrices at these sizes are singular ({exc}); nothing compared"
        return skipped("exact_componentwise", sizes, why)
    failures: list[str] = []
    compared = 0
    try:
        for item in derivation.items:
            var = env[item.wrt]
            entries = list(var)
            if item.kind in ("gradient", "jacobian") and item.matrix is not None:
                got = base.evaluate(item.matrix)
                rows = list(output) if item.kind == "jacobian" else [output[0, 0]]
                for r, out_entry in enumerate(rows):
                    for c, v in enumerate(entries):
                        truth = _diff(out_entry, v, deadline)
                        if item.kind != "jacobian":
                            want = _flat(got)[c]
                        elif got.shape == (len(rows), len(entries)):
                            want = got[r, c]
                        else:  # d/dt of a matrix: the output's shape, entries row-major
                            want = list(got)[r * len(entries) + c]
                        compared += 1
                        if not comparer.equal(want, truth):
                            failures.append(f"{item.kind} {item.wrt} entry {(r, c)}")
            elif item.kind == "hessian" and item.matrix is not None:
                got = base.evaluate(item.matrix)
                grad = [_diff(output[0, 0], v, deadline) for v in entries]
                for r, g in enumerate(grad):
                    for c, v in enumerate(entries):
                        compared += 1
                        if not comparer.equal(_flat2(got, r, c), _diff(g, v, deadline)):
                            failures.append(f"hessian {item.wrt} entry {(r, c)}")
            else:
                compared += _check_seeded(derivation, item, env, sizes, output, comparer, failures)
            if len(failures) > 5:
                break
    except Budget:
        return _stopped(sizes, seconds, compared)
    return {
        "method": "exact_componentwise",
        "passed": not failures,
        "skipped": False,
        "max_rel_error": comparer.worst,
        "sizes": sizes,
        "entries": compared,
        "detail": (
            f"{compared} entries: {comparer.symbolic} equal symbolically, {comparer.numeric} at random "
            "rational points (40 digits)"
            + (f"; wrong: {', '.join(failures[:5])}" if failures else "")
        ),
    }


def _stopped(sizes: dict[str, int], seconds: float, compared: int) -> dict[str, Any]:
    why = (
        f"stopped at its {seconds:g} s budget with {compared} entries compared and none wrong: "
        "the program is too large to expand exactly (the numeric checks cover it)"
    )
    return skipped("exact_componentwise", sizes, why, entries=compared)


def _diff(expr: sp.Expr, symbol: sp.Symbol, deadline: float) -> sp.Expr:
    if time.monotonic() > deadline:
        raise Budget
    return sp.diff(expr, symbol)


def _flat(m: sp.Matrix) -> list[sp.Expr]:
    return list(m)


def _flat2(m: sp.Matrix, r: int, c: int) -> sp.Expr:
    if m.shape == (1, 1):
        return m[0, 0]
    return m[r, c]


def _check_seeded(
    derivation: Derivation,
    item: Any,
    env: dict[str, sp.Matrix],
    sizes: dict[str, int],
    output: sp.Matrix,
    comparer: Comparer,
    failures: list[str],
) -> int:
    """Index forms: bind the basis index of the seed to each output entry in turn."""
    seeded = item.seeded
    var = env[item.wrt]
    compared = 0
    if item.kind == "hessian":
        grad = derivation_gradient(derivation, item.wrt)
        ex0 = Explicit(dict(env), sizes, deadline=comparer.deadline)
        for d in derivation.extended_definitions():
            ex0.env[d.name] = ex0.evaluate(d.node)
        targets = ex0.evaluate(grad)
    else:
        targets = output
    rows, cols = targets.shape
    for r in range(rows):
        for c in range(cols):
            indices = dict(
                zip(
                    seeded.output_indices,
                    (r, c) if len(seeded.output_indices) == 2 else (r if rows > 1 else c,),
                    strict=False,
                )
            )
            ex = Explicit(dict(env), sizes, indices, deadline=comparer.deadline)
            for d in derivation.extended_definitions():
                ex.env[d.name] = ex.evaluate(d.node)
            got = ex.evaluate(seeded.node)
            for k, v in enumerate(var):
                compared += 1
                if not comparer.equal(_flat(got)[k], _diff(targets[r, c], v, comparer.deadline)):
                    failures.append(f"{item.kind} {item.wrt} entry {(r, c, k)}")
    return compared


def derivation_gradient(derivation: Derivation, wrt: str) -> N.Node:
    node = next(i.matrix for i in derivation.items if i.wrt == wrt and i.kind == "gradient")
    assert node is not None
    return node
