"""Printers only print: derivations/printing/ never imports derivations/calculus/.

The derivation hands the printers every tree they print (the VJP and HVP passes, the chain-rule
links); a printer that called the rules would let data flow back from printing into the
calculus. Relative imports are resolved, and ``from .. import calculus`` and
``importlib.import_module("derivations.calculus…")`` count as imports too.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRINTING = ROOT / "derivations" / "printing"


def imported_modules(source: str, package: str) -> set[str]:
    """Every module ``source`` (a module of ``package``) imports, as absolute dotted names."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            parts = package.split(".")
            base = ".".join(parts[: len(parts) - node.level + 1]) if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            out.add(module)
            out.update(f"{module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Call) and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                name = getattr(node.func, "attr", getattr(node.func, "id", ""))
                if name in ("import_module", "__import__"):
                    out.add(arg.value)
    return out


def _calculus(modules: set[str]) -> set[str]:
    return {m for m in modules if m == "derivations.calculus" or ".calculus" in f".{m}"}


def test_printing_never_imports_the_calculus() -> None:
    files = sorted(PRINTING.rglob("*.py"))
    assert files
    for path in files:
        package = ".".join(path.relative_to(ROOT).parts[:-1])
        bad = _calculus(imported_modules(path.read_text(), package))
        assert not bad, f"{path.name} imports {sorted(bad)}: printers print the derivation's trees"


def test_the_wall_sees_every_spelling() -> None:
    """The checker itself: each way of reaching the calculus is caught, and a neighbour is not."""
    spellings = [
        "from ..calculus import algebra",
        "from ..calculus.reverse import backward",
        "from .. import calculus",
        "import derivations.calculus.forward",
        'importlib.import_module("derivations.calculus.reverse")',
        '__import__("derivations.calculus")',
    ]
    for line in spellings:
        assert _calculus(imported_modules(line, "derivations.printing")), line
    for fine in ("from ..expr import nodes as N", "from .latex import LatexPrinter"):
        assert not _calculus(imported_modules(fine, "derivations.printing")), fine
