"""Mutation testing of verification: single-edit mutants, a fixed program set, a table.

Each mutant is one textual edit (``old`` → ``new``, which must occur exactly once) to a file of
the package, applied to a temporary copy. A subprocess per mutant (two at a time) derives every
program of ``bench/mutant_programs.py`` with the mutated package and decides independently
whether the answer is wrong: the generated value and derivatives against HIPS autograd on a
hand-written NumPy reference, at sizes and points of its own. Display mutants (LaTeX and index
printers) change no number; for them "wrong" means the displayed formulas differ from the
unmutated package's, and they can only be caught by a check of the display (another helper's
``displayed_form``), so they are marked "needs displayed_form" when they escape. Sampler
mutants weaken verification without changing any answer, so each is paired with a calculus
mutant whose escape it could cause.

Run: python bench/mutants.py [--jobs 2] [--only ID ...] [--json out.json]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from mutant_list import MUTANTS  # noqa: E402


def _apply(root: Path, edits: list[tuple[str, str, str]]) -> None:
    for rel, old, new in edits:
        path = root / "derivations" / rel
        text = path.read_text(encoding="utf-8")
        count = text.count(old)
        if count != 1:
            raise SystemExit(f"mutant edit not unique in {rel} ({count} matches): {old!r}")
        path.write_text(text.replace(old, new), encoding="utf-8")


def _run(mutant: dict | None, timeout: float) -> dict:
    """One subprocess over the whole program set, on a mutated copy of the package."""
    with tempfile.TemporaryDirectory(prefix="chainrule-mutant-") as tmp:
        shutil.copytree(
            ROOT / "derivations",
            Path(tmp) / "derivations",
            ignore=shutil.ignore_patterns("__pycache__"),
        )
        if mutant is not None:
            _apply(Path(tmp), mutant["edits"])
        env = {**os.environ, "PYTHONPATH": tmp, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
        worker = Path(__file__).resolve().parent / "mutant_worker.py"
        try:
            out = subprocess.run(
                [sys.executable, str(worker)],
                capture_output=True,
                text=True,
                timeout=timeout,
                env=env,
                cwd=tmp,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return {"error": f"timed out after {timeout:.0f} s", "programs": {}}
        if out.returncode != 0:
            return {"error": out.stderr.strip().splitlines()[-1:] or ["crashed"], "programs": {}}
        return json.loads(out.stdout)


def _classify(mutant: dict, run: dict, baseline: dict) -> dict:
    display = mutant.get("display", False)
    wrong, caught, escapes, loud = [], {}, [], []
    for pid, r in run.get("programs", {}).items():
        if r.get("error"):
            loud.append(pid)  # refused or crashed: loud, not a silent wrong answer
            continue
        base = baseline["programs"][pid]
        is_wrong = r["wrong"] or (display and r["display"] != base["display"])
        if not is_wrong:
            continue
        wrong.append(pid)
        if r["passed"] is False:
            caught[pid] = r["failed"]
        else:
            escapes.append(pid)
    by_check: dict[str, int] = {}
    for methods in caught.values():
        for m in methods:
            by_check[m] = by_check.get(m, 0) + 1
    return {
        "id": mutant["id"],
        "area": mutant["area"],
        "wrong": wrong,
        "caught": caught,
        "escapes": escapes,
        "loud": loud,
        "by_check": by_check,
        "note": "needs displayed_form" if display and escapes else "",
        "error": run.get("error"),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--json")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    mutants = [m for m in MUTANTS if not args.only or m["id"] in args.only]
    start = time.time()
    baseline = _run(None, args.timeout)
    if baseline.get("error"):
        raise SystemExit(f"the unmutated package failed: {baseline['error']}")
    false_alarms = [p for p, r in baseline["programs"].items() if r["passed"] is not True]
    judge_wrong = [p for p, r in baseline["programs"].items() if r["wrong"]]
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        runs = list(pool.map(lambda m: _run(m, args.timeout), mutants))
    rows = [_classify(m, r, baseline) for m, r in zip(mutants, runs, strict=True)]
    _print(rows, baseline, false_alarms, judge_wrong, time.time() - start)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1), encoding="utf-8")


def _print(
    rows: list[dict], baseline: dict, false_alarms: list, judge_wrong: list, seconds: float
) -> None:
    n = len(baseline["programs"])
    print(f"{len(rows)} mutants × {n} programs, {seconds:.0f} s")
    print(
        f"unmutated: {len(false_alarms)} false alarms {false_alarms}, judge disagreements {judge_wrong}"
    )
    print("| mutant | area | programs made wrong | caught | escapes | refused (loud) | caught by |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        checks = ", ".join(f"{k} {v}" for k, v in sorted(r["by_check"].items()))
        escapes = ", ".join(r["escapes"]) + (f" ({r['note']})" if r["note"] else "")
        err = f" ERROR {r['error']}" if r["error"] else ""
        print(
            f"| {r['id']} | {r['area']} | {len(r['wrong'])} | {len(r['caught'])} | "
            f"{escapes or '0'} | {len(r['loud'])} | {checks}{err} |"
        )
    wrong = sum(len(r["wrong"]) for r in rows)
    caught = sum(len(r["caught"]) for r in rows)
    numeric_escapes = sum(len(r["escapes"]) for r in rows if not r["note"])
    display_escapes = sum(len(r["escapes"]) for r in rows if r["note"])
    effective = sum(1 for r in rows if r["wrong"])
    print(
        f"\n{effective} of {len(rows)} mutants made some answer wrong; {caught}/{wrong} wrong answers "
        f"caught; escapes: {numeric_escapes} (numbers), {display_escapes} (display, needs displayed_form)"
    )


if __name__ == "__main__":
    main()
