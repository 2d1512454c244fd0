"""`chainrule catalog ID` never prints mangled LaTeX (issue 15, item 6).

Every formula of every entry (the technique's rule, each definition, each derivative's equation,
matrix and index forms, each chain-rule step) is rendered, and the text must contain no
backslash command and only balanced braces. The renderer falls back to the LaTeX verbatim for a
command it does not know, so a formula that needs the fallback also fails here: the catalog's
own formulas must all be handled.
"""

from __future__ import annotations

import pytest

from derivations.catalog import get_entry
from derivations.catalog.commands import render
from derivations.catalog.loader import catalog
from derivations.printing.unicode import to_unicode

from .conftest import needs_api

pytestmark = needs_api
ENTRIES = sorted(catalog())


def formulas(entry: dict) -> list[str]:
    out = [entry["technique"]["formula"]] if "technique" in entry else []
    for d in entry.get("definitions", []):
        out += [d["symbol"], d["latex"]]
    for d in entry.get("derivatives", []):
        out += [d[k] for k in ("equation", "latex", "index_latex") if d.get(k)]
    for steps in entry.get("steps", {}).values():
        out += steps
    return out


def balanced(text: str) -> bool:
    depth = 0
    for c in text:
        depth += {"{": 1, "}": -1}.get(c, 0)
        if depth < 0:
            return False
    return depth == 0


@pytest.mark.parametrize("entry_id", ENTRIES)
def test_every_formula_renders_without_latex_commands(entry_id: str) -> None:
    entry = get_entry(entry_id, verify=False)
    found = formulas(entry)
    assert found, entry_id
    for latex in found:
        text = to_unicode(latex)
        assert "\\" not in text, (entry_id, latex, text)
        assert balanced(text), (entry_id, latex, text)


@pytest.mark.parametrize("entry_id", ENTRIES)
def test_printed_entry_has_no_latex_outside_its_latex_line(entry_id: str) -> None:
    text = render(get_entry(entry_id, verify=False))
    for line in text.splitlines():
        if line.startswith("  LaTeX: "):  # the formula's source, printed on purpose
            continue
        assert "\\" not in line, (entry_id, line)
        for word in ("mathcal", "tfrac", "beginbmatrix", "endbmatrix", "leftarrow"):
            assert word not in line, (entry_id, line)


def test_the_three_reported_formulas() -> None:
    """The issue's examples, as the terminal now shows them."""
    xavier = to_unicode(get_entry("init-xavier", verify=False)["technique"]["formula"])
    assert "𝒰(-√(6/(n_in + n_out)), √(6/(n_in + n_out)))" in xavier
    cyclic = to_unicode(get_entry("schedule-cyclic", verify=False)["technique"]["formula"])
    assert "|t/s - 2⌊1 + t / (2s)⌋ + 1|" in cyclic and "α_max = 4 α₀" in cyclic
    window = get_entry("window-classifier", verify=False)["definitions"]
    concat = next(to_unicode(d["latex"]) for d in window if d["symbol"] == "x")
    assert concat.startswith("[x_") and concat.endswith("]") and concat.count(";") == 4
