"""Plain Unicode for terminals: ∂s/∂W = δ xᵀ instead of \\frac{\\partial s}{\\partial W} = \\delta x^{T}.

It reads only the LaTeX that chainrule's own printers write (a small, known vocabulary), so a
brace-aware rewrite is enough; the LaTeX stays the reference form in every result.
"""

from __future__ import annotations

import re

_MACROS = {
    r"\alpha": "α", r"\beta": "β", r"\gamma": "γ", r"\delta": "δ", r"\epsilon": "ε",
    r"\zeta": "ζ", r"\eta": "η", r"\theta": "θ", r"\iota": "ι", r"\kappa": "κ",
    r"\lambda": "λ", r"\mu": "μ", r"\nu": "ν", r"\xi": "ξ", r"\pi": "π", r"\rho": "ρ",
    r"\sigma": "σ", r"\tau": "τ", r"\upsilon": "υ", r"\phi": "φ", r"\chi": "χ", r"\psi": "ψ",
    r"\omega": "ω", r"\Gamma": "Γ", r"\Delta": "Δ", r"\Theta": "Θ", r"\Lambda": "Λ",
    r"\Xi": "Ξ", r"\Pi": "Π", r"\Sigma": "Σ", r"\Phi": "Φ", r"\Psi": "Ψ", r"\Omega": "Ω",
    r"\circ": "∘", r"\partial": "∂", r"\sum": "Σ", r"\geq": "≥", r"\leq": "≤",
    r"\tanh": "tanh", r"\exp": "exp", r"\log": "log", r"\sin": "sin", r"\cos": "cos",
    r"\det": "det", r"\max": "max", r"\min": "min", r"\quad": "  ", r"\,": " ",
    r"\left(": "(", r"\right)": ")", r"\left[": "[", r"\right]": "]",
    r"\left\lVert": "‖", r"\right\rVert": "‖", r"\left\lvert": "|", r"\right\rvert": "|",
    r"\mathbb{1}": "𝟙", r"\mathbf{1}": "𝟏", r"\\": "; ",
}  # fmt: skip
_SUPERSCRIPT = {"T": "ᵀ", "-T": "⁻ᵀ", "-1": "⁻¹", "2": "²", "3": "³"}
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


def to_unicode(latex: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(latex):
        if latex.startswith(r"\sum_{\substack{", i):  # Σ over several indices at once
            body, j = _group(latex, i + len(r"\sum_{\substack"))
            _, j = _group(latex, i + len(r"\sum_"))
            ranges = []
            for part in body.split("\\\\"):
                r = re.fullmatch(r"\s*(\S+) \\leq (\S+) \\leq (.+?)\s*", part)
                ranges.append(
                    f"{r.group(2)}={r.group(1)}..{to_unicode(r.group(3))}"
                    if r
                    else to_unicode(part)
                )
            out.append(f"Σ[{', '.join(ranges)}] ")
            i = j
            continue
        m = re.match(r"\\sum_\{(\w+)=(\w+)\}\^\{(\w+)\}", latex[i:])
        if m:  # \sum_{k=1}^{n} -> Σ[k=1..n]
            out.append(f"Σ[{m.group(1)}={m.group(2)}..{m.group(3)}] ")
            i += m.end()
            continue
        if latex.startswith(r"\frac", i) and latex[i + 5 : i + 6] == "{":
            top, j = _group(latex, i + 5)
            bottom, k = _group(latex, j)
            top, bottom = to_unicode(top), to_unicode(bottom)

            def plain(text: str) -> bool:
                # Σ x² / 2 would read as Σ (x²/2): a sum is always bracketed.
                return bool(re.fullmatch(r"[∂\w\s²ᵀ₀-₉,‖]+", text)) and "Σ" not in text

            out.append(
                f"{top if plain(top) else f'({top})'}/{bottom if plain(bottom) else f'({bottom})'}"
            )
            i = k
            continue
        accent = re.match(r"\\(hat|bar|tilde)\{", latex[i:])
        if accent:  # \hat{y} -> ŷ (a combining mark after the letter)
            inner, j = _group(latex, i + accent.end() - 1)
            mark = {"hat": "\u0302", "bar": "\u0304", "tilde": "\u0303"}[accent.group(1)]
            out.append(to_unicode(inner) + mark)
            i = j
            continue
        if latex.startswith(r"\sqrt{", i):
            inner, j = _group(latex, i + 5)
            out.append(f"√({to_unicode(inner)})")
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
            if latex[i] == "^":
                out.append(_SUPERSCRIPT.get(text, f"^({text})" if len(text) > 1 else f"^{text}"))
            elif text.isdigit():
                out.append(text.translate(_SUB_DIGITS))
            else:
                out.append(f"_{text}" if len(text) <= 3 and "," not in text else f"_({text})")
            i = j
            continue
        for macro in sorted((m for m in _MACROS if latex.startswith(m, i)), key=len, reverse=True):
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
    return re.sub(r"‖ ([^‖]*?) ‖", r"‖\1‖", text)
