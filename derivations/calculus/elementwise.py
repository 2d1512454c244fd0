"""The elementwise functions' derivative rules: one local partial per function, through SymPy.

Each function's rule is its SymPy counterpart: a SymPy builtin (exp, log, sin…, whose
derivatives SymPy knows) or a class defined here with its derivative ``fdiff`` (σ, ReLU,
softplus, the indicators, which SymPy lacks). ``scalar.py`` differentiates them with
``sympy.diff``; ``rules.py`` builds both the VJP and the Jacobian of every function from that
one partial. The registry (``derivations/ops``) holds everything else about the functions; the
engine never imports this module (its gates are written independently), and the exact check
uses the registry's definitions, so a wrong ``fdiff`` here cannot agree with itself.
"""

from __future__ import annotations

import sympy as sp

from ..ops.functions import FUNCTIONS


class _Elementwise(sp.Function):
    """Base for our scalar functions: evaluate numerically through their definition."""

    @classmethod
    def definition(cls, *args: sp.Expr) -> sp.Expr:
        raise NotImplementedError(f"{cls.__name__} has no definition")

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

    registry_name = "max"

    nargs = 2

    @classmethod
    def definition(cls, a: sp.Expr, b: sp.Expr) -> sp.Expr:
        return sp.Max(a, b)

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        a, b = self.args
        return ge(a, b) if argindex == 1 else gt(b, a)


class emin(_Elementwise):  # noqa: N801
    """Elementwise min(a, b). Ties route the gradient to a, as ∂/∂a = 𝟙[b ≥ a]."""

    registry_name = "min"

    nargs = 2

    @classmethod
    def definition(cls, a: sp.Expr, b: sp.Expr) -> sp.Expr:
        return sp.Min(a, b)

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        a, b = self.args
        return ge(b, a) if argindex == 1 else gt(a, b)


class eabs(_Elementwise):  # noqa: N801
    registry_name = "abs"

    nargs = 1

    @classmethod
    def definition(cls, x: sp.Expr) -> sp.Expr:
        return sp.Abs(x)

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sign(self.args[0])


class log1p(_Elementwise):  # noqa: N801
    """log(1 + x); its derivative 1/(1 + x) comes back as a quotient of nodes."""

    nargs = 1

    @classmethod
    def definition(cls, x: sp.Expr) -> sp.Expr:
        return sp.log(1 + x)

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return 1 / (1 + self.args[0])


class gelu(_Elementwise):  # noqa: N801
    """GELU(x) = x Φ(x) (the exact form); GELU′(x) = Φ(x) + x φ(x), Φ and φ the standard normal
    CDF and density (their own functions here, so the derivative prints as a textbook does)."""

    nargs = 1

    @classmethod
    def definition(cls, x: sp.Expr) -> sp.Expr:
        return x * (1 + sp.erf(x / sp.sqrt(2))) / 2

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        x = self.args[0]
        return normal_cdf(x) + x * normal_pdf(x)


class normal_cdf(_Elementwise):  # noqa: N801
    """Φ(x) = (1 + erf(x/√2))/2; Φ′ = φ."""

    nargs = 1

    @classmethod
    def definition(cls, x: sp.Expr) -> sp.Expr:
        return (1 + sp.erf(x / sp.sqrt(2))) / 2

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return normal_pdf(self.args[0])


class normal_pdf(_Elementwise):  # noqa: N801
    """φ(x) = e^{−x²/2}/√(2π); φ′ = −x φ."""

    nargs = 1

    @classmethod
    def definition(cls, x: sp.Expr) -> sp.Expr:
        return sp.exp(-(x**2) / 2) / sp.sqrt(2 * sp.pi)

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        x = self.args[0]
        return -x * normal_pdf(x)


def _pow(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    return a**b


# Function name -> its SymPy counterpart (what sympy.diff differentiates): SymPy's builtins,
# and every class above under its ``registry_name`` (its own name unless it says otherwise).
SYMPY: dict[str, object] = {
    "exp": sp.exp,
    "log": sp.log,
    "sqrt": sp.sqrt,
    "sin": sp.sin,
    "cos": sp.cos,
    "tan": sp.tan,
    "erf": sp.erf,
    "tanh": sp.tanh,
    "pow": _pow,
    **{getattr(c, "registry_name", c.__name__): c for c in _Elementwise.__subclasses__()},
}

# SymPy function class -> function name, for turning SymPy derivatives back into nodes.
SYMPY_TO_NAME: dict[object, str] = {f: name for name, f in SYMPY.items() if name != "pow"}


def sympy_function(name: str) -> object:
    """The SymPy counterpart of a registered function, or a clear error if it has no rule."""
    if name not in SYMPY:
        known = "registered" if name in FUNCTIONS else "not registered"
        raise NotImplementedError(
            f"no derivative rule for the function {name!r} ({known} in derivations/ops); "
            "add its SymPy counterpart to derivations/calculus/elementwise.py::SYMPY"
        )
    return SYMPY[name]
