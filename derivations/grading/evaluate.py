"""Values of typed nodes at concrete inputs: float64 (through the engine's forward gates) and
exact (rational or 60-digit, through the verifier's explicit SymPy evaluator).

Judging compares many candidate nodes (the answer, its transpose, a substituted name …) at the
same draws, so values are memoised per draw by node: subtrees the candidates share with the
reference are computed once. Neither evaluator executes generated or student code.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import sympy as sp

from ..engine.gates import GATES
from ..expr import nodes as N
from ..expr.program import Definition
from ..ops.registry import node_spec
from ..verify.exact import DEFAULT_WORK, Work
from ..verify.explicit import Explicit
from ..verify.kinds import exact_on_kind

EXACT_DIGITS = 60
MEMO_LIMIT = 20_000  # memoised node values per draw (each answer adds its subtrees)


def _dim_env(sizes: dict[str, int]) -> dict[sp.Symbol, int]:
    return {sp.Symbol(k, integer=True, positive=True): v for k, v in sizes.items()}


def _numeric(value: object, env: dict[sp.Symbol, int]) -> object:
    if isinstance(value, tuple):
        return tuple(_numeric(v, env) for v in value)
    if isinstance(value, sp.Basic):
        v = value.xreplace(env) if value.free_symbols else value
        if isinstance(v, int):  # a bare dimension symbol replaced by its size
            return v
        return int(v) if v.is_Integer else float(v)
    return value


class Draw:
    """One set of sizes and inputs, with every named quantity and each node's value memoised."""

    def __init__(
        self, sizes: dict[str, int], inputs: dict[str, np.ndarray], definitions: list[Definition]
    ) -> None:
        self.sizes = sizes
        self.inputs = inputs  # API shapes: float, 1-D or 2-D
        self.dims = _dim_env(sizes)
        self.env: dict[str, np.ndarray] = {
            k: np.asarray(v, dtype=float).reshape(_internal_shape(np.asarray(v)))
            for k, v in inputs.items()
        }
        self.memo: dict[N.Node, np.ndarray] = {}
        self.params: dict[tuple, object] = {}
        with np.errstate(all="ignore"):
            for d in definitions:
                self.env[d.name] = self.value(d.node)

    def value(self, root: N.Node) -> np.ndarray:
        """The node's value as a 2-D float64 array (NaN where it is undefined)."""
        if len(self.memo) > MEMO_LIMIT:  # a long-lived cached draw must not grow without bound
            self.memo = {}
        with np.errstate(all="ignore"):
            for node in N.walk(root):
                if node in self.memo:
                    continue
                self.memo[node] = self._one(node)
        return self.memo[root]

    def _one(self, node: N.Node) -> np.ndarray:
        if isinstance(node, N.Var):
            return self.env[node.name]
        params = self.params.get(node.params)
        if params is None:
            params = _numeric(node.params, self.dims)
            self.params[node.params] = params
        ins = [self.memo[c] for c in node.children]
        try:
            out = GATES[type(node)].forward(params, ins)
        except (np.linalg.LinAlgError, ValueError, ZeroDivisionError, FloatingPointError):
            shape = tuple(int(_numeric(d, self.dims)) for d in node.shape)
            return np.full(shape, np.nan)
        return np.asarray(out, dtype=float)

    def floating_error(self, node: N.Node) -> str | None:
        """Why ``node`` is not finite although its operands are: "overflow", "divide by
        zero", "invalid value" (log of a negative number, 0/0) or "singular matrix"; None
        when the node has no gate (the NumPy grader's stand-in)."""
        gate = GATES.get(type(node))
        if gate is None:
            return None
        params = _numeric(node.params, self.dims)
        ins = [self.value(c) for c in node.children]
        try:
            with np.errstate(all="raise"):
                gate.forward(params, ins)
        except FloatingPointError as exc:
            for cause in ("overflow", "divide by zero", "invalid value"):
                if cause in str(exc):
                    return cause
            return "invalid value"
        except np.linalg.LinAlgError:
            return "singular matrix"
        except (ValueError, ZeroDivisionError):
            return "invalid value"
        return "invalid value"


def _internal_shape(a: np.ndarray) -> tuple[int, int]:
    if a.ndim == 0:
        return (1, 1)
    if a.ndim == 1:
        return (a.shape[0], 1)
    return a.shape  # type: ignore[return-value]


RATIONAL_FUNCTIONS = {"pow"}


def is_rational(nodes: list[N.Node]) -> bool:
    """True when every value is a rational function of the inputs (exact at rational points)."""
    for root in nodes:
        for node in N.walk(root):
            if not node_spec(node).rational:  # from the op registry (log det, norms, softmax…)
                return False
            if isinstance(node, N.Apply):
                if node.fn != "pow":
                    return False
                exponent = node.children[1]
                if not (isinstance(exponent, N.Const) and exponent.value.is_Integer):
                    return False
            if isinstance(node, N.Const) and not node.value.is_Rational:
                return False
    return True


class ExactDraw:
    """One draw in exact arithmetic: rationals for rational expressions, else 60 digits."""

    def __init__(
        self,
        draw: Draw,
        definitions: list[Definition],
        rational: bool,
        work_limit: int = DEFAULT_WORK,
        kinds: dict[str, str] | None = None,
        axes: dict[str, int] | None = None,
    ) -> None:
        self.rational = rational
        env: dict[str, sp.Matrix] = {}
        for name, value in draw.inputs.items():
            a = np.asarray(value, dtype=float).reshape(_internal_shape(np.asarray(value)))
            env[name] = sp.Matrix(a.shape[0], a.shape[1], lambda i, j, a=a: self._number(a[i, j]))
        for name, kind in (kinds or {}).items():  # Σ y = 1 exactly, as the reference assumes
            env[name] = exact_on_kind(kind, env[name], (axes or {}).get(name))
        # Counted work, never wall-clock: a comparison that would be confirmed on a quiet
        # machine must not fall back to the float verdict on a loaded one.
        self.explicit = Explicit(env, draw.sizes, work=Work(work_limit))
        for d in definitions:
            self.explicit.env[d.name] = self.explicit.evaluate(d.node)

    def _number(self, x: float) -> sp.Expr:
        exact = Fraction(float(x)).limit_denominator(10**6)
        value = sp.Rational(exact.numerator, exact.denominator)
        return value if self.rational else sp.Float(value, EXACT_DIGITS)

    def value(self, node: N.Node) -> sp.Matrix:
        if len(self.explicit.memo) > MEMO_LIMIT // 10:
            self.explicit.memo = {}
        return self.explicit.evaluate(node)

    def difference(self, a: N.Node, b: N.Node) -> float:
        """max |a − b| / (|a| + |b| + 1) over the entries: 0 exactly when rational and equal.

        The draw is cached with the problem, so each comparison gets its own work budget."""
        if self.explicit.work is not None:
            self.explicit.work.used = 0
        va, vb = self.value(a), self.value(b)
        if va.shape != vb.shape:
            return float("inf")
        worst = 0.0
        for x, y in zip(va, vb, strict=True):
            diff = x - y
            if self.rational and diff.is_Rational:
                if diff != 0:
                    return float(abs(diff) / (abs(x) + abs(y) + 1))
                continue
            d = sp.N(diff, EXACT_DIGITS)
            scale = sp.N(abs(x) + abs(y) + 1, EXACT_DIGITS)
            if not (d.is_number and scale.is_number) or d.has(sp.nan, sp.zoo, sp.oo):
                return float("nan")
            worst = max(worst, float(abs(d) / scale))
        return worst
