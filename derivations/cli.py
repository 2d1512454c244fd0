"""The ``chainrule`` command line: derive, trace, catalog, train-code, check, grade.

Subcommands register themselves on the parser built here; ``service/cli.py`` adds ``serve`` and
``openapi`` on top (the library never imports the service). Bad input exits with status 2 and
the error's message; the library's ``ChainruleError`` carries the position and hint.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Sequence

from .errors import ChainruleError

Handler = Callable[[argparse.Namespace], int]


def parse_var(text: str) -> tuple[str, list[str]]:
    """``W=n,m`` -> ("W", ["n", "m"]); ``lam`` -> ("lam", []) declares a scalar."""
    name, _, dims = text.partition("=")
    name = name.strip()
    shape = [d.strip() for d in dims.split(",") if d.strip()] if dims else []
    return name, shape


def parse_declaration(text: str) -> tuple[str, list[str], str | None]:
    """``y=k:onehot`` -> ("y", ["k"], "onehot"); without ``:KIND`` the kind is None."""
    declared, colon, kind = text.partition(":")
    name, shape = parse_var(declared)
    return name, shape, (kind.strip() if colon else None)


def _names(items: Sequence[str] | None) -> list[str]:
    return [n.strip() for item in items or [] for n in item.split(",") if n.strip()]


def _declarations(
    items: Sequence[str] | None, data: Sequence[str] | None = None
) -> dict[str, object]:
    """--var NAME[=DIMS][:KIND] and --data NAMES as the library's declarations."""
    out: dict[str, object] = {}
    kinds: dict[str, str] = {}
    classes: dict[str, str] = {}
    axes: dict[str, object] = {}
    for item in items or []:
        name, shape, kind = parse_declaration(item)
        if name in out:
            raise ChainruleError(
                "declaration", f"variable {name!r} is declared twice", hint="give each --var once"
            )
        out[name] = shape
        if kind is not None:
            kinds[name] = kind
            label = _LABEL.fullmatch(kind)
            if label:  # y:label(k), a class index among k
                kinds[name] = "label"
                classes[name] = label.group(1).strip()
            along = _ALONG.fullmatch(kind)
            if along:  # Y=T,c:onehot(axis=1), a matrix one-hot along an axis
                kinds[name] = along.group(1)
                axes[name] = _axis_text(name, along.group(2))
    roles = _names(data)
    for name in roles:
        if name not in out:
            raise ChainruleError(
                "declaration",
                f"--data names {name!r}, which no --var declares",
                hint=f"declare it too, e.g. --var {name}=n",
            )
    for name in [*kinds, *(n for n in roles if n not in kinds)]:
        declaration: dict[str, object] = {"shape": out[name]}
        if name in kinds:
            declaration["kind"] = kinds[name]
        if name in classes:
            declaration["classes"] = classes[name]
        if name in axes:
            declaration["axis"] = axes[name]
        if name in roles:
            declaration["role"] = "data"
        out[name] = declaration
    return out


_LABEL = re.compile(r"label\(([^()]*)\)")
# A kind along an axis: onehot(axis=1), probability(axis=0) (the axis as softmax's).
_ALONG = re.compile(r"([a-z]+)\(\s*axis\s*=([^()]*)\)")


def _axis_text(name: str, text: str) -> object:
    """The axis as written: an integer when it is one (the declaration then checks 0 or 1)."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()):
        raise ChainruleError(
            "declaration",
            f"the axis of {name!r} is {text!r}, not 0 or 1",
            hint=f"e.g. --var {name}=T,c:onehot(axis=1) (every row one-hot) or axis=0 (every column)",
        )
    return int(text) if len(text) <= 12 else text


_VAR_HELP = (
    "declare a variable: W=n,m  x=m  lam  (with a kind: y=k:onehot, A=n,n:symmetric,"
    " Y=T,c:onehot(axis=1) for one-hot rows; a class index: y:label(k))"
)
_DATA_HELP = "variables that are data (x,y): not differentiated unless named by --wrt"


def _derive(args: argparse.Namespace) -> int:
    from .api import derive

    result = derive(
        args.program,
        _declarations(args.var, args.data),
        wrt=args.wrt or None,
        hessian=args.hessian,
        verify=not args.no_verify,
    )
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    elif args.latex:
        print(result.latex_document())
    elif args.code:
        print(result.code[args.code])
    else:
        print(result.text())
    return 0 if result.verification_passed in (True, None) else 1


def _trace(args: argparse.Namespace) -> int:
    from .api import trace

    values: dict[str, object] = {}
    for item in args.at or []:
        name, _, raw = item.partition("=")
        if name.strip() in values:
            raise ChainruleError(
                "value", f"{name.strip()!r} is given twice with --at", hint="give each value once"
            )
        try:
            values[name.strip()] = json.loads(raw)
        except ValueError:  # JSONDecodeError, or an integer of more than 4300 digits
            raise ChainruleError(
                "value",
                f"the value of {name.strip()!r} is not a number or a JSON array: {raw!r}",
                hint="write --at x=1 or --at W='[[1,2],[3,4]]'",
            ) from None
    result = trace(args.program, _declarations(args.var, args.data), values)
    if args.svg:
        from pathlib import Path

        from .site.graph_svg import graph_svg

        Path(args.svg).write_text(graph_svg(result.to_dict(), args.program), encoding="utf-8")
    print(json.dumps(result.to_dict(), indent=2) if args.json else result.table())
    return 0


def build_parser() -> tuple[argparse.ArgumentParser, argparse._SubParsersAction]:
    parser = argparse.ArgumentParser(
        prog="chainrule",
        description="Matrix-calculus derivations with chain-rule steps, verified three ways.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    d = sub.add_parser("derive", help="derive gradients, Jacobians and Hessians of a program")
    d.add_argument("program", help="e.g. 'z = W @ x + b; h = tanh(z); s = u.T @ h'")
    d.add_argument("--var", action="append", metavar="NAME[=DIMS][:KIND]", help=_VAR_HELP)
    d.add_argument("--data", action="append", metavar="NAMES", help=_DATA_HELP)
    d.add_argument(
        "--wrt",
        action="append",
        metavar="NAME",
        help="differentiate by NAME (default: every variable not declared as data)",
    )
    d.add_argument("--hessian", action="store_true", help="also derive Hessians of a scalar output")
    d.add_argument("--no-verify", action="store_true", help="skip the numeric and exact checks")
    fmt = d.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print the result dict as JSON")
    fmt.add_argument("--latex", action="store_true", help="print a LaTeX document")
    fmt.add_argument(
        "--code",
        nargs="?",
        const="numpy",
        choices=("numpy", "torch", "jax"),
        help="print the generated module: numpy (the default), torch or jax",
    )
    d.set_defaults(func=_derive)

    t = sub.add_parser("trace", help="run forward and backward passes and show every node")
    t.add_argument("program")
    t.add_argument("--var", action="append", metavar="NAME[=DIMS][:KIND]", help=_VAR_HELP)
    t.add_argument("--data", action="append", metavar="NAMES", help=_DATA_HELP)
    t.add_argument("--at", action="append", metavar="NAME=VALUE", help="x=1 or W='[[1,2],[3,4]]'")
    t.add_argument("--json", action="store_true")
    t.add_argument("--svg", metavar="FILE", help="also write the computation graph as SVG")
    t.set_defaults(func=_trace)

    from .catalog.commands import register as register_catalog

    register_catalog(sub)
    from .grading.commands import register as register_grading

    register_grading(sub)
    return parser, sub


def run(parser: argparse.ArgumentParser, argv: Sequence[str] | None = None) -> int:
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ChainruleError as exc:
        if getattr(args, "json", False):  # a script reading --json gets the problem as JSON
            print(json.dumps(exc.to_problem(), indent=2))
        else:
            print(str(exc), file=sys.stderr)
        return 2
    except BrokenPipeError:  # `chainrule ... | head`: the reader left, which is not an error
        sys.stderr.close()
        return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser, _ = build_parser()
    return run(parser, argv)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
