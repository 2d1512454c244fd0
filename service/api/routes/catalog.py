"""GET /v1/catalog and /v1/catalog/{id}: the lecture's worked examples, ready to derive.

The list is cheap metadata and is served by the event loop. A full entry includes its verified
derivation, which is SymPy work, so it runs on a worker like /v1/derive (with the same time
limit, cache and ETag); an unknown id comes back from the library as a 404 problem.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from ...deps import CacheDep, PoolDep, SettingsDep
from ...schemas import CatalogEntry, CatalogSummary
from ._compute import PROBLEM_RESPONSES, compute

router = APIRouter(tags=["catalog"])

_SUMMARY_FIELDS = ("id", "title", "tags", "summary")


@router.get(
    "/v1/catalog",
    operation_id="list_catalog",
    response_model=list[CatalogSummary],
    summary="List the catalog of worked examples",
)
async def list_catalog(response: Response, settings: SettingsDep) -> list[dict[str, Any]]:
    """Every entry's id, title, tags and summary, sorted by id."""
    from derivations.catalog import list_entries

    response.headers["Cache-Control"] = f"public, max-age={settings.cache_max_age}"
    return [{k: entry.get(k) for k in _SUMMARY_FIELDS} for entry in list_entries()]


@router.get(
    "/v1/catalog/{entry_id}",
    operation_id="get_catalog_entry",
    response_model=CatalogEntry,
    responses={
        304: PROBLEM_RESPONSES[304],
        404: {"description": "No entry has this id"},
        422: PROBLEM_RESPONSES[422],
        503: PROBLEM_RESPONSES[503],
    },
    summary="One catalog entry in full, with its verified derivation",
)
async def get_catalog_entry(
    entry_id: str, request: Request, pool: PoolDep, cache: CacheDep, settings: SettingsDep
) -> Response:
    """The entry's fields (program, variables, notes...) merged with its derivation."""
    return await compute("catalog_entry", {"id": entry_id}, request, pool, cache, settings)
