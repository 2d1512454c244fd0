"""Derive time of the catalog's transformer block, with verification off and on (a table).

The block (the catalog entry ``transformer-block``) is attention, a residual, layer
normalisation, a GELU MLP with its residual, and cross-entropy over a sequence of labels: six
weight gradients in one derivation. Each configuration is timed ``--repeat`` times in this
process with SymPy's cache and the tidy pass's shared cache cleared before every run, so no run
profits from an earlier one; the fastest run is kept (the load of a shared machine only ever
adds time), and CPU time is printed next to wall time for the same reason. The first derivation
in a fresh process also builds the parser (printed separately as "first call").

The goal (issue 14) is under 1 s with verification off. Never asserted in a test: wall-clock
figures belong here, not in the suite.

Run: python bench/transformer.py [--repeat 3] [--verify-repeat 1]
"""

from __future__ import annotations

import os
import platform
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import sympy  # noqa: E402

from derivations import derive  # noqa: E402
from derivations.calculus import tidy  # noqa: E402
from derivations.catalog.loader import catalog  # noqa: E402
from derivations.catalog.schema import Entry  # noqa: E402

ENTRY = "transformer-block"


def block() -> Entry:
    """The transformer block, as the catalog serves it."""
    return catalog()[ENTRY]


def _fresh() -> None:
    sympy.core.cache.clear_cache()
    tidy._SHORTEST.clear()


def timed(program: str, variables: dict, wrt: list[str], verify: bool) -> tuple[float, float, dict]:
    """(wall seconds, CPU seconds, result dict) of one derivation from fresh caches."""
    _fresh()
    wall, cpu = time.perf_counter(), time.process_time()
    result = derive(program, variables, wrt=wrt, verify=verify).to_dict()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def best_of(repeat: int, *args) -> tuple[float, float, dict]:
    runs = [timed(*args) for _ in range(repeat)]
    wall = min(r[0] for r in runs)
    cpu = min(r[1] for r in runs)
    return wall, cpu, runs[-1][2]


def _shape(declared: object) -> list:
    """The dimensions of a declaration: a plain shape list, or a role/kind mapping's shape."""
    return list(declared["shape"] if isinstance(declared, dict) else declared)


def _sizes(result: dict) -> str:
    checks = (result.get("verification") or {}).get("checks", [])
    out = []
    for c in checks:
        sets = c.get("size_sets") or ([c["sizes"]] if c.get("sizes") else [])
        text = " and ".join(", ".join(f"{k}={v}" for k, v in s.items()) for s in sets)
        out.append(f"{c['method']}: {text}" + (" (skipped)" if c.get("skipped") else ""))
    return "; ".join(out)


def main() -> int:
    repeat = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 3
    vrep = sys.argv.index("--verify-repeat") + 1 if "--verify-repeat" in sys.argv else 0
    verify_repeat = int(sys.argv[vrep]) if vrep else 1
    entry = block()
    args = (entry.program, dict(entry.variables), list(entry.wrt))
    first = timed(*args, False)
    off = best_of(repeat, *args, False)
    on = best_of(verify_repeat, *args, True)
    dims = sorted({str(d) for v in entry.variables.values() for d in _shape(v)})
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f}"
    )
    print(f"entry: {ENTRY}, {len(entry.wrt)} weight gradients, dimensions {', '.join(dims)}")
    print("\n| verification | wall s | CPU s | runs |")
    print("|---|---:|---:|---:|")
    print(f"| off, first call (parser built) | {first[0]:.3f} | {first[1]:.3f} | 1 |")
    print(f"| off | {off[0]:.3f} | {off[1]:.3f} | {repeat} |")
    print(f"| on | {on[0]:.3f} | {on[1]:.3f} | {verify_repeat} |")
    verification = on[2]["verification"]
    print(f"\nverification passed: {verification['passed']}; sizes: {_sizes(on[2])}")
    return 0 if verification["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
