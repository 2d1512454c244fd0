"""The Matrix Cookbook's classic identities, each derived, verified and compared at build time.

For every identity the page shows the Cookbook's form (Petersen & Pedersen, "The Matrix
Cookbook", 2012; equation numbers from that edition) beside chainrule's derivation. Both the
Cookbook and chainrule use the shape convention for a scalar by a matrix, so the two must agree
entry for entry: the build evaluates the Cookbook's form, written in the expression language,
and the derived gradient at the same random point and stops if they differ. The derivation
itself also passes the three-way verification, like every formula on the site.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

import numpy as np

from ..api import derive
from ..errors import ChainruleError
from ..language.elaborate import elaborate
from ..verify.numeric import load_module
from ..verify.sampling import choose_sizes, draw_inputs
from .data import SITE_LIMITS, derivation, require_passed
from .derivation_html import math
from .templates import Links, page, table


@dataclass(frozen=True)
class Identity:
    group: str
    number: str  # the Cookbook's equation number
    cookbook_latex: str
    program: str
    wrt: str
    cookbook_program: str  # the Cookbook's right-hand side in the expression language
    variables: dict[str, list[str]] = field(hash=False)


_V = {"x": ["n"], "a": ["n"], "b": ["n"], "X": ["n", "n"], "A": ["n", "n"], "B": ["n", "n"]}


def _vars(*names: str) -> dict[str, list[str]]:
    return {k: _V[k] for k in names}


IDENTITIES: list[Identity] = [
    Identity("Determinant", "49", r"\frac{\partial \det(X)}{\partial X} = \det(X)\, X^{-T}",
             "det(X)", "X", "det(X) * inv(X).T", _vars("X")),
    Identity("Determinant", "57", r"\frac{\partial \ln|\det(X)|}{\partial X} = X^{-T}",
             "logdet(X)", "X", "inv(X).T", _vars("X")),
    Identity("Inverse", "61", r"\frac{\partial a^{T} X^{-1} b}{\partial X} = -X^{-T} a b^{T} X^{-T}",
             "a.T @ inv(X) @ b", "X", "-(inv(X).T @ outer(a, b) @ inv(X).T)", _vars("a", "X", "b")),
    Identity("Linear forms", "69", r"\frac{\partial a^{T} x}{\partial x} = a",
             "a.T @ x", "x", "a", _vars("a", "x")),
    Identity("Linear forms", "70", r"\frac{\partial a^{T} X b}{\partial X} = a b^{T}",
             "a.T @ X @ b", "X", "outer(a, b)", _vars("a", "X", "b")),
    Identity("Linear forms", "71", r"\frac{\partial a^{T} X^{T} b}{\partial X} = b a^{T}",
             "a.T @ X.T @ b", "X", "outer(b, a)", _vars("a", "X", "b")),
    Identity("Quadratic forms", "81", r"\frac{\partial x^{T} B x}{\partial x} = (B + B^{T}) x",
             "x.T @ B @ x", "x", "(B + B.T) @ x", _vars("x", "B")),
    Identity("Trace", "100", r"\frac{\partial \operatorname{Tr}(X A)}{\partial X} = A^{T}",
             "trace(X @ A)", "X", "A.T", _vars("X", "A")),
    Identity("Trace", "117", r"\frac{\partial \operatorname{Tr}(X^{T} B X)}{\partial X} = B X + B^{T} X",
             "trace(X.T @ B @ X)", "X", "B @ X + B.T @ X", _vars("X", "B")),
    Identity("Norms", "", r"\frac{\partial \|x\|_{2}}{\partial x} = \frac{x}{\|x\|_{2}}",
             "norm2(x)", "x", "x / norm2(x)", _vars("x")),
    Identity("Norms", "", r"\frac{\partial \|X\|_{F}^{2}}{\partial X} = 2 X",
             "norm2(X) ** 2", "X", "2 * X", _vars("X")),
]  # fmt: skip


def compare(identity: Identity, code: str) -> float:
    """The worst relative difference between the derived gradient and the Cookbook's form."""
    typed = elaborate(identity.program, identity.variables, SITE_LIMITS)
    module = load_module(code)
    inputs, why = draw_inputs(typed, choose_sizes(typed), np.random.default_rng(0), module["value"])
    if inputs is None:
        raise ChainruleError("verification", f"cookbook {identity.program}: {why}")
    derived = np.asarray(module["value_and_grad"](**inputs)[1][identity.wrt], dtype=float)
    theirs = derive(identity.cookbook_program, identity.variables, verify=False, limits=SITE_LIMITS)
    wanted = np.asarray(load_module(theirs.code["numpy"])["value"](**inputs), dtype=float)
    scale = max(float(np.max(np.abs(wanted))), 1e-12)
    return float(np.max(np.abs(derived - wanted)) / scale)


def _row(identity: Identity) -> list[str]:
    where = f"cookbook identity {identity.program}"
    variables = tuple((k, tuple(v)) for k, v in identity.variables.items())
    d = derivation(identity.program, variables, (identity.wrt,))
    require_passed(d, where)
    error = compare(identity, d["code"]["numpy"])
    if not error <= 1e-8:
        raise ChainruleError(
            "verification",
            f"{where}: the derived gradient differs from the Cookbook's form (relative {error:.2e})",
            hint="a layout or transpose disagreement: check the rule and the Cookbook's equation",
        )
    number = f"({identity.number})" if identity.number else "–"
    return [
        escape(identity.group),
        escape(number),
        math(identity.cookbook_latex, where + " (Cookbook form)", True),
        math(d["derivatives"][0]["equation"], where, True),
        '<span class="passed">verified; '
        + ("agrees exactly" if error == 0 else f"agrees to {error:.0e}")
        + "</span>",
    ]


def cookbook_page(links: Links) -> str:
    rows = [_row(i) for i in IDENTITIES]
    body = (
        "<h1>Matrix Cookbook identities</h1>"
        "<p>The classic identities of <em>The Matrix Cookbook</em> (Petersen &amp; Pedersen, "
        "2012 edition; its equation numbers), each derived by chainrule from the left-hand "
        "side when this page was built, verified three ways, and compared numerically with the "
        "Cookbook's right-hand side at a random point. Both use the layout in which the "
        "gradient of a scalar has the shape of the variable.</p>"
        + table(["topic", "eq.", "The Matrix Cookbook", "chainrule", "check"], rows, "cookbook")
    )
    return page("Matrix Cookbook", body, links, "cookbook")
