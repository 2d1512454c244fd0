"""A derivation dict (``derive(...).to_dict()``) as HTML sections: the body of an entry page.

Shared by the entry pages and the playground (which renders whatever ``POST /v1/derive``
returned), so a derivation reads the same wherever it appears. Every formula goes through
``render_math`` with a ``where`` naming its origin; text is escaped.
"""

from __future__ import annotations

from html import escape
from typing import Any

from ..printing.latex import LatexPrinter
from .math import render_math
from .templates import code_block, section, table

_PRINTER = LatexPrinter()


def math(latex: str, where: str, display: bool = False) -> str:
    return render_math(latex, where, display)


def shape_text(shape: list[Any]) -> str:
    """``["n", "m"]`` → ``n × m``; a scalar says so; a vector is a column."""
    if not shape:
        return "scalar"
    dims = " × ".join(str(d).replace("*", "") for d in shape)
    return dims + (" (column)" if len(shape) == 1 else "")


def symbol(name: str) -> str:
    """The textbook symbol of a variable name (``W1`` → ``W_{1}``, ``lam`` → ``\\lambda``)."""
    return _PRINTER.name(name)


def program_section(d: dict[str, Any], where: str) -> str:
    lines = "".join(
        f'<div class="eq">{math(line, f"{where}: program", True)}</div>'
        for line in d["program_latex"]
    )
    declared = d.get("declarations", {})
    rows = [
        [
            math(symbol(name), f"{where}: variables"),
            escape(shape_text(shape) + _declared(declared.get(name))),
        ]
        for name, shape in d["variables"].items()
    ]
    source = f'<p class="source">As typed: <code>{escape(d["expression"])}</code></p>'
    assumed = "".join(
        f'<p class="source">Assumed: {", ".join(math(f, f"{where}: assumptions") for f in facts)} '
        f"({escape(name)} is declared {escape(declared[name].get('kind', ''))}).</p>"
        for name, facts in d.get("assumptions", {}).items()
    )
    return section(
        "The program",
        lines + source + table(["variable", "shape"], rows, "vars") + assumed,
        "program",
    )


def _declared(declaration: dict[str, str] | None) -> str:
    """A variable's role and kind after its shape: "k, one-hot data"."""
    if not declaration:
        return ""
    words = [declaration.get("kind", ""), "data" if declaration.get("role") == "data" else ""]
    return ", " + " ".join(w for w in words if w) if any(words) else ""


def definitions_section(d: dict[str, Any], where: str) -> str:
    if not d["definitions"]:
        return ""
    rows = []
    for defn in d["definitions"]:
        meaning = defn.get("meaning") or ""
        what = {
            "intermediate": "named in the program",
            "introduced": "introduced, as the lecture names it",
            "adjoint": "error signal (reused by every gradient below it)",
        }.get(defn["role"], defn["role"])
        cases = "".join(  # Tip 3: the correct class and every other class
            f"<div>for {math(c['when'], f'{where}: case')}: {math(c['latex'], f'{where}: case')}</div>"
            for c in defn.get("cases", [])
        )
        rows.append(
            [
                math(f"{defn['symbol']} = {defn['latex']}", f"{where}: definition {defn['name']}")
                + cases,
                escape(shape_text(defn["shape"])),
                math(f"{defn['symbol']} = {meaning}", f"{where}: meaning of {defn['name']}", True)
                if meaning
                else "",
                escape(what),
            ]
        )
    return section(
        "Definitions",
        table(["definition", "shape", "meaning", "role"], rows, "defs"),
        "definitions",
    )


def steps_section(d: dict[str, Any], where: str) -> str:
    if not d.get("steps"):
        return ""
    blocks = []
    for wrt, steps in d["steps"].items():
        eqs = "".join(
            f'<div class="eq">{math(s, f"{where}: chain-rule step for {wrt}", True)}</div>'
            for s in steps
        )
        blocks.append(f'<div class="steps"><h3>By {math(symbol(wrt), where)}</h3>{eqs}</div>')
    return section("Chain-rule steps", "".join(blocks), "steps")


def derivative_card(item: dict[str, Any], where: str) -> str:
    here = f"{where}: {item['kind']} by {item['wrt']}"
    index = ""
    if item["index_latex"] != item["equation"]:
        index = (
            '<p class="label">Index form</p>'
            f'<div class="eq">{math(item["index_latex"], here + " (index form)", True)}</div>'
        )
    return (
        f'<article class="derivative" id="d-{escape(item["kind"])}-{escape(item["wrt"])}">'
        f"<h3>{escape(item['kind'].capitalize())} by {math(symbol(item['wrt']), here)} "
        f'<span class="shape">{escape(shape_text(item["shape"]))}</span></h3>'
        f'<div class="eq">{math(item["equation"], here, True)}</div>{index}'
        f'<p class="layout">{escape(item["layout"])}. NumPy: <code>{escape(item["numpy"])}</code></p>'
        "</article>"
    )


def derivatives_section(d: dict[str, Any], where: str) -> str:
    cards = "".join(derivative_card(item, where) for item in d["derivatives"])
    return section("Derivatives", cards, "derivatives")


def code_section(d: dict[str, Any]) -> str:
    return section(
        "NumPy code",
        "<p>A self-contained module: <code>value</code>, <code>value_and_grad</code>"
        " (and <code>jacobian</code>/<code>hessian</code> where they apply).</p>"
        + code_block(d["code"]["numpy"]),
        "code",
    )


def _error(check: dict[str, Any]) -> str:
    err = check.get("max_rel_error")
    return format(err, ".1e") if isinstance(err, float) else "–"


def verification_section(d: dict[str, Any], verification_href: str) -> str:
    v = d["verification"]
    rows = []
    for check in v.get("checks", []):
        status = "skipped" if check.get("skipped") else ("passed" if check["passed"] else "FAILED")
        sizes = ", ".join(f"{k} = {n}" for k, n in sorted(check.get("sizes", {}).items()))
        rows.append(
            [
                escape(check["method"].replace("_", " ")),
                f'<span class="{status.lower()}">{status}</span>',
                escape(sizes or "scalars"),
                escape(_error(check)),
                escape(check.get("detail", "")),
            ]
        )
    verdict = {True: "passed", False: "FAILED", None: "not run"}[v.get("passed")]
    intro = (
        f'<p>Verdict: <strong class="{verdict.split()[0].lower()}">{verdict}</strong>. '
        f'<a href="{escape(verification_href)}">How the three checks work</a>.</p>'
    )
    note = f"<p>{escape(v['note'])}</p>" if v.get("note") else ""
    return section(
        "Verification",
        intro + table(["method", "result", "sizes", "worst error", "how"], rows, "verify") + note,
        "verification",
    )


def derivation_body(d: dict[str, Any], where: str, verification_href: str) -> str:
    """Every section of a derivation, in reading order: definitions first."""
    return "\n".join(
        part
        for part in (
            program_section(d, where),
            definitions_section(d, where),
            steps_section(d, where),
            derivatives_section(d, where),
            code_section(d),
            verification_section(d, verification_href),
        )
        if part
    )
