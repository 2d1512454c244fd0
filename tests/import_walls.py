"""The import walls' checker, shared by the engine's and the printers' wall tests.

Two ways of seeing an import, because each is blind where the other sees:

- ``imported_source`` reads a module's syntax: every ``import``/``from`` (relative ones
  resolved, each imported name tried as a submodule), every string that names a
  ``derivations`` module (``importlib.import_module("derivations.calculus.rules")``,
  ``sys.modules["derivations.calculus.rules"]``), and a ``<dynamic import>`` marker for any
  import machinery whose target it cannot read: ``importlib`` (its ``import_module`` reached
  through ``getattr`` too), ``importlib.util`` loaders, ``sys.modules``, ``__import__``,
  ``exec``/``eval``, ``builtins``, ``runpy``, ``pkgutil``;
- ``loaded_after`` runs code in a fresh interpreter and lists the modules it loaded: whatever
  spelling a planted import uses, the module it reaches is in ``sys.modules`` afterwards.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Import machinery: a module using any of these can load a module no static scan can name.
_MACHINERY_MODULES = {"importlib", "runpy", "pkgutil", "imp", "zipimport", "builtins"}
_MACHINERY_NAMES = {
    "__import__", "__builtins__", "import_module", "exec", "eval", "spec_from_file_location",
    "spec_from_loader", "module_from_spec", "exec_module", "load_module", "SourceFileLoader",
    "run_path", "run_module", "find_spec",
}  # fmt: skip


def dynamic(module: str) -> str:
    return f"<dynamic import in {module}>"


def _resolve(module: str, is_package: bool, level: int, name: str | None) -> str:
    """The absolute module of ``from <level dots><name> import ...`` inside ``module``."""
    if level == 0:
        return name or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, name] if name else base)


def _is_machinery(node: ast.AST) -> bool:
    """A use of import machinery: importlib.…, sys.modules, __import__, exec, a loader."""
    if isinstance(node, ast.Name):
        return node.id in _MACHINERY_NAMES or node.id in _MACHINERY_MODULES
    if isinstance(node, ast.Attribute):
        if node.attr in _MACHINERY_NAMES:
            return True
        return isinstance(node.value, ast.Name) and (node.value.id, node.attr) == ("sys", "modules")
    return isinstance(node, ast.Constant) and node.value in _MACHINERY_NAMES  # getattr(m, "…")


def imported_source(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module a file imports or names, as absolute names, plus ``dynamic(module)`` when
    it uses import machinery."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            base = _resolve(module, is_package, node.level, node.module)
            names.add(base)
            names.update(f"{base}.{a.name}" if base else a.name for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value.startswith("derivations"):
                names.add(node.value.replace("/", ".").removesuffix(".py"))
        elif isinstance(node, ast.JoinedStr):  # f"derivations.calculus.{name}"
            head = next((v.value for v in node.values if isinstance(v, ast.Constant)), "")
            if isinstance(head, str) and head.startswith("derivations"):
                names.add(head.replace("/", "."))
        if _is_machinery(node):
            names.add(dynamic(module))
    top = {n.split(".")[0] for n in names}
    if top & _MACHINERY_MODULES:
        names.add(dynamic(module))
    return names


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    return imported_source(path.read_text(), module_name(path), path.name == "__init__.py")


def within(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == f"derivations.{p}" or name.startswith(f"derivations.{p}.") for p in packages)


# ``derivations/__init__.py`` imports the API (and so the calculus): the fresh interpreter
# registers the package without running it, so that only what ``code`` reaches is loaded.
_BARE_PACKAGE = f"""
import sys, types
_package = types.ModuleType("derivations")
_package.__path__ = [{str(ROOT / "derivations")!r}]
sys.modules["derivations"] = _package
"""


def loaded_after(code: str, extra_path: Path | None = None) -> set[str]:
    """The ``derivations`` modules a fresh interpreter has loaded after running ``code``."""
    script = f"{_BARE_PACKAGE}\n{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
    paths = [str(ROOT), *([str(extra_path)] if extra_path else [])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=False
    )
    assert run.returncode == 0, run.stderr
    modules = json.loads(run.stdout.strip().splitlines()[-1])
    return {m for m in modules if m.startswith("derivations")}
