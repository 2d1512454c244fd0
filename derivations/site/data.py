"""What the pages show, computed once per process: derivations, traces, worked examples.

The site derives and verifies every entry itself, with a generous exact-check budget so that a
busy machine cannot turn a "passed" into a "skipped" (the build must give the same bytes every
time), and drops the one field that is not a function of the input (the seconds taken). An
entry whose verification does not pass stops the build: a page must never show a derivative
that failed its checks.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ..api import derive, trace
from ..catalog.loader import catalog, entry_fields, find
from ..declared import freeze, thaw
from ..errors import ChainruleError
from ..language.elaborate import elaborate
from ..limits import Limits
from ..verify.numeric import load_module
from ..verify.sampling import choose_sizes, draw_inputs

SITE_LIMITS = Limits(exact_check_seconds=300.0)
MAX_GRAPH_NODES = 24


def stable(result: dict[str, Any]) -> dict[str, Any]:
    """The derivation dict without its timings, so that equal input gives equal pages."""
    v = dict(result["verification"])
    v.pop("seconds", None)
    return {**result, "verification": v}


@functools.cache
def derivation(program: str, variables: tuple, wrt: tuple, hessian: bool = False) -> dict:
    """One verified derivation; several entries and pages share a program, so it is cached."""
    declared = thaw(variables)
    return stable(
        derive(program, declared, wrt=list(wrt), hessian=hessian, limits=SITE_LIMITS).to_dict()
    )


def require_passed(result: dict[str, Any], where: str) -> None:
    v = result["verification"]
    if v.get("passed") is not True:
        failed = [c["method"] for c in v.get("checks", []) if not c.get("passed")]
        raise ChainruleError(
            "verification",
            f"{where}: verification did not pass ({', '.join(failed) or v.get('note', 'no checks ran')})",
            hint="fix the rule or the entry; the site never shows an unverified derivative",
            details={"where": where},
        )


def example_values(program: str, variables: dict, code: str) -> dict[str, Any] | None:
    """A small worked example for an entry without one: sizes 2, 3…, domain-aware values."""
    typed = elaborate(program, variables, SITE_LIMITS)
    sizes = choose_sizes(typed)
    module = load_module(code)
    inputs, _ = draw_inputs(typed, sizes, np.random.default_rng(0), module["value"])
    if inputs is None:
        return None
    return {k: np.round(np.asarray(v, dtype=float), 2).tolist() for k, v in inputs.items()}


def worked_example(entry_id: str, d: dict[str, Any]) -> dict[str, Any] | None:
    """The entry's trace (its own ``trace_at``, or a generated example), or None if too big."""
    entry = find(entry_id)
    values = entry.trace_at
    if values is None:
        values = example_values(entry.program, dict(entry.variables), d["code"]["numpy"])
        if values is None:
            return None
    try:
        result = trace(entry.program, dict(entry.variables), values).to_dict()
    except ChainruleError:
        return None
    if len(result["nodes"]) > MAX_GRAPH_NODES:
        return None
    return {"values": values, "given": entry.trace_at is not None, **result}


@functools.cache
def entry_data(entry_id: str) -> dict[str, Any]:
    """The entry's fields, its verified derivation and its worked example."""
    entry = find(entry_id)
    variables = freeze(entry.variables)
    d = derivation(entry.program, variables, tuple(entry.wrt))
    require_passed(d, f"entry {entry_id}")
    out = {**entry_fields(entry), **d}
    out["example"] = worked_example(entry_id, d)
    return out


def entry_ids() -> list[str]:
    return list(catalog())
