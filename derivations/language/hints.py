"""Hints for the mistakes new users make, written from what they typed.

The grammar is ASCII and has no implicit multiplication, so a textbook habit (``W x + b``,
``σ(z)``, ``xᵀ``, ``np.tanh(z)``) is a syntax error; these functions turn the lexer's or
parser's complaint into the fix, quoting the user's own operands.
"""

from __future__ import annotations

import re
import unicodedata

# Module prefixes copied from NumPy, PyTorch or JAX code.
MODULE_PREFIXES = {"np", "numpy", "jnp", "jax", "torch", "F", "tf", "math", "sp", "scipy", "nn"}

# Non-ASCII operators and their spelling here.
_OPERATORS = {
    "·": "@ for a matrix product (W @ x) or * for a product by a scalar",
    "⋅": "@ for a matrix product (W @ x) or * for a product by a scalar",
    "∙": "@ for a matrix product (W @ x) or * for a product by a scalar",
    "×": "@ for a matrix product (W @ x) or * for a product by a scalar",
    "∘": "* for the elementwise (Hadamard) product",
    "⊙": "* for the elementwise (Hadamard) product",
    "∗": "* for the elementwise product",
    "−": "- (an ASCII minus)",
    "÷": "/",
    "ᵀ": ".T for the transpose (x.T)",
    "⊤": ".T for the transpose (x.T)",
    "²": "** 2 for a square (x ** 2)",
    "³": "** 3 for a cube (x ** 3)",
    "⁻": "inv(X) for the inverse and ** for powers",
    "‖": "norm2(x) for the squared Euclidean norm",
    "√": "sqrt(x)",
    "∑": "sum(x)",
    "∏": "a product of named factors (there is no prod)",
}
# Letters that are functions when called: σ(z) is the logistic sigmoid, Σ(x) a sum.
_CALLED = {"σ": "sigmoid", "Σ": "sum", "∑": "sum", "√": "sqrt"}
# Greek letters whose Unicode name is not the ASCII name chainrule prints as that letter.
_GREEK_NAMES = {"lamda": "lam", "final sigma": "sigma"}


def greek_name(char: str) -> str | None:
    """``σ`` -> ``sigma``, ``Δ`` -> ``Delta``, ``λ`` -> ``lam``: the name that prints as it."""
    name = unicodedata.name(char, "")
    m = re.fullmatch(r"GREEK (SMALL|CAPITAL) LETTER (.+)", name)
    if not m:
        return None
    word = m.group(2).lower()
    if m.group(1) == "CAPITAL":
        return "Lambda" if word == "lamda" else word.capitalize()
    return _GREEK_NAMES.get(word, word)


def character_hint(text: str, index: int) -> str | None:
    """A hint for a character the lexer refused at ``text[index]``, or None for the default."""
    char = text[index]
    called = text[index + 1 : index + 2] == "("
    if called and char in _CALLED:
        return f"write {_CALLED[char]}(...): {char}(...) is spelled {_CALLED[char]}"
    if char in _OPERATORS:
        return f"write {_OPERATORS[char]}"
    if 0xD800 <= ord(char) <= 0xDFFF:
        return "the text contains a lone UTF-16 surrogate; send valid Unicode (UTF-8)"
    greek = greek_name(char)
    if greek is not None:
        return f"names are ASCII: write {greek} (it prints as {char})"
    digit = unicodedata.digit(char, None)
    if digit is not None and not char.isascii():
        return f"numbers are ASCII: write {digit}"
    if not char.isascii():
        return "names are ASCII letters, digits and '_'; operators are + - * / @ ** and .T"
    return None


def dot_hint(text: str, index: int) -> tuple[int, str] | None:
    """``np.tanh(z)``: (the index where ``np`` starts, the hint); ``x.t``: the capital T."""
    before = re.search(r"[A-Za-z_][A-Za-z0-9_]*\Z", text[:index])
    after = re.match(r"[A-Za-z_][A-Za-z0-9_]*", text[index + 1 :])
    attr = after.group(0) if after else None
    if before and before.group(0) in MODULE_PREFIXES and attr:
        from .elaborate import USER_FUNCTIONS  # the elaborator imports the parser

        prefix = before.group(0)
        fix = (
            f"write {attr}(...)"
            if attr in USER_FUNCTIONS
            else f"{attr} is not one of chainrule's functions ({', '.join(sorted(USER_FUNCTIONS))})"
        )
        return before.start(), f"drop the '{prefix}.' prefix: functions are called by name; {fix}"
    if attr == "t":
        return index, "the transpose is .T, with a capital T"
    if attr is not None:
        return index, f"'.' is only the transpose (.T) and the decimal point; .{attr} is not known"
    return None


_OPERAND_END = re.compile(r"(?:[A-Za-z0-9_]+(?:\.T)*|\)(?:\.T)*|\.T)\Z")


def juxtaposition_hint(text: str, start: int, right: str) -> str | None:
    """``W x``, ``x.T A x``, ``2 x``: two operands side by side are a product to a textbook.
    ``h = tanh(z) s = sum(h)`` is a missing separator instead."""
    if re.match(r"[A-Za-z_][A-Za-z0-9_]*[ \t]*=", text[start:]):
        return "separate statements with a new line or ';'"
    left_text = text[:start].rstrip(" \t")
    m = _OPERAND_END.search(left_text)
    if m is None:
        return None
    left = m.group(0)
    if re.fullmatch(r"[0-9]+", left):
        return f"write an operator between {left} and {right}: {left} * {right}"
    if left.startswith(")"):
        left = "(...)" + left[1:]
    elif left == ".T":
        left = "x.T"
    return (
        f"write an operator between {left} and {right}: {left} @ {right} for a matrix product,"
        f" {left} * {right} for a product by a scalar or elementwise"
    )
