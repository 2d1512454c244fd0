"""CLI subcommands for the catalog: ``catalog [ID]`` and ``train-code ID``."""

from __future__ import annotations

import argparse
import json
import textwrap
from typing import Any

from .techniques.optimizers import OPTIMIZERS
from .techniques.schedules import SCHEDULES


def register(sub: argparse._SubParsersAction) -> None:
    """Add the catalog's subcommands to the ``chainrule`` parser."""
    c = sub.add_parser("catalog", help="list the lecture catalog, or show one entry's derivation")
    c.add_argument("id", nargs="?", help="an entry id (omit to list every entry)")
    c.add_argument("--json", action="store_true", help="print JSON instead of text")
    c.add_argument("--no-verify", action="store_true", help="skip the numeric and exact checks")
    c.set_defaults(func=_catalog)

    t = sub.add_parser(
        "train-code", help="print a self-contained NumPy training script for an entry"
    )
    t.add_argument("id", help="a catalog entry with a training setup, e.g. window-classifier")
    t.add_argument(
        "--optimizer", choices=list(OPTIMIZERS), default=None,
        help="default: adam, or the entry's own optimizer",
    )  # fmt: skip
    t.add_argument(
        "--schedule", choices=list(SCHEDULES), default=None,
        help="default: constant, or the entry's own schedule",
    )  # fmt: skip
    t.add_argument(
        "--l2", type=float, default=0.0, metavar="LAMBDA",
        help="L2 strength lambda (adds lambda*sum(theta**2) to the loss); weight decay only with"
        " sgd: with adam it is coupled L2, so use --optimizer adamw --weight-decay for decoupled weight decay",
    )  # fmt: skip
    t.add_argument(
        "--weight-decay", type=float, default=None, metavar="LAMBDA",
        help="AdamW's decoupled weight decay (default 0.01); only with --optimizer adamw",
    )  # fmt: skip
    t.add_argument("--epochs", type=int, default=30)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument(
        "--lr", type=float, default=None, help="initial learning rate (default per optimizer)"
    )
    t.set_defaults(func=_train_code)


def _catalog(args: argparse.Namespace) -> int:
    from .loader import get_entry, list_entries

    if args.id is None:
        rows = list_entries()
        print(json.dumps(rows, indent=2) if args.json else _table(rows))
        return 0
    entry = get_entry(args.id, verify=not args.no_verify)
    print(json.dumps(entry, indent=2, default=str) if args.json else render(entry))
    passed = entry.get("verification", {}).get("passed")
    return 0 if passed in (True, None) else 1


def _train_code(args: argparse.Namespace) -> int:
    from .traincode import generate

    print(
        generate(
            args.id,
            optimizer=args.optimizer,
            schedule=args.schedule,
            l2=args.l2,
            epochs=args.epochs,
            seed=args.seed,
            lr=args.lr,
            weight_decay=args.weight_decay,
        )
    )
    return 0


def _table(rows: list[dict[str, Any]]) -> str:
    width = max(len(r["id"]) for r in rows)
    lines = [f"{'ID'.ljust(width)}  TITLE / TAGS", f"{'-' * width}  {'-' * 40}"]
    for r in rows:
        lines.append(f"{r['id'].ljust(width)}  {r['title']}")
        lines.append(f"{' ' * width}  [{', '.join(r['tags'])}] {r['summary']}")
    return "\n".join(lines)


def _wrap(text: str, indent: str = "  ") -> str:
    return textwrap.fill(text, 96, initial_indent=indent, subsequent_indent=indent + "  ")


def u(latex: str) -> str:
    """Terminal text for LaTeX (the JSON output keeps the LaTeX itself)."""
    from ..printing.unicode import to_unicode

    return to_unicode(latex)


def render(entry: dict[str, Any]) -> str:
    """Readable text for one entry: what it is, the derivation, the checks, the pitfalls."""
    out = [f"{entry['title']}  ({entry['id']})", _wrap(entry["summary"], ""), ""]
    out.append("program:   " + entry["program"])
    decl = ", ".join(f"{n}: [{', '.join(map(str, d))}]" for n, d in entry["variables"].items())
    out.append("variables: " + decl)
    out.append("tags:      " + ", ".join(entry["tags"]))
    for d in entry.get("definitions", []):
        out.append(f"  {u(d['symbol'])} = {u(d['latex'])}   ({d['role']}, shape {d['shape']})")
        for case in d.get("cases", []):  # Tip 3: the correct class and the others
            out.append(f"      for {u(case['when'])}: {u(case['latex'])}")
    for d in entry.get("derivatives", []):
        out += ["", f"d/d{d['wrt']}  ({d['kind']}, shape {d['shape']}, {d['layout']})"]
        out.append(f"  {u(d.get('equation', d['latex']))}")
        if d.get("index_latex") and d["index_latex"] != d.get("equation"):
            out.append(f"  {u(d['index_latex'])}")
        out.append(f"  numpy: {d['numpy']}")
        for step in entry.get("steps", {}).get(d["wrt"], []):
            out.append(f"    {u(step)}")
    verification = entry.get("verification")
    if verification:
        out += ["", f"verification: passed={verification.get('passed')}"]
        for c in verification.get("checks", []):
            state = "skipped" if c.get("skipped") else ("ok" if c.get("passed") else "FAILED")
            err = c.get("max_rel_error")
            size = (
                f"max rel. error {err:.2e}" if isinstance(err, int | float) else "no error measured"
            )
            out.append(f"  {c['method']}: {state} ({size})")
    technique = entry.get("technique")
    if technique:
        out += [
            "",
            "technique: " + u(technique["formula"]),
            "  LaTeX: " + technique["formula"],
            "  code: " + technique["implementation"],
        ]
    if "trace" in entry:
        t = entry["trace"]
        out += ["", f"worked example at {entry['trace_at']}: value {t['value']}"]
        for name, g in t["gradients"].items():
            out.append(f"  d/d{name} = {g}")
    out += ["", "notes:"] + [_wrap("- " + n) for n in entry["notes"]]
    return "\n".join(out)
