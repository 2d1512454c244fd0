"""The documentation site, served: the same pages ``chainrule docs build`` writes as files.

Pages that derive (entries, the op reference, the Matrix Cookbook) are SymPy work, so they are
rendered by a worker, under the time limit, and kept afterwards: a page depends only on the
library version, so each is built once per process. The other pages and the assets are cheap
and rendered here. ``/render/*`` turn what ``/v1/derive`` and ``/v1/check`` returned into the
HTML the playground and the answer boxes show, so that math stays rendered on the server.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from derivations.site.builder import ASSETS, asset, render_page
from derivations.site.fragments import check_fragment, derivation_fragment

from ...deps import PoolDep
from ...problems import KINDS, Problem
from ._compute import compute_page

router = APIRouter(include_in_schema=False)

_MEDIA = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}


def _html(text: str) -> HTMLResponse:
    return HTMLResponse(text, headers={"Cache-Control": "public, max-age=300"})


async def _heavy(key: str, request: Request, pool: PoolDep) -> Response:
    pages: dict[str, bytes] | None = getattr(request.app.state, "site_pages", None)
    if pages is None:
        pages = request.app.state.site_pages = {}
    if key not in pages:
        pages[key] = await compute_page(key, pool)
    return HTMLResponse(pages[key], headers={"Cache-Control": "public, max-age=300"})


@router.get("/", response_class=HTMLResponse)
async def index() -> HTMLResponse:
    return _html(render_page("index", KINDS))


@router.get("/entries/{entry_id}", response_class=HTMLResponse)
async def entry(entry_id: str, request: Request, pool: PoolDep) -> Response:
    from derivations.catalog import list_entries

    if entry_id not in {e["id"] for e in list_entries()}:
        raise Problem(
            "not_found", f"no catalog entry with id {entry_id!r}", hint="see the index at /"
        )
    return await _heavy(f"entries/{entry_id}", request, pool)


@router.get("/ops", response_class=HTMLResponse)
async def ops(request: Request, pool: PoolDep) -> Response:
    return await _heavy("ops", request, pool)


@router.get("/cookbook", response_class=HTMLResponse)
async def cookbook(request: Request, pool: PoolDep) -> Response:
    return await _heavy("cookbook", request, pool)


@router.get("/verification", response_class=HTMLResponse)
async def verification() -> HTMLResponse:
    return _html(render_page("verification", KINDS))


@router.get("/playground", response_class=HTMLResponse)
async def playground() -> HTMLResponse:
    return _html(render_page("playground", KINDS))


@router.get("/problems", response_class=HTMLResponse)
async def problems() -> HTMLResponse:
    return _html(render_page("problems", KINDS))


@router.get("/problems/{slug}", response_class=HTMLResponse)
async def problem_type(slug: str) -> HTMLResponse:
    if slug.replace("-", "_") not in KINDS:
        raise Problem("not_found", f"no such problem type: {slug}", hint="see /problems")
    return _html(render_page(f"problems/{slug}", KINDS))


@router.get("/assets/{name}")
async def site_asset(name: str) -> Response:
    if name not in (*ASSETS, "search-index.js"):
        raise Problem("not_found", f"no such asset: {name}")
    media = _MEDIA[name[name.rindex(".") :]]
    return Response(asset(name), media_type=media, headers={"Cache-Control": "public, max-age=300"})


@router.get("/favicon.ico")
async def favicon() -> Response:
    """Browsers ask for /favicon.ico whatever a page links: answer with the site's SVG icon
    (every current browser draws an SVG favicon) rather than a 404 in the log."""
    return Response(
        asset("favicon.svg"),
        media_type=_MEDIA[".svg"],
        headers={"Cache-Control": "public, max-age=86400"},
    )


@router.post("/render/derivation", response_class=HTMLResponse)
async def render_derivation(body: dict[str, Any] = Body(...)) -> HTMLResponse:  # noqa: B008
    """The entry-page sections for a ``/v1/derive`` result (MathML rendered here)."""
    return HTMLResponse(await run_in_threadpool(derivation_fragment, body))


@router.post("/render/check", response_class=HTMLResponse)
async def render_check(body: dict[str, Any] = Body(...)) -> HTMLResponse:  # noqa: B008
    """The verdict of a ``/v1/check`` result with the answer re-rendered as MathML."""
    return HTMLResponse(await run_in_threadpool(check_fragment, body))
