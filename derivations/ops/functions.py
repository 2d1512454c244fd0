"""The elementwise functions: one ``FunctionSpec`` per scalar function, applied entry by entry.

Each spec says everything but the derivative: the derivative rule lives in the calculus layer
(``calculus/elementwise.py``, one local partial per function) and the engine's gate in
``engine/gates.py``, each written independently. ``exact`` spells the function out from its
definition with SymPy builtins only, σ(x) = 1/(1 + e^{−x}), so that the exact check never
shares our derivative table (a wrong σ′ there would otherwise agree with itself). The piecewise
functions are written with |x| = √(x²) (``magnitude``): SymPy differentiates those by the power
rule at a cost fixed by the expression, where ``Piecewise`` would run condition simplification.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import sympy as sp

from .spec import ADD, ATOM, MUL, POW, Doc, Example, FunctionSpec

# -- the exact meanings' building blocks ----------------------------------------------------------


def magnitude(x: sp.Expr) -> sp.Expr:
    """|x| for real x, as √(x²), built unevaluated: evaluating √(x²) asks SymPy's assumptions
    system about x, which walks (and can take seconds on) a nested expression."""
    return sp.Pow(sp.Pow(x, 2, evaluate=False), sp.Rational(1, 2), evaluate=False)


def _step(x: sp.Expr) -> sp.Expr:
    """𝟙[x > 0] away from 0."""
    return (1 + x / magnitude(x)) / 2


# -- special printed forms ----------------------------------------------------------------------


def _power_head(node: Any) -> str | None:
    """tanh(z)² prints as \\tanh^{2}(z): the head of a function application that allows it."""
    spec = FUNCTIONS.get(getattr(node, "fn", None))  # only Apply nodes have .fn
    return spec.latex if spec is not None and spec.power_head else None  # type: ignore[return-value]


def _pow_latex(p: Any, node: Any) -> tuple[str, int]:
    base, exponent = node.children
    exp_text = p.doprint(exponent)
    head = _power_head(base)
    if head is not None:
        return rf"{head}^{{{exp_text}}}\left({p.doprint(base.children[0])}\right)", POW
    return f"{p.wrap(base, POW + 1)}^{{{exp_text}}}", POW


def _pow_code(p: Any, node: Any) -> tuple[str, int]:
    base, power = node.children
    value = getattr(power, "value", None)  # a Const exponent prints as an integer literal
    exponent = (
        str(int(value))
        if value is not None and value.is_Integer and value >= 0
        else p.wrap(power, POW + 1)
    )
    return f"{p.wrap(base, POW + 1)} ** {exponent}", POW


def _sqrt_latex(p: Any, node: Any) -> tuple[str, int]:
    return rf"\sqrt{{{p.doprint(node.children[0])}}}", ATOM


def _abs_latex(p: Any, node: Any) -> tuple[str, int]:
    return rf"\left\lvert {p.doprint(node.children[0])} \right\rvert", ATOM


def _extremum_latex(p: Any, node: Any) -> tuple[str, int]:
    a, b = (p.doprint(x) for x in node.children)
    return rf"\{node.fn}\left({a}, {b}\right)", ATOM


def _leaky_relu_latex(p: Any, node: Any) -> tuple[str, int]:
    x, alpha = (p.doprint(a) for a in node.children)
    return rf"\operatorname{{LeakyReLU}}_{{{alpha}}}\left({x}\right)", ATOM


def _indicator_latex(p: Any, node: Any) -> tuple[str, int]:
    a, b = (p.doprint(x) for x in node.children)
    rel = ">" if node.fn == "gt" else r"\geq"
    return rf"\mathbb{{1}}\left[{a} {rel} {b}\right]", ATOM


def _leaky_step_latex(p: Any, node: Any) -> tuple[str, int]:
    x, alpha = p.doprint(node.children[0]), p.wrap(node.children[1], MUL + 1)
    return (
        rf"\mathbb{{1}}\left[{x} > 0\right] + {alpha}\, \mathbb{{1}}\left[{x} \leq 0\right]",
        ADD,
    )


def _leaky_relu_args(p: Any, args: tuple) -> list[str]:
    """np.where(x > 0, x, α * x): the template needs x bare, α and x bracketed for a product."""
    return [p.doprint(args[0]), p.wrap(args[1], MUL), p.wrap(args[0], MUL + 1)]


def _squared_args(p: Any, args: tuple) -> list[str]:
    """exp(-0.5 * x ** 2): x bracketed for a power (x + t dx printed bare squared only dx)."""
    return [p.wrap(args[0], POW + 1)]


def _indicator_index(b: Any, node: Any, args: list) -> Any:
    return b.indicator(args[0], args[1], node.fn == "ge")


def _sqrt_index(b: Any, node: Any, args: list) -> Any:
    return sp.sqrt(args[0], evaluate=False)


def _pow_index(b: Any, node: Any, args: list) -> Any:
    return args[0] ** args[1]


def _sigmoid(x: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-x))


def erf_array(x: Any) -> Any:
    """erf entry by entry: NumPy has none; ``math.erf`` is accurate to float64 precision."""
    return np.vectorize(math.erf, otypes=[float])(x)


def _normal_cdf(x: Any) -> Any:
    return 0.5 * (1.0 + erf_array(x / math.sqrt(2.0)))


def _normal_pdf(x: Any) -> Any:
    return np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def _gelu(x: Any) -> Any:
    return x * _normal_cdf(x)


def _exact_cdf(x: sp.Expr) -> sp.Expr:
    """Φ(x) = (1 + erf(x/√2))/2, the standard normal CDF."""
    return (1 + sp.erf(x / sp.sqrt(2))) / 2


# erf, Φ and GELU in generated code: NumPy has no erf (math.erf, entry by entry); PyTorch and
# JAX call their own under the same helper names, so every backend spells the same operations.
_ERF_HELPER = {
    "numpy": {
        "_erf": '''def _erf(x):
    """erf entry by entry (NumPy has none; math.erf is accurate to float64)."""
    import math

    return np.vectorize(math.erf, otypes=[float])(x)'''
    },
    "torch": {
        "_erf": """def _erf(x):
    return torch.erf(torch.as_tensor(x, dtype=torch.float64))"""
    },
    "jax": {
        "_erf": """def _erf(x):
    return jax.scipy.special.erf(x)"""
    },
}
_CDF = {
    "numpy": {
        "_normal_cdf": '''def _normal_cdf(x):
    """Φ(x) = (1 + erf(x/√2))/2, the standard normal CDF (NumPy has no erf; math.erf)."""
    import math

    return 0.5 * (1.0 + np.vectorize(math.erf, otypes=[float])(x / math.sqrt(2.0)))'''
    },
    "torch": {
        "_normal_cdf": """def _normal_cdf(x):
    return torch.special.ndtr(torch.as_tensor(x, dtype=torch.float64))"""
    },
    "jax": {
        "_normal_cdf": """def _normal_cdf(x):
    return jax.scipy.special.ndtr(x)"""
    },
}
_GELU_HELPERS = {
    "numpy": {
        "_gelu": '''def _gelu(x):
    """GELU(x) = x Φ(x), Φ the standard normal CDF: the exact form, not tanh's approximation."""
    import math

    return 0.5 * x * (1.0 + np.vectorize(math.erf, otypes=[float])(x / math.sqrt(2.0)))'''
    },
    "torch": {
        "_gelu": """def _gelu(x):
    return torch.nn.functional.gelu(torch.as_tensor(x, dtype=torch.float64))"""
    },
    "jax": {
        "_gelu": """def _gelu(x):
    return jax.nn.gelu(x, approximate=False)"""
    },
}


def _internal(fn: str, arity: int, second: str = "y") -> Example:
    """sum(f(x[, y]) ∘ y): a function only derivatives produce, as a typed tree."""

    def tree() -> tuple[Any, dict[str, Any]]:
        from ..expr import nodes as N  # nodes read this table: import them only when asked
        from ..expr import shapes as Sh

        x = N.Var("x", Sh.column(Sh.dim("n")))
        y = N.Var("y", Sh.column(Sh.dim("n")))
        args = [x] if arity == 1 else [x, N.Const(0.2) if second == "0.2" else y]
        factor = x if fn == "gt" else y
        return N.Sum(N.Mul(N.Apply(fn, *args), factor)), {"x": x, "y": y}

    return Example(tree=tree)


def _head(name: str, head: str, exact: Any, value: Any, **kw: Any) -> FunctionSpec:
    """A one-argument function printed head(x), with tanh²-style powers."""
    return FunctionSpec(name, 1, exact, value, head, kw.pop("code", f"np.{name}({{0}})"),
                        power_head=True, **kw)  # fmt: skip


S: list[str] = []  # a scalar variable in the op reference
X = {"x": ("n",)}
WV = {"W": ("n", "m"), "v": ("m",)}


def _doc(name: str, meaning: str, syntax: str = "", program: str = "") -> Doc:
    """The reference row of a one-argument function: f(a), shown on a scalar x."""
    return Doc(syntax or f"{name}(a)", meaning, program or f"{name}(x)", {"x": S})


_SPECS = [
    _head("exp", r"\exp", sp.exp, np.exp, names_layer=True, plain_word=True,
          latex_words=("exp",), unicode={r"\exp": "exp"}, prime="exp(z)",
          doc=_doc("exp", "elementwise eˣ"),
          examples=(Example("sum(exp(x))", X, True),)),
    _head("log", r"\log", sp.log, np.log, domain="positive", plain_word=True,
          latex_words=("log",), unicode={r"\log": "log"},
          prime="1 / z",
          doc=_doc("log", "elementwise natural logarithm"),
          examples=(Example("sum(log(x))", X, True),)),
    _head("log1p", r"\operatorname{log1p}", lambda x: sp.log(1 + x), np.log1p,
          domain="positive", latex_words=("log1p",),
          prime="1 / (1 + z)",
          doc=_doc("log1p", "elementwise log(1 + x), accurate for small x"),
          examples=(Example("sum(log1p(x))", X, True), Example("u.T @ log1p(W @ v)",
                                                                {"u": ("n",), **WV}))),
    FunctionSpec("sqrt", 1, sp.sqrt, np.sqrt, _sqrt_latex, "np.sqrt({0})", index=_sqrt_index,
                 domain="positive", plain_word=True, latex_words=("sqrt",),
                 prime="1 / (2 * sqrt(z))",
                 doc=_doc("sqrt", "elementwise square root"),
                 examples=(Example("sum(sqrt(x))", X, True),)),
    FunctionSpec("abs", 1, magnitude, np.abs, _abs_latex, "np.abs({0})",
                 index=r"\operatorname{abs}", kinks="zero", analytic=False, names_layer=True,
                 plain_word=True, latex_words=("abs",), prime="sign(z)",
                 doc=_doc("abs", "elementwise |x|"),
                 examples=(Example("sum(abs(x))", X),)),
    _head("sin", r"\sin", sp.sin, np.sin, names_layer=True, plain_word=True,
          unicode={r"\sin": "sin"}, prime="cos(z)",
          doc=_doc("sin", "elementwise sine"),
          examples=(Example("sum(sin(x))", X, True),)),
    _head("cos", r"\cos", sp.cos, np.cos, names_layer=True, plain_word=True,
          unicode={r"\cos": "cos"}, prime="-sin(z)",
          doc=_doc("cos", "elementwise cosine"),
          examples=(Example("sum(cos(x))", X, True),)),
    # SymPy's own tanh (and its own derivative rule) in the exact check.
    _head("tanh", r"\tanh", sp.tanh, np.tanh, names_layer=True, plain_word=True,
          latex_words=("tanh",), unicode={r"\tanh": "tanh"},
          prime="1 - tanh(z) ** 2",
          doc=_doc("tanh", "elementwise hyperbolic tangent"),
          examples=(Example("tanh(W @ v)", WV),)),
    # tan = sin / cos by definition; its rule is SymPy's (1 + tan²).
    _head("tan", r"\tan", lambda x: sp.sin(x) / sp.cos(x), np.tan, names_layer=True,
          plain_word=True, latex_words=("tan",), unicode={r"\tan": "tan"},
          prime="1 + tan(z) ** 2",
          doc=_doc("tan", "elementwise tangent"),
          examples=(Example("sum(tan(x))", X, True), Example("tan(W @ v)", WV))),
    FunctionSpec("erf", 1, sp.erf, erf_array, r"\operatorname{erf}", "_erf({0})",
                 helpers=_ERF_HELPER, plain_word=True, latex_words=("erf",),
                 prime="2 * sqrt(2) * normal_pdf(sqrt(2) * z)",
                 doc=_doc("erf", "elementwise error function (2/√π) ∫₀ˣ e^{−t²} dt"),
                 examples=(Example("sum(erf(x))", X, True), Example("erf(W @ v)", WV))),
    # GELU's exact form x Φ(x) = x (1 + erf(x/√2))/2, not the tanh approximation.
    FunctionSpec("gelu", 1, lambda x: x * _exact_cdf(x), _gelu,
                 r"\operatorname{GELU}", "_gelu({0})",
                 helpers=_GELU_HELPERS,
                 names_layer=True, plain_word=True, latex_words=("GELU", "gelu"),
                 prime="normal_cdf(z) + z * normal_pdf(z)",
                 doc=_doc("gelu", "elementwise GELU x Φ(x) = x (1 + erf(x/√2))/2 (exact, not "
                          "the tanh approximation)"),
                 examples=(Example("sum(gelu(x))", X, True),
                           Example("u.T @ gelu(W @ v)", {"u": ("n",), **WV}, True))),
    _head("sigmoid", r"\sigma", lambda x: 1 / (1 + sp.exp(-x)), _sigmoid, code="_sigmoid({0})",
          names_layer=True, plain_word=True, latex_words=("sigmoid",),
          prime="sigmoid(z) * (1 - sigmoid(z))",
          doc=_doc("sigmoid", "elementwise logistic σ(x) = 1/(1 + e⁻ˣ)"),
          examples=(Example("sum(sigmoid(W @ v))", WV, True),)),
    _head("relu", r"\operatorname{ReLU}", lambda x: (x + magnitude(x)) / 2,
          lambda x: np.maximum(x, 0.0), code="np.maximum({0}, 0.0)",
          torch="torch.clamp({0}, min=0.0)", kinks="zero", analytic=False, names_layer=True,
          plain_word=True, latex_words=("ReLU", "relu"), prime="gt(z, 0)",
          doc=_doc("relu", "elementwise max(x, 0)"),
          examples=(Example("sum(relu(W @ v) ** 2)", WV, True),)),
    FunctionSpec("leaky_relu", 2, lambda x, a: ((1 + a) * x + (1 - a) * magnitude(x)) / 2,
                 lambda x, a: np.where(x > 0, x, a * x), _leaky_relu_latex,
                 "np.where({0} > 0, {0}, {1} * {2})", index=r"\operatorname{LeakyReLU}",
                 torch="_where({0} > 0, {0}, {1} * {2})", code_args=_leaky_relu_args,
                 kinks="zero", analytic=False, scalar_params=True, names_layer=True,
                 usage="leaky_relu(x, alpha)", latex_words=("LeakyReLU", "leaky_relu"),
                 doc=Doc("leaky_relu(a, alpha)", "x for x > 0, αx otherwise",
                         "leaky_relu(x, alpha)", {"x": S, "alpha": S}),
                 examples=(Example("sum(leaky_relu(x, a) * y)", {**X, "a": (), "y": ("n",)}),)),
    _head("softplus", r"\operatorname{softplus}", lambda x: sp.log(1 + sp.exp(x)),
          lambda x: np.logaddexp(0.0, x), code="np.logaddexp(0.0, {0})",
          torch="torch.nn.functional.softplus({0}, threshold=40.0)", names_layer=True,
          plain_word=True, latex_words=("softplus",), prime="sigmoid(z)",
          doc=_doc("softplus", "elementwise log(1 + eˣ)"),
          examples=(Example("sum(softplus(x))", X, True),)),
    FunctionSpec("max", 2, lambda a, b: (a + b + magnitude(a - b)) / 2, np.maximum,
                 _extremum_latex, "np.maximum({0}, {1})", index=r"\max", torch="_maximum({0}, {1})",
                 kinks="tie", analytic=False, usage="max(a, b)", plain_word=True, unicode={r"\max": "max"},
                 doc=Doc("max(a, b)", "elementwise maximum (ties route to a)", "max(x, y)",
                         {"x": S, "y": S}),
                 examples=(Example("sum(max(x, y) * x)", {**X, "y": ("n",)}),)),
    FunctionSpec("min", 2, lambda a, b: (a + b - magnitude(a - b)) / 2, np.minimum,
                 _extremum_latex, "np.minimum({0}, {1})", index=r"\min", torch="_minimum({0}, {1})",
                 kinks="tie", analytic=False, usage="min(a, b)", plain_word=True, unicode={r"\min": "min"},
                 doc=Doc("min(a, b)", "elementwise minimum (ties route to a)", "min(x, y)",
                         {"x": S, "y": S}),
                 examples=(Example("sum(min(x, a))", {**X, "a": ()}),)),
    FunctionSpec("pow", 2, lambda a, b: a**b, np.power, _pow_latex, _pow_code,
                 index=_pow_index, user_facing=False,
                 examples=(Example("sum(x ** 3) + sum(y ** a)",
                                   {**X, "y": ("n",), "a": ()}, True),)),
    # Derivatives only: they appear in results, never in what users write. Ties have no value
    # in their exact meanings, which is where their conventions (≥ against >) would differ.
    FunctionSpec("gt", 2, lambda a, b: _step(a - b), lambda a, b: (a > b) * 1.0,
                 _indicator_latex, "np.greater({0}, {1}) * 1.0", index=_indicator_index,
                 torch="_indicator(torch.gt, {0}, {1})", kinks="tie", analytic=False,
                 user_facing=False, examples=(_internal("gt", 2),)),
    FunctionSpec("ge", 2, lambda a, b: _step(a - b), lambda a, b: (a >= b) * 1.0,
                 _indicator_latex, "np.greater_equal({0}, {1}) * 1.0", index=_indicator_index,
                 torch="_indicator(torch.ge, {0}, {1})", kinks="tie", analytic=False,
                 user_facing=False, examples=(_internal("ge", 2, second="y"),)),
    _head("sign", r"\operatorname{sign}", lambda x: x / magnitude(x), np.sign, kinks="zero",
          analytic=False, user_facing=False, latex_words=("sign", "sgn"),
          examples=(_internal("sign", 1),)),
    # GELU′ = Φ + x φ: the standard normal CDF and density, as derivatives write them.
    FunctionSpec("normal_cdf", 1, _exact_cdf, _normal_cdf, r"\Phi", "_normal_cdf({0})",
                 helpers=_CDF, user_facing=False, examples=(_internal("normal_cdf", 1),)),
    FunctionSpec("normal_pdf", 1, lambda x: sp.exp(-(x**2) / 2) / sp.sqrt(2 * sp.pi), _normal_pdf,
                 r"\varphi", "np.exp(-0.5 * {0} ** 2) / 2.5066282746310002", user_facing=False,
                 code_args=_squared_args,
                 examples=(_internal("normal_pdf", 1),)),
    FunctionSpec("leaky_step", 2, lambda x, a: a + (1 - a) * _step(x),
                 lambda x, a: np.where(x > 0, 1.0, a), _leaky_step_latex,
                 "np.where({0} > 0, 1.0, {1})", index=r"\operatorname{LeakyReLU}'",
                 torch="_where({0} > 0, 1.0, {1})", kinks="zero", analytic=False,
                 user_facing=False, scalar_params=True,
                 examples=(_internal("leaky_step", 2, second="0.2"),)),
]  # fmt: skip

FUNCTIONS: dict[str, FunctionSpec] = {f.name: f for f in _SPECS}
