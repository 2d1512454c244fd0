"""Rendering grows linearly with the program and costs no more work than deriving.

Work is counted, not timed: every tree node a pass visits (``nodes.walk``/``walk_all``), every
node a LaTeX or code printer prints, every forward- or reverse-mode rule applied. Each
variable's chain-rule steps repeat links and δs that other variables' steps show too; printing
them again per variable (or re-deriving each link's Jacobian) made to_dict() quadratic in the
depth of an MLP, which doubling the depth exposes here as a fourfold count.
"""

from __future__ import annotations

import importlib.util
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import pytest

from derivations import derive
from derivations.calculus import forward, reverse
from derivations.expr import nodes as N
from derivations.printing.latex import LatexPrinter
from derivations.printing.numpy_code import CodePrinter


def _bench_programs() -> ModuleType:
    """bench/programs.py, the MLPs the bench times (a script folder, loaded by path)."""
    path = Path(__file__).resolve().parents[2] / "bench" / "programs.py"
    spec = importlib.util.spec_from_file_location("bench_programs", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


mlp = _bench_programs().mlp


@contextmanager
def counting(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    work: Counter[str] = Counter()

    def sized(name: str, fn: Callable) -> Callable:
        def run(*args, **kwargs):
            out = fn(*args, **kwargs)
            work[name] += len(out)
            return out

        return run

    def called(name: str, fn: Callable) -> Callable:
        def run(*args, **kwargs):
            work[name] += 1
            return fn(*args, **kwargs)

        return run

    monkeypatch.setattr(N, "walk", sized("visits", N.walk))
    monkeypatch.setattr(N, "walk_all", sized("visits", N.walk_all))
    monkeypatch.setattr(forward, "jacobian_rule", called("rules", forward.jacobian_rule))
    monkeypatch.setattr(reverse, "vjp", called("rules", reverse.vjp))
    for cls in (LatexPrinter, CodePrinter):
        for attr in dir(cls):
            if attr.startswith("_print_"):
                monkeypatch.setattr(cls, attr, called("printed", getattr(cls, attr)))
    yield work


def _work(layers: int, monkeypatch: pytest.MonkeyPatch) -> tuple[int, int]:
    program, variables = mlp(layers)
    with counting(monkeypatch) as work:
        result = derive(program, variables, verify=False)
        derived = sum(work.values())
        work.clear()
        result.to_dict()
        rendered = sum(work.values())
    monkeypatch.undo()
    return derived, rendered


def test_rendering_work_is_linear_and_bounded_by_the_derivation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    d16, r16 = _work(16, monkeypatch)
    d32, r32 = _work(32, monkeypatch)
    assert r32 <= 2.4 * r16, (r16, r32)  # linear doubles; quadratic would quadruple
    assert d32 <= 2.4 * d16, (d16, d32)
    # A node printed or visited is far cheaper than a rule applied, so the units favour the
    # derivation; the bench (bench/codegen.py) compares seconds. This bound catches rendering
    # that re-derives (each link's Jacobian again) or repeats the CSE once per backend.
    assert r32 <= 3 * d32, (d32, r32)
