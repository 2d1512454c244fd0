"""The LaTeX reader's tables: function words, derivatives it can write, names, accents.

One place per vocabulary. The grammar's FUNC terminal (latex.lark) lists the same command
words, since the lexer must know a function before the parser sees its argument: a word added
here is added there too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, is_dataclass, replace
from typing import Any

from ..ops.registry import FUNCTIONS, every_spec
from ..printing.names import GREEK
from .ast import BinOp, Call, Name, Number, Pos, Syntax, Unary
from .parser import parse

# Words inside \operatorname{} (or \mathrm, \text) -> the language's names: each op's
# ``latex_words`` in the registry, and the functions the reader writes through others.
OPERATOR_WORDS = {
    **{word: spec.name for spec in every_spec() for word in spec.latex_words},
    "sech": "sech", "cosh": "cosh", "sinh": "sinh",
}  # fmt: skip
# LaTeX's own function commands (\tanh, \ln, \sigma…), which the grammar lists by name.
COMMAND_WORDS = {
    "tanh": "tanh", "exp": "exp", "log": "log", "ln": "log", "sin": "sin", "cos": "cos",
    "tan": "tan", "Phi": "normal_cdf", "varphi": "normal_pdf", "sigma": "sigmoid", "σ": "sigmoid", "det": "det", "max": "max", "min": "min", "tr": "trace",
    "sinh": "sinh", "cosh": "cosh",
}  # fmt: skip
# LaTeX function words (after the backslash or inside \operatorname{}) -> the language's names.
FUNCTION_WORDS = {**OPERATOR_WORDS, **COMMAND_WORDS}
# Plain words a student types without a backslash: tanh(z) is the function, not tanh·z.
PLAIN_FUNCTIONS = {spec.name for spec in every_spec() if spec.plain_word} | {"ln", "tr"}


# f'(z) for the functions whose derivative the language can write (in terms of z): each
# function's ``prime`` in the registry, parsed once and placed at the f' being read.
def _prime(name: str, text: str) -> Callable[[Syntax, Pos], Syntax]:
    template = parse(text).statements[0].value

    def build(z: Syntax, p: Pos) -> Syntax:
        return _placed(template, z, p)

    build.__doc__ = f"{name}'(z) = {text}"
    return build


def _placed(node: Syntax, z: Syntax, p: Pos) -> Syntax:
    """The template with z replaced by the argument read, every position the f' read, and
    the functions users cannot call (sign, gt) marked as the reader's own."""
    if isinstance(node, Name):
        assert node.id == "z", f"a prime is written over z, not {node.id!r}"
        return z
    changes: dict[str, Any] = {}
    for f in fields(node):
        value = getattr(node, f.name)
        if isinstance(value, Pos):
            changes[f.name] = p
        elif isinstance(value, tuple):
            changes[f.name] = tuple(_placed(v, z, p) for v in value)
        elif is_dataclass(value):
            changes[f.name] = _placed(value, z, p)
    if isinstance(node, Call):
        spec = FUNCTIONS.get(node.func)
        changes["internal"] = spec is not None and not spec.user_facing
    return replace(node, **changes)


PRIMES = {name: _prime(name, spec.prime) for name, spec in FUNCTIONS.items() if spec.prime}


# Functions the language writes through others: sech z = 2 / (e^z + e^{-z}).
def _exps(z: Syntax, p: Pos, op: str) -> Syntax:
    return BinOp(op, Call("exp", (z,), p, p), Call("exp", (Unary("-", z, p),), p, p), p)


EXPANSIONS = {
    "sech": lambda z, p: BinOp("/", Number("2", p), _exps(z, p, "+"), p),
    "cosh": lambda z, p: BinOp("/", _exps(z, p, "+"), Number("2", p), p),
    "sinh": lambda z, p: BinOp("/", _exps(z, p, "-"), Number("2", p), p),
}
MACRO_NAMES: dict[str, list[str]] = {}
for _name, _macro in GREEK.items():
    MACRO_NAMES.setdefault(_macro[1:], []).append(_name)
MACRO_NAMES["varepsilon"] = MACRO_NAMES["epsilon"]
MACRO_NAMES["varphi"] = MACRO_NAMES["phi"]
UNICODE_GREEK = dict(zip("αβγδεζηθικλμνξπρτυφχψωΓΔΘΛΞΠΣΦΨΩ", [
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "pi", "rho", "tau", "upsilon", "phi", "chi", "psi", "omega",
    "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Phi", "Psi", "Omega"], strict=True))  # fmt: skip
UNICODE_SUB = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
ACCENTS = {"hat": "hat", "widehat": "hat", "bar": "bar", "overline": "bar", "tilde": "tilde",
            "widetilde": "tilde", "vec": "", "dot": "dot"}  # fmt: skip
