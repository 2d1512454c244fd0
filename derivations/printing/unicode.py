"""Plain Unicode for terminals: ∂s/∂W = δ xᵀ instead of \\frac{\\partial s}{\\partial W} = \\delta x^{T}.

It reads only the LaTeX that chainrule's own printers and the catalog's formulas write (a small,
known vocabulary), so a brace-aware rewrite is enough; the LaTeX stays the reference form in every
result. Anything outside that vocabulary is never mangled: if a command would survive the
rewrite, the LaTeX is returned verbatim instead.
"""

from __future__ import annotations

import re
import unicodedata

from ..ops.registry import every_spec

_MACROS = {
    r"\alpha": "α", r"\beta": "β", r"\gamma": "γ", r"\delta": "δ", r"\epsilon": "ε",
    r"\zeta": "ζ", r"\eta": "η", r"\theta": "θ", r"\iota": "ι", r"\kappa": "κ",
    r"\lambda": "λ", r"\mu": "μ", r"\nu": "ν", r"\xi": "ξ", r"\pi": "π", r"\rho": "ρ",
    r"\sigma": "σ", r"\tau": "τ", r"\upsilon": "υ", r"\phi": "φ", r"\chi": "χ", r"\psi": "ψ",
    r"\omega": "ω", r"\Gamma": "Γ", r"\Delta": "Δ", r"\Theta": "Θ", r"\Lambda": "Λ",
    r"\Xi": "Ξ", r"\Pi": "Π", r"\Sigma": "Σ", r"\Phi": "Φ", r"\Psi": "Ψ", r"\Omega": "Ω",
    r"\circ": "∘", r"\partial": "∂", r"\sum": "Σ", r"\geq": "≥", r"\leq": "≤",
    r"\quad": "  ", r"\,": " ",
    r"\left(": "(", r"\right)": ")", r"\left[": "[", r"\right]": "]",
    r"\left\lVert": "‖", r"\right\rVert": "‖", r"\left\lvert": "|", r"\right\rvert": "|",
    r"\mathbb{1}": "𝟙", r"\mathbf{1}": "𝟏", r"\\": "; ",
    # |x|, not | x |: the space after \lvert only ends the command name.
    r"\left\lvert ": "|", r" \right\rvert": "|",
}  # fmt: skip
# The catalog's technique formulas use a few more symbols than the derivation printers.
_MACROS |= {
    r"\varepsilon": "ε", r"\vartheta": "θ", r"\varphi": "φ", r"\ell": "ℓ",
    r"\leftarrow": "←", r"\rightarrow": "→", r"\to": "→", r"\gets": "←",
    r"\odot": "⊙", r"\otimes": "⊗", r"\nabla": "∇", r"\sim": "∼", r"\approx": "≈",
    r"\cdot": "·", r"\times": "×", r"\neq": "≠", r"\infty": "∞", r"\in": "∈",
    r"\ldots": "…", r"\cdots": "⋯", r"\dots": "…", r"\top": "ᵀ", r"\mid": "|",
    r"\lfloor": "⌊", r"\rfloor": "⌋", r"\lceil": "⌈", r"\rceil": "⌉",
    r"\lVert": "‖", r"\rVert": "‖", r"\lvert": "|", r"\rvert": "|",
    r"\langle": "⟨", r"\rangle": "⟩", r"\;": " ", r"\:": " ", r"\!": "", r"\ ": " ",
    r"\left|": "|", r"\right|": "|", r"\left.": "", r"\right.": "",
    r"\left\lfloor": "⌊", r"\right\rfloor": "⌋", r"\left\lceil": "⌈", r"\right\rceil": "⌉",
    r"\left\{": "{", r"\right\}": "}", r"\{": "{", r"\}": "}",
}  # fmt: skip
# The ops' own words (\tanh -> tanh), from the op registry.
_MACROS |= {
    macro: text for spec in every_spec() for macro, text in getattr(spec, "unicode", {}).items()
}
_ACCENTS = {r"\hat": "\u0302", r"\bar": "\u0304", r"\tilde": "\u0303", r"\dot": "\u0307"}
_CALLIGRAPHIC = dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "𝒜ℬ𝒞𝒟ℰℱ𝒢ℋℐ𝒥𝒦ℒℳ𝒩𝒪𝒫𝒬ℛ𝒮𝒯𝒰𝒱𝒲𝒳𝒴𝒵", strict=True))
_SUPERSCRIPT = {"T": "ᵀ", "-T": "⁻ᵀ", "-1": "⁻¹", "2": "²", "3": "³"}
# One character after ^ or _ without braces (\beta_1^t): only these have a Unicode form.
_SUPER_CHAR = str.maketrans("0123456789tTn", "⁰¹²³⁴⁵⁶⁷⁸⁹ᵗᵀⁿ")
_SUB_DIGITS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _group(text: str, start: int) -> tuple[str, int]:
    """The brace group opening at ``start``: its content and the index after it."""
    depth = 0
    for i in range(start, len(text)):
        depth += text[i] == "{"
        depth -= text[i] == "}"
        if depth == 0:
            return text[start + 1 : i], i + 1
    return text[start + 1 :], len(text)


def _at(latex: str, i: int, macro: str) -> bool:
    r"""``macro`` starts at ``i`` and is a whole command: \in must not match the start of \int."""
    if not latex.startswith(macro, i):
        return False
    return not (macro[-1].isalpha() and latex[i + len(macro) : i + len(macro) + 1].isalpha())


def _environment(latex: str, start: int) -> tuple[str, str, int] | None:
    r"""``\begin{name} body \end{name}`` at ``start`` (nesting-aware): name, body, end index."""
    m = re.match(r"\\begin\{(\w+\*?)\}", latex[start:])
    if not m:
        return None
    name, depth, i = m.group(1), 1, start + m.end()
    tag = re.compile(r"\\(begin|end)\{" + re.escape(name) + r"\}")
    while (t := tag.search(latex, i)) is not None:
        depth += 1 if t.group(1) == "begin" else -1
        if depth == 0:
            return name, latex[start + m.end() : t.start()], t.end()
        i = t.end()
    return None


def _split_top(text: str, sep: str) -> list[str]:
    """Split at ``sep`` outside braces and nested environments (rows at \\, cells at &)."""
    parts, depth, env, i, last = [], 0, 0, 0, 0
    while i < len(text):
        if text.startswith(r"\begin{", i):
            env += 1
        elif text.startswith(r"\end{", i):
            env -= 1
        elif text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
        elif depth == 0 and env == 0 and text.startswith(sep, i):
            parts.append(text[last:i])
            i = last = i + len(sep)
            continue
        i += 2 if text[i] == "\\" else 1  # a command or an escaped \{ or \& is not a separator
    return [*parts, text[last:]]


def _matrix(body: str) -> str:
    """A matrix as [a, b; c, d]: rows split at \\, cells at &."""
    rows = [r for r in _split_top(body, "\\\\") if r.strip()]
    cells = [", ".join(to_unicode(c.strip()) for c in _split_top(r, "&")) for r in rows]
    return "[" + "; ".join(cells) + "]"


def _extra(latex: str, i: int) -> tuple[str, int] | None:
    r"""Constructs beyond the derivation printers' own (the catalog's formulas use them):
    matrices, \mathcal and \mathbf, accents (\hat m), and ^x / _x without braces."""
    if latex.startswith(r"\begin{", i):
        env = _environment(latex, i)
        if env is not None and env[0] in ("bmatrix", "pmatrix", "matrix", "vmatrix"):
            return _matrix(env[1]), env[2]
        return None
    m = re.match(r"\\(mathcal|mathbf|boldsymbol|mathit|mathsf)\{", latex[i:])
    if m and not latex.startswith(r"\mathbf{1}", i):
        inner, j = _group(latex, i + m.end() - 1)
        text = to_unicode(inner)
        if m.group(1) == "mathcal":
            text = "".join(_CALLIGRAPHIC.get(c, c) for c in text)
        return text, j
    m = re.match(r"\\(hat|bar|tilde|dot)(?![A-Za-z])\s*", latex[i:])
    if m:
        j = i + m.end()
        if latex[j : j + 1] == "{":
            inner, k = _group(latex, j)
        else:
            inner, k = latex[j : j + 1], j + 1
        text = to_unicode(inner)
        mark = _ACCENTS["\\" + m.group(1)]
        accented = unicodedata.normalize("NFC", text + mark)  # ȳ is one character, m̂ two
        return (accented if len(text) == 1 else f"{m.group(1)}({text})"), k
    if latex[i] in "^_" and re.match(r"[A-Za-z0-9]", latex[i + 1 : i + 2]):
        c = latex[i + 1]
        table = _SUPER_CHAR if latex[i] == "^" else _SUB_DIGITS
        mapped = c.translate(table)
        return (mapped if mapped != c else latex[i] + c), i + 2
    if latex.startswith(r"^\top", i) and not latex[i + 5 : i + 6].isalpha():
        return "ᵀ", i + 5
    return None


def _operand(text: str) -> str:
    """One side of a fraction: bare if it is one term (m, 2, ∂s, x_i), else in parentheses.
    A sum is always bracketed (Σ x²/2 would read as Σ (x²/2)), and so is a product
    (u/(n σ), never u/n σ; X/(b 𝟏ᵀ), never X/b 𝟏ᵀ); a derivative's ∂x ∂xᵀ is one term."""
    if " " in text and not text.startswith("∂"):  # u/(n σ), never u/n σ; X/(b 𝟏ᵀ)
        return f"({text})"
    if text.startswith("∂") and " " not in text:  # ∂J/∂W_(q,ij): one term
        return text
    # Combining accents (U+0300–U+036F) belong to their letter: Δ_X̂/σ needs no brackets.
    plain = re.fullmatch(r"[∂√\w\s²ᵀ₀-₉,‖\u0300-\u036f]+", text) and "Σ" not in text
    return text if plain else f"({text})"


# What may follow a fraction without being multiplied by it: an operator, a closing bracket,
# a separator, the end, or two spaces (a text report's next column: "  shape ()").
_NOT_SCALED = re.compile(
    r"\s{2}|\s*($|[-+=,;&)\]|^_']|\\(right|circ|quad|qquad|leq|geq|neq|cdot|times|\\|[,;:! ])"
    r"|\\(?:le|ge|lt|gt|ne|in|to|mid)(?![A-Za-z]))"
)


def _scales_next(latex: str, k: int) -> bool:
    """Whether the fraction ending at ``k`` is juxtaposed with a factor it scales."""
    return _NOT_SCALED.match(latex, k) is None


_RANGE = re.compile(r"\s*(\w+)\s*\\leq\s*(\w+)\s*\\leq\s*(.+?)\s*")


def _ranged_sum(latex: str, i: int) -> tuple[str, int] | None:
    r"""SymPy's ``\sum_{1 \leq k \leq n}`` and ``\sum_{\substack{... \\ ...}}`` as Σ[k=1..n, ...]."""
    if not latex.startswith(r"\sum_{", i):
        return None
    inner, j = _group(latex, i + 5)
    body = inner.strip()
    stacked_sum = body.startswith(r"\substack{")
    if stacked_sum:
        stacked, end = _group(body, len(r"\substack"))
        if body[end:].strip():
            return None  # something after the stack: not a plain range
        body = stacked
    rows = [r for r in _split_top(body, "\\\\") if r.strip()]
    ranges = [_RANGE.fullmatch(r) for r in rows]
    if not rows or (not stacked_sum and not all(ranges)):
        return None
    # Under \substack a row that is not a range (a condition, i ≠ j) is kept, as text.
    spans = ", ".join(
        f"{m.group(2)}={m.group(1)}..{to_unicode(m.group(3))}" if m else to_unicode(r.strip())
        for m, r in zip(ranges, rows, strict=True)
    )
    return f"Σ[{spans}] ", j


def to_unicode(latex: str) -> str:
    """Terminal text for chainrule's LaTeX, or the LaTeX itself if any command would survive."""
    out: list[str] = []
    i = 0
    while i < len(latex):
        extra = _extra(latex, i)
        if extra is not None:
            out.append(extra[0])
            i = extra[1]
            continue
        ranged = _ranged_sum(latex, i)
        if ranged is not None:  # \sum_{\substack{1 \leq l \leq n\\...}} -> Σ[l=1..n, ...]
            out.append(ranged[0])
            i = ranged[1]
            continue
        m = re.match(r"\\sum_\{(\w+)=(\w+)\}\^\{(\w+)\}", latex[i:])
        if m:  # \sum_{k=1}^{n} -> Σ[k=1..n]
            out.append(f"Σ[{m.group(1)}={m.group(2)}..{m.group(3)}] ")
            i += m.end()
            continue
        frac = re.match(r"\\[td]?frac(?=\{)", latex[i:])  # \tfrac and \dfrac print as \frac
        if frac:
            if out and re.search(r"[\w)]$", out[-1]):
                out.append(" ")  # \frac{a}{b}\frac{c}{d} reads a/b c/d, not a/bc/d
            top, j = _group(latex, i + frac.end())
            bottom, k = _group(latex, j)
            top, bottom = to_unicode(top), to_unicode(bottom)
            text = f"{_operand(top)}/{_operand(bottom)}"
            # A quotient that scales what follows is bracketed: (1/n) 𝟏 𝟏ᵀ, never 1/n 𝟏 𝟏ᵀ
            # (which reads as 1/(n 𝟏 𝟏ᵀ)), and ((I − …)/σ) u, never (I − …)/σ u.
            # A derivative is left alone: ∂f/∂q ∂q/∂x is the chain rule as written.
            derivative = top.startswith("∂")
            out.append(f"({text})" if not derivative and _scales_next(latex, k) else text)
            i = k
            continue
        if latex.startswith(r"\sqrt{", i):
            inner, j = _group(latex, i + 5)
            root = to_unicode(inner)
            # √d and √2 bare, as printed; √(d + 1) and √(6/n) bracketed.
            bare = re.fullmatch(r"[^\W_]+[\u0300-\u036f]?", root)
            out.append(f"√{root}" if bare else f"√({root})")
            i = j
            continue
        if latex.startswith((r"\operatorname{", r"\text{", r"\mathrm{"), i):
            start = latex.index("{", i)
            inner, j = _group(latex, start)
            out.append(inner)
            i = j
            continue
        if latex[i] in "^_" and latex[i + 1 : i + 2] == "{":
            inner, j = _group(latex, i + 1)
            text = to_unicode(inner)
            if latex[i] == "^" and text not in _SUPERSCRIPT and re.fullmatch(r"-?\d+", text):
                out.append(text.replace("-", "⁻").translate(_SUPER_CHAR))  # ε = 10⁻⁵
            elif latex[i] == "^":
                out.append(_SUPERSCRIPT.get(text, f"^({text})" if len(text) > 1 else f"^{text}"))
            elif text.isdigit():
                out.append(text.translate(_SUB_DIGITS))
            else:
                out.append(f"_{text}" if len(text) <= 3 and "," not in text else f"_({text})")
            i = j
            continue
        for macro in sorted((m for m in _MACROS if _at(latex, i, m)), key=len, reverse=True):
            out.append(_MACROS[macro])
            i += len(macro)
            # a letter after a word macro needs a space: \delta x stays "δ x"
            break
        else:
            if latex[i] in "{}":
                i += 1
                continue
            out.append(latex[i])
            i += 1
    text = re.sub(r"  +", " ", "".join(out)).strip()
    text = re.sub(r"∂(²?) (?=\w)", r"∂\1", text)
    text = re.sub(r"‖ ([^‖]*?) ‖", r"‖\1‖", text)
    text = re.sub(r"([⌊⌈]) | ([⌋⌉])", r"\1\2", text)
    # A command this module does not know would print mangled (\mathcalU): show the LaTeX.
    return latex.strip() if "\\" in text else text
