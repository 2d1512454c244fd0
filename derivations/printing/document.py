"""A derivation as a LaTeX document, Markdown or HTML: for print and for notebooks.

The document reads like a worked solution: the program, then the definitions (z, h and each δ
with what it means), then the derivatives with their index forms, the chain-rule steps and the
verification. Equations are left-aligned (``fleqn``) under numbered-free section headings.
Markdown and LaTeX reprs use ``$$`` blocks, which Jupyter renders with MathJax; the HTML repr
uses the site's MathML (no JavaScript needed) and falls back to Markdown when it cannot render.
"""

from __future__ import annotations

import re
from typing import Any

_TT_ESCAPES = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "_": r"\_", "&": r"\&",
               "%": r"\%", "#": r"\#", "$": r"\$", "^": r"\^{}", "~": r"\~{}"}  # fmt: skip


def tt(text: str) -> str:
    """Program text for ``\\texttt``: every LaTeX special character escaped."""
    return re.sub(r"[\\{}_&%#$^~]", lambda m: _TT_ESCAPES[m.group()], text)


def _at_equals(line: str) -> str:
    """Align on the first top-level ``=`` (or at the left edge), so the lines read left-aligned."""
    if "&" in line:
        return line
    return line.replace(" = ", " &= ", 1) if " = " in line else "&" + line


def _align(lines: list[str]) -> list[str]:
    if not lines:
        return []
    lines = [_at_equals(line) for line in lines]
    return [r"\begin{align*}", *(f"  {line} \\\\" for line in lines[:-1]), f"  {lines[-1]}",
            r"\end{align*}"]  # fmt: skip


def _definition_lines(d: dict[str, Any]) -> list[str]:
    lines = []
    for defn in d["definitions"]:
        line = f"{defn['symbol']} &= {defn['latex']}"
        if defn.get("meaning"):
            line += rf" && \text{{the error signal }} {defn['symbol']} = {defn['meaning']}"
        lines.append(line)
    return lines


def _verification_rows(d: dict[str, Any]) -> list[str]:
    rows = []
    for check in d["verification"].get("checks", []):
        status = "skipped" if check.get("skipped") else ("passed" if check["passed"] else "FAILED")
        err = check.get("max_rel_error")
        err_text = f"{err:.1e}" if isinstance(err, float) else "--"
        sizes = ", ".join(f"{k} = {v}" for k, v in sorted(check.get("sizes", {}).items()))
        rows.append(
            f"  {tt(check['method'].replace('_', ' '))} & {status} & {tt(sizes)} & {err_text} \\\\"
        )
    return rows


def latex_document(d: dict[str, Any]) -> str:
    """A standalone article that compiles with pdflatex (amsmath, amssymb)."""
    body = [r"\section*{Program}", rf"\noindent\texttt{{{tt(d['expression'])}}}", ""]
    shapes = ", ".join(
        f"${tt(name)}$: " + (r"$\times$".join(tt(str(s)) for s in shape) or "scalar")
        for name, shape in d["variables"].items()
    )
    body += [rf"\noindent Variables: {shapes}.", *_align(d["program_latex"])]
    for name, facts in d.get("assumptions", {}).items():
        kind = d["declarations"][name].get("kind", "")
        shown = ", ".join(f"${f}$" for f in facts)
        body += [rf"\noindent Assumed: {shown} (\texttt{{{tt(name)}}} is {tt(kind)}).", ""]
    if d["definitions"]:
        body += [r"\section*{Definitions}", *_align(_definition_lines(d))]
    body.append(r"\section*{Derivatives}")
    for item in d["derivatives"]:
        body.append(
            rf"\subsection*{{{item['kind'].capitalize()} by ${item['wrt'] if len(item['wrt']) == 1 else tt(item['wrt'])}$}}"
        )
        lines = [item["equation"]]
        if item["index_latex"] != item["equation"]:
            lines.append(item["index_latex"])
        body += _align(lines)
    if d["steps"]:
        body.append(r"\section*{Chain-rule steps}")
        for wrt, steps in d["steps"].items():
            body += [rf"\subsection*{{By {tt(wrt)}}}", *_align(steps)]
    rows = _verification_rows(d)
    if rows:
        body += [r"\section*{Verification}", r"\begin{tabular}{llll}",
                 r"  method & result & sizes & worst error \\ \hline", *rows, r"\end{tabular}"]  # fmt: skip
    return "\n".join(
        [
            r"\documentclass{article}",
            r"\usepackage[fleqn]{amsmath}",
            r"\usepackage{amssymb}",
            r"\begin{document}",
            *body,
            r"\end{document}",
            "",
        ]  # fmt: skip
    )


def markdown(d: dict[str, Any]) -> str:
    """Markdown with ``$$`` math (Jupyter renders it with MathJax)."""
    parts = [f"**Program** `{d['expression']}`", ""]
    parts += [f"$${line}$$" for line in d["program_latex"]]
    if d["definitions"]:
        parts += ["", "**Definitions**", ""]
        for defn in d["definitions"]:
            meaning = f" \\quad {defn['symbol']} = {defn['meaning']}" if defn.get("meaning") else ""
            parts.append(f"$${defn['symbol']} = {defn['latex']}{meaning}$$")
    parts += ["", "**Derivatives**", ""]
    for item in d["derivatives"]:
        parts.append(f"$${item['equation']}$$")
        if item["index_latex"] != item["equation"]:
            parts.append(f"$${item['index_latex']}$$")
    v = d["verification"]
    verdict = {True: "passed", False: "FAILED", None: "not run"}[v.get("passed")]
    parts += [
        "",
        f"Verification: **{verdict}** ({', '.join(c['method'] for c in v.get('checks', []))})",
    ]
    return "\n".join(parts)


def latex_repr(d: dict[str, Any]) -> str:
    """One aligned block: definitions first, then each derivative."""
    lines = [f"{x['symbol']} &= {x['latex']}" for x in d["definitions"]]
    lines += [item["equation"].replace(" = ", " &= ", 1) for item in d["derivatives"]]
    return "$$\\begin{aligned}" + " \\\\ ".join(lines) + "\\end{aligned}$$"


def html(d: dict[str, Any]) -> str | None:
    """The site's sections without the code listing, or None to let Markdown show instead."""
    from ..site.derivation_html import definitions_section, derivatives_section, program_section
    from ..site.math import MathRenderError

    try:
        parts = [program_section(d, "notebook"), definitions_section(d, "notebook"),
                 derivatives_section(d, "notebook")]  # fmt: skip
    except MathRenderError:
        return None
    v = d["verification"]
    verdict = {True: "passed", False: "FAILED", None: "not run"}[v.get("passed")]
    parts.append(f"<p>Verification: <strong>{verdict}</strong></p>")
    return '<div class="chainrule">' + "\n".join(p for p in parts if p) + "</div>"
