"""The LaTeX reader's tables: function words, derivatives it can write, names, accents.

One place per vocabulary. The grammar's FUNC terminal (latex.lark) lists the same command
words, since the lexer must know a function before the parser sees its argument: a word added
here is added there too.
"""

from __future__ import annotations

from ..printing.names import GREEK
from .ast import BinOp, Call, Number, Pos, Syntax, Unary

# LaTeX function words (after the backslash or inside \operatorname{}) -> the language's names.
FUNCTION_WORDS = {
    "tanh": "tanh", "exp": "exp", "log": "log", "ln": "log", "sin": "sin", "cos": "cos",
    "sigma": "sigmoid", "sigmoid": "sigmoid", "σ": "sigmoid", "det": "det", "max": "max",
    "min": "min", "tr": "trace", "Tr": "trace", "trace": "trace", "diag": "diag",
    "softmax": "softmax", "logsumexp": "logsumexp", "LSE": "logsumexp", "mean": "mean",
    "ReLU": "relu", "relu": "relu", "softplus": "softplus", "sign": "sign", "sgn": "sign",
    "LeakyReLU": "leaky_relu", "leaky_relu": "leaky_relu", "logdet": "logdet", "inv": "inv",
    "sqrt": "sqrt", "abs": "abs", "sum": "sum", "outer": "outer", "dot": "dot",
    "concat": "concat", "log_softmax": "log_softmax", "sech": "sech", "cosh": "cosh",
    "sinh": "sinh",
}  # fmt: skip
# Plain words a student types without a backslash: tanh(z) is the function, not tanh·z.
PLAIN_FUNCTIONS = {
    "tanh", "exp", "log", "ln", "sin", "cos", "sigmoid", "det", "max", "min", "tr", "trace",
    "diag", "softmax", "logsumexp", "mean", "relu", "softplus", "sqrt", "abs", "sum", "inv",
    "logdet", "outer", "dot", "norm2",
}  # fmt: skip
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
