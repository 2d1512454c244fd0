"""Human-facing pages: the landing page and one page per problem type (outside the API schema)."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from ...problems import KINDS, Problem, type_uri

router = APIRouter(include_in_schema=False)

_LANDING = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>chainrule</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;line-height:1.5}</style>
</head><body>
<h1>chainrule</h1>
<p>Symbolic matrix calculus, CS224N lecture 4: gradients by hand and by backpropagation,
with textbook LaTeX, NumPy code and three-way verification.</p>
<ul>
<li><a href="/docs">Interactive API documentation</a></li>
<li><a href="/openapi.json">OpenAPI document</a></li>
<li><a href="/v1/catalog">Catalog of worked examples</a></li>
<li><a href="/healthz">Health</a></li>
</ul>
<p>Try: <code>POST /v1/derive</code> with
<code>{"expression": "z = W @ x + b; h = tanh(z); s = u.T @ h",
"variables": {"W": ["n","m"], "x": ["m"], "b": ["n"], "u": ["n"]}}</code></p>
</body></html>
"""


@router.get("/", response_class=HTMLResponse)
async def landing() -> str:
    return _LANDING


@router.get("/problems/{slug}", response_class=HTMLResponse)
async def problem_type(slug: str) -> str:
    kind = slug.replace("-", "_")
    if kind not in KINDS:
        raise Problem("not_found", f"no such problem type: {slug}")
    status, title, meaning = KINDS[kind]
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title></head>"
        f"<body><h1>{escape(title)}</h1><p><code>{escape(type_uri(kind))}</code>, HTTP {status}</p>"
        f"<p>{escape(meaning)}</p><p><a href='/docs'>API documentation</a></p></body></html>"
    )
