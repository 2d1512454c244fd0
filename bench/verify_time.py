"""Verification time over the catalog: median and total over entries, fresh caches (a table).

Each entry is derived once with verification off, then ``verify_result`` is timed alone, after
SymPy's cache is cleared, so entries do not profit from each other. Run it on two checkouts to
compare (``PYTHONPATH=<checkout> python bench/verify_time.py``).

Each entry is timed ``--repeat`` times (default 3) and its fastest run kept, which filters out
the load of a shared machine; the median is over entries.

Run: python bench/verify_time.py [--repeat 3] [--json]
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import sympy  # noqa: E402

from derivations import derive  # noqa: E402
from derivations.catalog.loader import catalog  # noqa: E402
from derivations.limits import DEFAULT_LIMITS  # noqa: E402
from derivations.verify.run import verify_result  # noqa: E402


def measure(repeat: int) -> dict[str, dict]:
    rows: dict[str, dict] = {}
    for entry_id, entry in sorted(catalog().items()):
        variables = {
            k: list(v) if isinstance(v, list | tuple) else v for k, v in entry.variables.items()
        }
        result = derive(entry.program, variables, wrt=list(entry.wrt), verify=False)
        best = float("inf")
        for _ in range(repeat):
            sympy.core.cache.clear_cache()
            start = time.perf_counter()
            v = verify_result(result, variables, DEFAULT_LIMITS)
            best = min(best, time.perf_counter() - start)
        rows[entry_id] = {
            "seconds": best,
            "passed": v["passed"],
            "skipped": [c["method"] for c in v["checks"] if c.get("skipped")],
        }
    return rows


def main() -> None:
    repeat = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 3
    rows = measure(repeat)
    times = [r["seconds"] for r in rows.values()]
    if "--json" in sys.argv:
        print(json.dumps(rows, indent=1))
    print(
        f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print("| entry | verify s | passed | skipped |")
    print("|---|---|---|---|")
    for k, r in rows.items():
        print(f"| {k} | {r['seconds']:.3f} | {r['passed']} | {', '.join(r['skipped']) or '-'} |")
    print(
        f"\nmedian {statistics.median(times):.3f} s, total {sum(times):.2f} s over {len(times)} entries"
    )


if __name__ == "__main__":
    main()
