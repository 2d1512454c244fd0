"""Normalisation: the variance of an array and the layer norm of a vector, each class next to
its spec (``expr/nodes.py`` is not edited).

- ``Variance(X)`` = var(X) = mean((X − mean X)²), the biased variance of every entry (as
  ``np.var`` and ``torch.var(unbiased=False)``);
- ``LayerNorm(x, ε)`` = (x − mean(x) 𝟏) / σ with σ = √(var(x) + ε), for a column vector x; ε is
  a positive literal, 1e-5 by default (PyTorch's), written ``layernorm(x)`` or
  ``layernorm(x, 0.001)``. Its derivative is the textbook (1/σ)(I − 𝟏𝟏ᵀ/N − x̂x̂ᵀ/N).

The rules are in ``calculus/rules.py``, the gates in ``engine/gates.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from ..expr import nodes as N
from ..expr import shapes as S
from .spec import ATOM, Doc, Example, NodeSpec

DEFAULT_EPS = sp.Rational(1, 10**5)


class Variance(N.ScalarValued):
    """The biased variance of every entry of its operand."""

    __slots__ = ()


class LayerNorm(N.Node):
    """(x − mean(x)) / √(var(x) + ε) of a column vector; ``eps`` is its parameter."""

    __slots__ = ()
    arity = 1

    def __init__(self, x: N.Node, eps: sp.Expr = DEFAULT_EPS) -> None:
        super().__init__((x,), (sp.nsimplify(eps),))

    @property
    def eps(self) -> sp.Expr:
        return self.params[0]

    def _shape(self) -> S.Shape:
        return self.children[0].shape


def layer_std(node: N.Node) -> N.Node:
    """σ = √(var(x) + ε) of a LayerNorm node, as a node (what its derivative divides by)."""
    (x,) = node.children
    return N.Apply("sqrt", N.Add(Variance(x), N.Const(node.params[0])))


# -- builders ---------------------------------------------------------------------------------


def _build_layernorm(e: Any, args: list[N.Node], syn: Any) -> N.Node:
    if len(args) > 2:
        raise e.error(
            "arity",
            f"layernorm takes 1 or 2 arguments, got {len(args)}",
            syn.func_pos,
            "call it as layernorm(x) or layernorm(x, eps)",
            expected=2,
            got=len(args),
        )
    e.need_vector("layernorm", args[0], syn)
    if len(args) == 1:
        return LayerNorm(args[0])
    eps = args[1]
    value = eps.value if isinstance(eps, N.Const) else None
    if value is None or not value.is_number or not value > 0:
        raise e.error(
            "value",
            "the ε of layernorm must be a positive number literal",
            syn.args[1].pos,
            "write layernorm(x, 0.00001), or layernorm(x) for ε = 1e-5",
        )
    return LayerNorm(args[0], value)


def _build_var(e: Any, args: list[N.Node], syn: Any) -> N.Node:
    if args[0].is_scalar:
        raise e.shape_error(
            "var needs a vector or a matrix, got a scalar",
            syn.func_pos,
            "the variance of one number is 0",
            args[0],
        )
    return Variance(args[0])


# -- printed forms ----------------------------------------------------------------------------


def _layernorm_latex(p: Any, node: N.Node) -> tuple[str, int]:
    inner = p.doprint(node.children[0])
    if node.params[0] != DEFAULT_EPS:
        inner += f", {p.doprint(N.Const(node.params[0]))}"
    return rf"\operatorname{{LayerNorm}}\left({inner}\right)", ATOM


def _var_latex(p: Any, node: N.Node) -> tuple[str, int]:
    return rf"\operatorname{{var}}\left({p.doprint(node.children[0])}\right)", ATOM


def _lib(p: Any) -> str:
    return {"numpy": "np", "torch": "torch", "jax": "jnp"}[p.backend.name]


def _var_code(p: Any, node: N.Node) -> tuple[str, int]:
    lib, x = _lib(p), p.doprint(node.children[0])
    return f"{lib}.mean(({x} - {lib}.mean({x})) ** 2)", ATOM  # biased, in every backend


def _layernorm_code(p: Any, node: N.Node) -> tuple[str, int]:
    eps = repr(float(node.params[0]))
    return f"{p.helper('_layernorm')}({p.doprint(node.children[0])}, {eps})", ATOM


def _helper(lib: str) -> dict[str, str]:
    return {
        "_layernorm": f'''def _layernorm(x, eps):
    """(x - mean(x)) / sqrt(var(x) + eps), var the biased variance."""
    c = x - {lib}.mean(x)
    return c / {lib}.sqrt({lib}.mean(c * c) + eps)'''
    }


def _layernorm_label(f: Any, params: tuple, kids: list) -> tuple[str, int]:
    eps = "" if params[0] == DEFAULT_EPS else f", {f.number(params[0])}"
    return f"layernorm({kids[0][0]}{eps})", f.ATOM


# -- exact meanings ---------------------------------------------------------------------------


def _centred(ex: Any, x: N.Node) -> tuple[sp.Matrix, sp.Expr]:
    m = ex.evaluate(x)
    mean = sum(m) / len(m)
    c = m.applyfunc(lambda v: v - mean)
    return c, sum(v**2 for v in c) / len(m)


def _x_var(ex: Any, node: N.Node) -> sp.Matrix:
    return sp.Matrix([[_centred(ex, node.children[0])[1]]])


def _x_layernorm(ex: Any, node: N.Node) -> sp.Matrix:
    c, var = _centred(ex, node.children[0])
    sigma = sp.sqrt(var + node.params[0])
    return c.applyfunc(lambda v: v / sigma)


def _layernorm_value(x: Any, eps: Any = None) -> Any:
    e = 1e-5 if eps is None else float(np.asarray(eps).reshape(-1)[0])
    c = x - np.mean(x)
    return c / np.sqrt(np.mean(c * c) + e)


X = {"x": ("n",)}

NORMALIZATION_SPECS = [
    NodeSpec(Variance, rational=True, name="var", build=_build_var, latex=_var_latex,
             code={"numpy": _var_code}, index="opaque", exact=_x_var,
             value=lambda x: np.array([[np.var(x)]]), syntax_shape="scalar", label="var",
             trace="var", plain_word=True, latex_words=("var", "Var"),
             doc=Doc("var(A)", "variance of every entry, mean((A − mean A)²) (biased)",
                     "var(x)", {"x": ["n"]}),
             examples=(Example("var(x)", X, True), Example("var(W @ v)",
                                                          {"W": ("n", "m"), "v": ("m",)}, True))),
    NodeSpec(LayerNorm, name="layernorm", arity=None, build=_build_layernorm,
             usage="layernorm(x) or layernorm(x, eps)", latex=_layernorm_latex,
             code={"numpy": _layernorm_code},
             helpers={"numpy": _helper("np"), "torch": _helper("torch"), "jax": _helper("jnp")},
             index="opaque", exact=_x_layernorm, value=_layernorm_value, syntax_shape="same",
             label=_layernorm_label, trace="layernorm", latex_words=("LayerNorm", "layernorm"),
             doc=Doc("layernorm(x, eps)", "(x − mean x) / √(var x + ε) of a vector; ε = 1e-5 "
                     "unless given (a positive literal)", "u.T @ layernorm(x)",
                     {"u": ["n"], "x": ["n"]}),
             examples=(Example("u.T @ layernorm(x)", {"u": ("n",), **X}),
                       Example("layernorm(W @ v, 0.01)", {"W": ("n", "m"), "v": ("m",)}),
                       Example("sum(layernorm(x) * y) + a * var(x)",
                               {**X, "y": ("n",), "a": ()}))),
]  # fmt: skip
