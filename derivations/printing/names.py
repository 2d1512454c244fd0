"""Identifiers as a textbook writes them: ``lam`` -> λ, ``W1`` -> W₁, ``delta_z`` -> δ_z."""

from __future__ import annotations

import re

GREEK = {
    "alpha": r"\alpha", "beta": r"\beta", "gamma": r"\gamma", "delta": r"\delta",
    "epsilon": r"\epsilon", "eps": r"\epsilon", "zeta": r"\zeta", "eta": r"\eta",
    "theta": r"\theta", "iota": r"\iota", "kappa": r"\kappa", "lam": r"\lambda",
    "lambda_": r"\lambda", "lmbda": r"\lambda", "mu": r"\mu", "nu": r"\nu", "xi": r"\xi",
    "pi": r"\pi", "rho": r"\rho", "sigma": r"\sigma", "tau": r"\tau", "upsilon": r"\upsilon",
    "phi": r"\phi", "chi": r"\chi", "psi": r"\psi", "omega": r"\omega",
    "Gamma": r"\Gamma", "Delta": r"\Delta", "Theta": r"\Theta", "Lambda": r"\Lambda",
    "Xi": r"\Xi", "Pi": r"\Pi", "Sigma": r"\Sigma", "Phi": r"\Phi", "Psi": r"\Psi",
    "Omega": r"\Omega",
}  # fmt: skip


_ACCENTS = {"hat": r"\hat", "bar": r"\bar", "tilde": r"\tilde"}


def _base(word: str) -> str:
    if word in GREEK:
        return GREEK[word]
    if len(word) == 1:
        return word
    m = _accented(word)
    if m:  # yhat -> ŷ, xbar -> x̄
        return f"{_ACCENTS[m.group(2)]}{{{_base(m.group(1))}}}"
    return rf"\mathrm{{{word}}}"


def _accented(word: str) -> re.Match[str] | None:
    """``yhat``, ``Xhat``, ``mubar``: one letter (or a Greek name) and an accent word."""
    m = re.fullmatch(r"([A-Za-z]|[a-z]+)(hat|bar|tilde)", word)
    return m if m and (len(m.group(1)) == 1 or m.group(1) in GREEK) else None


def _subscript(word: str) -> str:
    if "_" in word.strip("_"):  # W_0_1 is W_{0,1}: an underscore inside a subscript is no LaTeX
        return ",".join(_subscript(part) for part in word.split("_") if part)
    if word in GREEK:
        return GREEK[word]
    if len(word) == 1 or word.isdigit() or not word.isalpha():
        return word
    if _accented(word):  # Δ_Xhat is Δ_X̂, the δ of the program's X̂
        return _base(word)
    return rf"\text{{{word}}}"  # a word (x_in, x_Paris), upright like the lecture's labels


def latex_name(identifier: str) -> str:
    """``W1`` -> ``W_{1}``; ``b_2`` -> ``b_{2}``; ``x_museums`` -> ``x_{\\text{museums}}``;
    ``lam`` -> ``\\lambda``; ``delta_z`` -> ``\\delta_{z}``; ``U_neg`` -> ``U_{\\text{neg}}``."""
    head, sep, tail = identifier.partition("_")
    if sep and tail in _ACCENTS and (len(head) == 1 or head in GREEK):  # y_hat -> ŷ
        return f"{_ACCENTS[tail]}{{{_base(head)}}}"
    if sep and head and tail:
        base = latex_name(head)
        m = re.fullmatch(r"(.+)_\{([^{}]*)\}", base)
        if m:  # delta1_2 is δ_{1,2}, never the invalid δ_{1}_{2}
            return f"{m.group(1)}_{{{m.group(2)},{_subscript(tail)}}}"
        return f"{base}_{{{_subscript(tail)}}}"
    m = re.fullmatch(r"([A-Za-z]+?)(\d+)", identifier)
    if m:
        return f"{_base(m.group(1))}_{{{m.group(2)}}}"
    return _base(identifier.strip("_") or identifier)
