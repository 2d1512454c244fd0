"""Project-level contracts: CI runs the README's command, and the two walls hold."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    command = next(line for line in ci.splitlines() if line.startswith("python3 -m venv"))
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)\n```", quick_start, re.S)
    assert blocks[:2] and len(blocks[0].splitlines()) == 1 and blocks[1] == command
    assert "chainrule serve" in blocks[0]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(module: str, is_package: bool, level: int, name: str | None) -> str:
    """The absolute module of ``from <level dots><name> import ...`` inside ``module``."""
    if level == 0:
        return name or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, name] if name else base)


def _imported(path: Path) -> set[str]:
    return _imported_source(path.read_text(), _module_name(path), path.name == "__init__.py")


def _imported_source(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module a file imports, as absolute names: relative imports resolved (and each
    imported name tried as a submodule: ``from .. import calculus``), plus the string given to
    ``importlib.import_module`` or ``__import__`` (constant or prefix of an f-string); any
    other argument is a dynamic import, which the engine may not do."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            base = _resolve(module, is_package, node.level, node.module)
            names.add(base)
            names.update(f"{base}.{a.name}" if base else a.name for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in ("import_module", "__import__") and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    names.add(arg.value)
                elif isinstance(arg, ast.JoinedStr):
                    names.add("".join(v.value for v in arg.values if isinstance(v, ast.Constant)))
                else:
                    names.add(f"<dynamic import in {module}>")
    return names


def _imports(package: str) -> dict[Path, set[str]]:
    return {path: _imported(path) for path in (ROOT / package).rglob("*.py")}


def _closure(package: str) -> dict[str, set[str]]:
    """For each module of ``package``: every derivations module it reaches through imports."""
    graph = {
        _module_name(p): {n for n in _imported(p) if n.startswith(("derivations", "<"))}
        for p in (ROOT / "derivations").rglob("*.py")
    }
    out = {}
    for start in [m for m in graph if m.startswith(package.replace("/", "."))]:
        seen, stack = set(), [start]
        while stack:
            for n in graph.get(stack.pop(), set()):
                if n not in seen:
                    seen.add(n)
                    stack.append(n)
        out[start] = seen
    return out


def _forbidden_for_engine(name: str) -> bool:
    return name.startswith("<dynamic") or any(
        name == f"derivations.{p}" or name.startswith(f"derivations.{p}.")
        for p in ("calculus", "printing")
    )


def test_engine_never_imports_the_symbolic_rules() -> None:
    for path, names in _imports("derivations/engine").items():
        bad = {n for n in names if _forbidden_for_engine(n)}
        assert not bad, f"{path} imports {bad}: the engine must stay independent of the rules"


def test_engine_reaches_no_rule_through_other_modules() -> None:
    for module, reached in _closure("derivations/engine").items():
        bad = {n for n in reached if _forbidden_for_engine(n)}
        assert not bad, f"{module} reaches {sorted(bad)}: the engine must stay independent"


@pytest.mark.parametrize(
    "line",
    [
        "from .. import calculus",
        "from ..calculus import rules",
        "from ..calculus.rules import vjp",
        "from ... import derivations",
        "import derivations.calculus.rules",
        'importlib.import_module("derivations.calculus.rules")',
        'importlib.import_module(f"derivations.calculus.{name}")',
        '__import__("derivations.printing.latex")',
        "importlib.import_module(name)",
    ],
)
def test_the_wall_test_sees_every_way_of_importing(line: str) -> None:
    """The holes it once had: a relative package import and importlib with a string."""
    names = _imported_source(f"import importlib\n{line}\n", "derivations.engine.probe")
    assert any(_forbidden_for_engine(n) for n in names) or "derivations" in names, line


def test_the_wall_test_lets_the_engine_read_the_registry() -> None:
    source = "from ..ops import registry\nfrom ..expr import nodes\nfrom . import gates\n"
    assert not any(
        _forbidden_for_engine(n) for n in _imported_source(source, "derivations.engine.probe")
    )


def test_library_never_imports_the_service() -> None:
    for path, names in _imports("derivations").items():
        assert not {n for n in names if n == "service" or n.startswith("service.")}, path


def test_no_eval_of_user_text() -> None:
    for path in (ROOT / "derivations").rglob("*.py"):
        text = path.read_text()
        assert "sympify(" not in text, path
        assert "parse_expr(" not in text, path


def test_no_merge_conflict_markers_are_left_in_the_sources() -> None:
    """A marker left by a merge in a README or module would ship; git does not refuse it."""
    import subprocess

    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    marker = re.compile(r"^(<{7}|>{7}) ", re.M)
    found = [
        name
        for name in listed.stdout.splitlines()
        if (ROOT / name).is_file()
        and (ROOT / name).suffix in {".py", ".md", ".toml", ".lark", ".html", ".js", ".txt"}
        and marker.search((ROOT / name).read_text(errors="ignore"))
    ]
    assert not found, f"merge conflict markers in {found}"
