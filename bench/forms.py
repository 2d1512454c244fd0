"""Textbook forms, measured: the length of each displayed result against the textbook's form.

For every catalog entry and every Cookbook identity in ``bench/textbook_forms.toml``, the
displayed result is what a student reads: each derivative (its matrix form, else its index
form) and every definition the result introduces (δs and named subexpressions such as
p = softmax(z)), in the Unicode rendering. Lengths are characters with spaces removed, so that
spacing conventions do not count. The acceptance bar: no catalog entry above 1.5× the textbook.

Run: python bench/forms.py
"""

from __future__ import annotations

import os
import platform
import sys
import tomllib
from pathlib import Path

from derivations import derive
from derivations.catalog.loader import catalog
from derivations.printing.unicode import to_unicode

DATA = Path(__file__).with_name("textbook_forms.toml")
LIMIT = 1.5


def length(lines: list[str]) -> int:
    return sum(len("".join(line.split())) for line in lines)


def displayed(program: str, variables: dict, wrt: list[str] | None) -> list[str]:
    """The Unicode lines a student reads: introduced definitions, then each derivative."""
    d = derive(program, variables, wrt=wrt, verify=False).to_dict()
    lines = [
        f"{to_unicode(x['symbol'])} = {to_unicode(x['latex'])}"
        for x in d["definitions"]
        if x["role"] in ("adjoint", "introduced")
    ]
    return lines + [to_unicode(x["latex"]) for x in d["derivatives"]]


def rows() -> list[tuple[str, int, int, str]]:
    data = tomllib.loads(DATA.read_text(encoding="utf-8"))
    out = []
    for entry_id, entry in catalog().items():
        textbook = data["catalog"][entry_id]
        ours = displayed(entry.program, dict(entry.variables), list(entry.wrt) or None)
        out.append((f"catalog: {entry_id}", length(ours), length(textbook), " ; ".join(ours)))
    for extra in data["extra"]:
        ours = displayed(extra["program"], extra["variables"], extra["wrt"])
        out.append((extra["name"], length(ours), length(extra["textbook"]), " ; ".join(ours)))
    return out


def main() -> int:
    table = rows()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print("\n| result | chainrule | textbook | ratio | displayed |")
    print("|---|---:|---:|---:|---|")
    for name, ours, book, text in table:
        print(f"| {name} | {ours} | {book} | {ours / book:.2f} | `{text}` |")
    catalog_ratios = [o / b for n, o, b, _ in table if n.startswith("catalog:")]
    other = [o / b for n, o, b, _ in table if not n.startswith("catalog:")]
    worst = max(catalog_ratios)
    print(
        f"\ncatalog: {len(catalog_ratios)} entries, mean ratio {sum(catalog_ratios) / len(catalog_ratios):.2f}, "
        f"worst {worst:.2f} (limit {LIMIT}); Cookbook and issue rows: {len(other)}, "
        f"mean {sum(other) / len(other):.2f}, worst {max(other):.2f}"
    )
    return 0 if worst <= LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
