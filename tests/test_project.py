"""Project-level contracts: CI runs the README's command, and the two walls hold."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    command = next(line for line in ci.splitlines() if line.startswith("python3 -m venv"))
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)\n```", quick_start, re.S)
    assert blocks[:2] and len(blocks[0].splitlines()) == 1 and blocks[1] == command
    assert "chainrule serve" in blocks[0]


def _imports(package: str) -> dict[Path, set[str]]:
    out = {}
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text())
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                base = "." * node.level + (node.module or "")
                names.add(base)
            elif isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
        out[path] = names
    return out


def test_engine_never_imports_the_symbolic_rules() -> None:
    for path, names in _imports("derivations/engine").items():
        bad = {n for n in names if "calculus" in n or "printing" in n}
        assert not bad, f"{path} imports {bad}: the engine must stay independent of the rules"


def test_library_never_imports_the_service() -> None:
    for path, names in _imports("derivations").items():
        assert not {n for n in names if n == "service" or n.startswith("service.")}, path


def test_no_eval_of_user_text() -> None:
    for path in (ROOT / "derivations").rglob("*.py"):
        text = path.read_text()
        assert "sympify(" not in text, path
        assert "parse_expr(" not in text, path
