"""Printers only print: derivations/printing/ never imports derivations/calculus/.

The derivation hands the printers every tree they print (the VJP and HVP passes, the chain-rule
links); a printer that called the rules would let data flow back from printing into the
calculus. Two checks (``tests/import_walls.py``): the syntax of every printer module (relative
imports resolved; ``from .. import calculus``, a string naming a calculus module and any import
machinery count), and what importing every printer loads in a fresh interpreter.
"""

from __future__ import annotations

import pytest

from tests.import_walls import ROOT, imported, imported_source, loaded_after, within

PRINTING = ROOT / "derivations" / "printing"


def _bad(names: set[str]) -> set[str]:
    return {m for m in names if within(m, ("calculus",)) or m.startswith("<dynamic")}


def test_printing_never_imports_the_calculus() -> None:
    files = sorted(PRINTING.rglob("*.py"))
    assert files
    for path in files:
        bad = _bad(imported(path))
        assert not bad, f"{path.name} imports {sorted(bad)}: printers print the derivation's trees"


@pytest.mark.parametrize(
    "line",
    [
        "from ..calculus import algebra",
        "from ..calculus.reverse import backward",
        "from .. import calculus",
        "import derivations.calculus.forward",
        'importlib.import_module("derivations.calculus.reverse")',
        '__import__("derivations.calculus")',
        'rules = sys.modules["derivations.calculus.rules"]',
        'getattr(importlib, "import_module")("derivations.calculus.rules")',
        'importlib.util.spec_from_file_location("r", "derivations/calculus/rules.py")',
    ],
)
def test_the_wall_sees_every_spelling(line: str) -> None:
    """The checker itself: each way of reaching the calculus is caught."""
    assert _bad(imported_source(line, "derivations.printing.probe", False)), line


@pytest.mark.parametrize(
    "fine", ["from ..expr import nodes as N", "from .latex import LatexPrinter"]
)
def test_the_wall_lets_a_neighbour_through(fine: str) -> None:
    assert not _bad(imported_source(fine, "derivations.printing.probe", False)), fine


def test_importing_every_printer_loads_no_calculus() -> None:
    code = (
        "import importlib, pkgutil\n"
        "import derivations.printing as printing\n"
        "for info in pkgutil.walk_packages(printing.__path__, 'derivations.printing.'):\n"
        "    importlib.import_module(info.name)\n"
    )
    loaded = loaded_after(code)
    assert "derivations.printing.latex" in loaded
    assert not {m for m in loaded if within(m, ("calculus",))}, sorted(loaded)
