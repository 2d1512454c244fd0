"""``chainrule check`` (one answer) and ``chainrule grade`` (a submission, or a Gradescope zip)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def _check(args: argparse.Namespace) -> int:
    from ..cli import _declarations
    from .check import check

    definitions = {}
    for item in args.define or []:
        name, _, text = item.partition("=")
        definitions[name.strip()] = text.strip()
    if len(args.wrt) != 1:
        from ..errors import ChainruleError

        raise ChainruleError("not_a_variable", "check takes one --wrt", hint="e.g. --wrt W")
    problem = {
        "program": args.program,
        "variables": _declarations(args.var, args.data),
        "wrt": args.wrt[0],
        "kind": args.kind,
        "reveal_reference": args.reveal,
        "definitions": definitions or None,
    }
    result = check(problem, args.answer, args.answer_format)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(f"verdict: {result.verdict}   score: {result.score:g}")
        for d in result.diagnosis:
            print(f"  [{d.kind}] {d.message}")
        print()
        print(result.feedback)
    return 0 if result.correct else 1


def _grade(args: argparse.Namespace) -> int:
    from . import gradescope, prairielearn
    from .assignment import grade_submission, load_answers, load_assignment

    if args.gradescope_bundle:
        out = gradescope.bundle(Path(args.assignment), Path(args.target), args.wheel)
        print(f"wrote {out}")
        return 0
    assignment = load_assignment(args.assignment)
    answers_path = Path(args.target)
    answers = load_answers(answers_path)
    submission_dir = Path(args.submission_dir) if args.submission_dir else answers_path.parent
    graded = grade_submission(assignment, answers, submission_dir)
    if args.format == "gradescope":
        data = gradescope.results(graded)
    elif args.format == "prairielearn":
        data = prairielearn.results(graded)
    else:
        data = graded.to_dict()
    text = json.dumps(data, indent=2)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    c = sub.add_parser("check", help="check a student's answer against the derived gradient")
    c.add_argument("program", help="e.g. 'z = W @ x + b; h = tanh(z); s = u.T @ h'")
    c.add_argument(
        "--var", action="append", metavar="NAME[=DIMS][:KIND]", help="W=n,m  x=m  lam  y=k:onehot"
    )
    c.add_argument("--data", action="append", metavar="NAMES", help="variables that are data")
    c.add_argument("--wrt", action="append", required=True, metavar="NAME")
    c.add_argument("--answer", required=True, help="e.g. 'delta @ x.T' or '\\delta x^T'")
    c.add_argument("--answer-format", choices=["expression", "latex"], default="expression")
    c.add_argument("--kind", choices=["gradient", "jacobian"], default="gradient")
    c.add_argument(
        "--define", action="append", metavar="NAME=EXPR", help="a name the answer may use"
    )
    c.add_argument("--reveal", action="store_true", help="show the expected answer when wrong")
    c.add_argument("--json", action="store_true", help="print the result dict as JSON")
    c.set_defaults(func=_check)

    g = sub.add_parser(
        "grade",
        help="grade a submission against an assignment (or write a Gradescope autograder zip)",
        description="chainrule grade assignment.toml answers.json --format json|gradescope|"
        "prairielearn;  chainrule grade --gradescope-bundle assignment.toml OUT.zip",
    )
    g.add_argument("assignment", help="the assignment TOML file")
    g.add_argument("target", help="the answers (JSON or TOML), or the zip to write")
    g.add_argument("--format", choices=["json", "gradescope", "prairielearn"], default="json")
    g.add_argument("--output", metavar="FILE", help="write the results here (default: stdout)")
    g.add_argument("--submission-dir", metavar="DIR", help="where NumPy answer files are")
    g.add_argument(
        "--gradescope-bundle", action="store_true", help="write an autograder zip to TARGET"
    )
    g.add_argument("--wheel", type=Path, help="a chainrule wheel to bundle (default: build one)")
    g.set_defaults(func=_grade)
