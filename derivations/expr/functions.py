"""The elementwise function table: one entry per scalar function, SymPy doing the calculus.

Each entry names the SymPy function that defines it. The symbolic rule for every elementwise
function is the same (``calculus/rules.py``: upstream ∘ ∂f/∂argₖ); the partial ∂f/∂argₖ comes
from ``sympy.diff`` on this table, which is where SymPy is strong. The functions SymPy lacks
(σ, ReLU, softplus, the indicators) are defined here with their derivatives (``fdiff``) and a
numeric definition (``_eval_evalf``) so that exact checks can evaluate them.

The printers and the engine keep their own per-function entries; the sampling domain and the
kinks listed here steer verification away from places where a derivative does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp


class _Elementwise(sp.Function):
    """Base for our scalar functions: evaluate numerically through their definition."""

    @classmethod
    def definition(cls, *args: sp.Expr) -> sp.Expr:  # pragma: no cover - overridden
        raise NotImplementedError

    def _eval_evalf(self, prec: int) -> sp.Expr:
        return self.definition(*self.args).evalf(prec)

    def _eval_is_real(self) -> bool | None:
        return all(a.is_real for a in self.args) or None


class sigmoid(_Elementwise):  # noqa: N801 - SymPy functions are lower-case
    nargs = 1

    @classmethod
    def definition(cls, x: sp.Expr) -> sp.Expr:
        return 1 / (1 + sp.exp(-x))

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        s = sigmoid(self.args[0])
        return s * (1 - s)


class relu(_Elementwise):  # noqa: N801
    nargs = 1

    @classmethod
    def definition(cls, x: sp.Expr) -> sp.Expr:
        return sp.Max(x, 0)

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return gt(self.args[0], sp.Integer(0))


class softplus(_Elementwise):  # noqa: N801
    nargs = 1

    @classmethod
    def definition(cls, x: sp.Expr) -> sp.Expr:
        return sp.log(1 + sp.exp(x))

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sigmoid(self.args[0])


class leaky_relu(_Elementwise):  # noqa: N801
    """leaky_relu(x, α) = x for x > 0, αx otherwise."""

    nargs = 2

    @classmethod
    def definition(cls, x: sp.Expr, alpha: sp.Expr) -> sp.Expr:
        return sp.Piecewise((x, x > 0), (alpha * x, True))

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        x, alpha = self.args
        if argindex == 1:
            return leaky_step(x, alpha)
        return emin(x, sp.Integer(0))


class leaky_step(_Elementwise):  # noqa: N801
    """The derivative of leaky ReLU in x: 1 for x > 0, α otherwise."""

    nargs = 2

    @classmethod
    def definition(cls, x: sp.Expr, alpha: sp.Expr) -> sp.Expr:
        return sp.Piecewise((1, x > 0), (alpha, True))

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        x, alpha = self.args
        if argindex == 1:
            return sp.Integer(0)  # almost everywhere
        return ge(sp.Integer(0), x)


class gt(_Elementwise):  # noqa: N801
    """The indicator 𝟙[a > b]; its derivative is zero almost everywhere."""

    nargs = 2

    @classmethod
    def definition(cls, a: sp.Expr, b: sp.Expr) -> sp.Expr:
        return sp.Piecewise((1, a > b), (0, True))

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sp.Integer(0)


class ge(_Elementwise):  # noqa: N801
    """The indicator 𝟙[a ≥ b]."""

    nargs = 2

    @classmethod
    def definition(cls, a: sp.Expr, b: sp.Expr) -> sp.Expr:
        return sp.Piecewise((1, a >= b), (0, True))

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sp.Integer(0)


class sign(_Elementwise):  # noqa: N801
    nargs = 1

    @classmethod
    def definition(cls, x: sp.Expr) -> sp.Expr:
        return sp.sign(x)

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sp.Integer(0)


class emax(_Elementwise):  # noqa: N801
    """Elementwise max(a, b). Ties route the gradient to a, as ∂/∂a = 𝟙[a ≥ b]."""

    nargs = 2

    @classmethod
    def definition(cls, a: sp.Expr, b: sp.Expr) -> sp.Expr:
        return sp.Max(a, b)

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        a, b = self.args
        return ge(a, b) if argindex == 1 else gt(b, a)


class emin(_Elementwise):  # noqa: N801
    """Elementwise min(a, b). Ties route the gradient to a, as ∂/∂a = 𝟙[b ≥ a]."""

    nargs = 2

    @classmethod
    def definition(cls, a: sp.Expr, b: sp.Expr) -> sp.Expr:
        return sp.Min(a, b)

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        a, b = self.args
        return ge(b, a) if argindex == 1 else gt(a, b)


class eabs(_Elementwise):  # noqa: N801
    nargs = 1

    @classmethod
    def definition(cls, x: sp.Expr) -> sp.Expr:
        return sp.Abs(x)

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sign(self.args[0])


def _pow(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    return a**b


@dataclass(frozen=True)
class ElementwiseFunction:
    """One scalar function applied entry by entry.

    ``domain`` says where verification may sample the first argument: ``real`` (within ±2),
    ``positive`` (0.5 to 2) or ``unit`` (within ±1). ``kinks`` are the first-argument values (or,
    for two-argument functions, the places a == b) where the derivative jumps; inputs near them
    are flagged rather than reported as failures. ``analytic`` says the complex-step derivative
    is valid through it.
    """

    name: str
    arity: int
    sympy: type[sp.Function] | object
    domain: str = "real"
    kinks: str | None = None  # None, "zero" (of the first argument) or "tie" (a == b)
    analytic: bool = True
    user_facing: bool = True
    # Arguments after the first must be scalars (leaky ReLU's α), not broadcast arrays.
    scalar_params: bool = False

    def apply(self, *args: sp.Expr) -> sp.Expr:
        return self.sympy(*args)  # type: ignore[operator]


FUNCTIONS: dict[str, ElementwiseFunction] = {
    f.name: f
    for f in [
        ElementwiseFunction("exp", 1, sp.exp),
        ElementwiseFunction("log", 1, sp.log, domain="positive"),
        ElementwiseFunction("sqrt", 1, sp.sqrt, domain="positive"),
        ElementwiseFunction("abs", 1, eabs, kinks="zero", analytic=False),
        ElementwiseFunction("sin", 1, sp.sin),
        ElementwiseFunction("cos", 1, sp.cos),
        ElementwiseFunction("tanh", 1, sp.tanh),
        ElementwiseFunction("sigmoid", 1, sigmoid),
        ElementwiseFunction("relu", 1, relu, kinks="zero", analytic=False),
        ElementwiseFunction(
            "leaky_relu", 2, leaky_relu, kinks="zero", analytic=False, scalar_params=True
        ),
        ElementwiseFunction("softplus", 1, softplus),
        ElementwiseFunction("max", 2, emax, kinks="tie", analytic=False),
        ElementwiseFunction("min", 2, emin, kinks="tie", analytic=False),
        ElementwiseFunction("pow", 2, _pow, user_facing=False),
        # Derivatives only: they appear in results, never in what users write.
        ElementwiseFunction("gt", 2, gt, kinks="tie", analytic=False, user_facing=False),
        ElementwiseFunction("ge", 2, ge, kinks="tie", analytic=False, user_facing=False),
        ElementwiseFunction("sign", 1, sign, kinks="zero", analytic=False, user_facing=False),
        ElementwiseFunction(
            "leaky_step",
            2,
            leaky_step,
            kinks="zero",
            analytic=False,
            user_facing=False,
            scalar_params=True,
        ),
    ]
}

# SymPy function class -> table name, for turning SymPy derivatives back into nodes.
SYMPY_TO_NAME: dict[object, str] = {f.sympy: f.name for f in FUNCTIONS.values() if f.name != "pow"}
