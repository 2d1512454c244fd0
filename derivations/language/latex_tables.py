"""The LaTeX reader's tables: function words, derivatives it can write, names, accents.

One place per vocabulary. The grammar's FUNC terminal (latex.lark) lists the same command
words, since the lexer must know a function before the parser sees its argument: a word added
here is added there too.
"""

from __future__ import annotations

from ..ops.registry import every_spec
from ..printing.names import GREEK
from .ast import BinOp, Call, Number, Pos, Syntax, Unary

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
# f'(z) for the functions whose derivative the language can write (in terms of z).
PRIMES = {
    "sigmoid": lambda z, p: BinOp("*", Call("sigmoid", (z,), p, p),
                                  BinOp("-", Number("1", p), Call("sigmoid", (z,), p, p), p), p),
    "tanh": lambda z, p: BinOp("-", Number("1", p),
                               BinOp("**", Call("tanh", (z,), p, p), Number("2", p), p), p),
    "exp": lambda z, p: Call("exp", (z,), p, p),
    "log": lambda z, p: BinOp("/", Number("1", p), z, p),
    "sin": lambda z, p: Call("cos", (z,), p, p),
    "cos": lambda z, p: Unary("-", Call("sin", (z,), p, p), p),
    "softplus": lambda z, p: Call("sigmoid", (z,), p, p),
    "relu": lambda z, p: Call("gt", (z, Number("0", p)), p, p, internal=True),
    "abs": lambda z, p: Call("sign", (z,), p, p, internal=True),
}  # fmt: skip


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
