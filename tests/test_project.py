"""Project-level contracts: CI runs the README's command, and the two walls hold."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.import_walls import imported, imported_source, loaded_after, module_name, within

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
    return {path: imported(path) for path in (ROOT / package).rglob("*.py")}


def _closure(package: str) -> dict[str, set[str]]:
    """For each module of ``package``: every derivations module it reaches through imports."""
    graph = {
        module_name(p): {n for n in imported(p) if n.startswith(("derivations", "<"))}
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
    return name.startswith("<dynamic") or within(name, ("calculus", "printing"))


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
        # The holes the syntax scan had until it read strings and import machinery:
        'rules = sys.modules["derivations.calculus.rules"]',
        'getattr(importlib, "import_module")("derivations.calculus.rules")',
        'load = getattr(__builtins__, "__imp" + "ort__")',
        'spec = importlib.util.spec_from_file_location("r", "derivations/calculus/rules.py")',
        "from importlib import util",
        'exec("from ..calculus import rules")',
        "import runpy",
    ],
)
def test_the_wall_test_sees_every_way_of_importing(line: str) -> None:
    """Each spelling of reaching the rules is caught by the syntax scan alone."""
    names = imported_source(f"{line}\n", "derivations.engine.probe")
    assert any(_forbidden_for_engine(n) for n in names) or "derivations" in names, line


def test_the_wall_test_lets_the_engine_read_the_registry() -> None:
    source = "from ..ops import registry\nfrom ..expr import nodes\nfrom . import gates\n"
    assert not any(
        _forbidden_for_engine(n) for n in imported_source(source, "derivations.engine.probe")
    )


_ENGINE_RUN = """
import contextlib, importlib, pkgutil
import numpy as np
import sympy as sp
import derivations.engine as engine
for info in pkgutil.walk_packages(engine.__path__, "derivations.engine."):
    importlib.import_module(info.name)
from derivations.language.elaborate import elaborate
from tests.op_programs import USER_PROGRAMS
for _op, text, variables, _h in USER_PROGRAMS:  # compiled and run: lazy imports happen too
    program = elaborate(text, dict(variables))
    graph = engine.compile_program(program)
    def value(v):
        rows, cols = (int(sp.sympify(d).subs({s: 3 for s in sp.sympify(d).free_symbols}))
                      for d in v.shape)
        data = np.linspace(0.5, 1.5, rows * cols)
        if v.role == "label" or rows * cols == 1:
            return 1 if v.role == "label" else 0.7
        return data if 1 in (rows, cols) else data.reshape(rows, cols)
    inputs = {name: value(v) for name, v in program.inputs.items()}
    with contextlib.suppress(Exception):  # an input outside an op's domain: the next
        if program.output.is_scalar:
            graph.backward(inputs, list(inputs))
        else:
            graph.forward(inputs)
"""


def test_the_engine_loads_no_rule_when_it_runs() -> None:
    """The runtime wall, blind to no spelling: every engine module imported and every
    registry example compiled in a fresh interpreter, and no calculus or printer module is
    loaded afterwards (a planted ``sys.modules`` or ``importlib.util`` import would be)."""
    loaded = loaded_after(_ENGINE_RUN)
    assert "derivations.engine.gates" in loaded
    bad = {m for m in loaded if within(m, ("calculus", "printing"))}
    assert not bad, f"running the engine loads {sorted(bad)}: it must stay independent"


def test_the_runtime_wall_sees_a_planted_module(tmp_path: Path) -> None:
    """A module reaching the rules through a spelling no scan reads is seen by what it loads."""
    (tmp_path / "planted.py").write_text(
        "import importlib as _m\n"
        'getattr(_m, "import_" + "module")(".".join(["derivations", "calculus", "rules"]))\n'
    )
    assert "derivations.calculus.rules" in loaded_after("import planted", tmp_path)
    assert not any(within(m, ("calculus",)) for m in loaded_after("import json", tmp_path))


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


# The one place chainrule executes code, and the modules allowed to hand it source: each builds
# that source from its own printers' output (a result's ``code``, or ``numpy_source`` around
# printer text), never from a user's string. A new caller must be added here after that review.
EXEC_SITE = "derivations/verify/numeric.py"
LOAD_MODULE_CALLERS = {
    "derivations/verify/sampling.py",
    "derivations/verify/run.py",
    "derivations/verify/displayed.py",
    "derivations/site/data.py",
    "derivations/site/cookbook.py",
}


def _calls(tree: ast.AST, name: str) -> bool:
    return any(
        isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Name) and node.func.id == name)
            or (isinstance(node.func, ast.Attribute) and node.func.attr == name)
        )
        for node in ast.walk(tree)
    )


def test_python_code_is_executed_in_one_place_by_known_callers() -> None:
    execs, loaders = set(), set()
    for path in sorted((ROOT / "derivations").rglob("*.py")) + sorted(
        (ROOT / "service").rglob("*.py")
    ):
        tree = ast.parse(path.read_text())
        where = path.relative_to(ROOT).as_posix()
        if _calls(tree, "exec") or _calls(tree, "eval"):
            execs.add(where)
        if _calls(tree, "load_module") and where != EXEC_SITE:
            loaders.add(where)
    # SymPy's Function.eval hooks in verify/implicit.py are methods named eval, never called.
    assert execs == {EXEC_SITE}, execs
    assert loaders == LOAD_MODULE_CALLERS, loaders


@pytest.mark.parametrize("name", ["x;import os", "__import__", "os.system", "x\n", "x'"])
def test_a_hostile_name_never_reaches_generated_code(name: str) -> None:
    from derivations import derive
    from derivations.errors import ChainruleError

    with pytest.raises(ChainruleError, match="not a valid variable name"):
        derive("s = sum(v)", {name: ["n"], "v": ["n"]}, verify=False)
