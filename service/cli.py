"""The ``chainrule`` console script: the library's commands plus ``serve`` and ``openapi``.

The library's CLI never imports the service; this module extends its parser instead, so one
``chainrule`` command covers both.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from derivations.cli import build_parser, run


def _serve(args: argparse.Namespace) -> int:
    from .main import create_app
    from .server import Server, config
    from .settings import Settings

    overrides = {"workers": args.workers} if args.workers else {}
    settings = Settings(**overrides)
    app = create_app(settings)
    Server(config(app, args.host, args.port, settings.header_timeout_seconds)).run()
    return 0


def _openapi(args: argparse.Namespace) -> int:
    from .main import app

    print(openapi_json(app.openapi()))
    return 0


def _docs_build(args: argparse.Namespace) -> int:
    import time
    from pathlib import Path

    from derivations.site.builder import build_site

    from .problems import KINDS

    started = time.monotonic()
    result = build_site(Path(args.out), KINDS)
    files = result["files"]
    pages = [k for k in files if k.endswith(".html")]
    print(
        f"wrote {len(pages)} pages and {len(files) - len(pages)} assets "
        f"({sum(files.values()) / 1024:.0f} KiB) to {args.out} in {time.monotonic() - started:.1f} s; "
        f"open {Path(args.out) / 'index.html'}"
    )
    return 0


def openapi_json(document: dict) -> str:
    """The committed form of the OpenAPI document (``openapi/openapi.json``)."""
    return json.dumps(document, sort_keys=True, indent=2)


def build_service_parser() -> argparse.ArgumentParser:
    parser, sub = build_parser()
    serve = sub.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host", default="127.0.0.1", help="interface to bind (default: loopback)")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers", type=int, default=None, help="derivation worker processes (CHAINRULE_WORKERS)"
    )
    serve.set_defaults(func=_serve)
    spec = sub.add_parser("openapi", help="print the service's OpenAPI document as JSON")
    spec.set_defaults(func=_openapi)
    docs = sub.add_parser("docs", help="the documentation site")
    docs_sub = docs.add_subparsers(dest="docs_command", required=True, metavar="ACTION")
    build = docs_sub.add_parser(
        "build", help="derive, verify and render every page into OUT (works from file://)"
    )
    build.add_argument("out", metavar="OUT", help="the folder to write (created if missing)")
    build.set_defaults(func=_docs_build)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    return run(build_service_parser(), argv)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
