"""Swagger UI at /docs and ReDoc at /redoc, with every asset served by the service itself.

FastAPI's default pages load their JavaScript, CSS and favicon from a CDN (ReDoc also loads
Google Fonts), so offline they are blank. This is FastAPI's documented self-hosting recipe
("Custom Docs UI Static Assets") with the assets of ``fastapi-offline``, a small, maintained
package that vendors current Swagger UI and ReDoc builds. Swagger UI's online validator badge
is switched off (``validatorUrl: null``): it would contact validator.swagger.io.

The vendored ReDoc bundle still hard-codes one off-host image (its "Redocly" logo from
cdn.redoc.ly, with no option to turn it off), so both pages are sent with a Content-Security-
Policy that allows this host only: the browser never makes such a request, and ReDoc hides the
image when it fails to load. Inline scripts, ``eval`` (ajv in ReDoc), ``data:`` and ``blob:``
(ReDoc's search worker) stay allowed, as the pages worked before.
"""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_URL = "/static/docs"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"

router = APIRouter(include_in_schema=False)

SAME_HOST_ONLY = "default-src 'self' 'unsafe-inline' 'unsafe-eval' data: blob:"


def _same_host_only(page: HTMLResponse) -> HTMLResponse:
    """Forbid the browser every other host, whatever a vendored bundle hard-codes."""
    page.headers["Content-Security-Policy"] = SAME_HOST_ONLY
    return page


def _assets_dir() -> str:
    return str(resources.files("fastapi_offline") / "static")


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    page = get_swagger_ui_html(
        openapi_url=f"{root}{request.app.openapi_url}",
        title=f"{request.app.title} - Swagger UI",
        swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
        oauth2_redirect_url=f"{root}{OAUTH2_REDIRECT_URL}",
        swagger_ui_parameters={"validatorUrl": None},
    )
    return _same_host_only(page)


@router.get(OAUTH2_REDIRECT_URL)
async def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    page = get_redoc_html(
        openapi_url=f"{root}{request.app.openapi_url}",
        title=f"{request.app.title} - ReDoc",
        redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
        redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
        with_google_fonts=False,
    )
    return _same_host_only(page)


def install(app: FastAPI) -> None:
    """Add the pages and mount the vendored assets (create the app with ``docs_url=None``)."""
    app.include_router(router)
    app.mount(ASSETS_URL, StaticFiles(directory=_assets_dir()), name="docs-assets")
