"""Build the site: every page by key, written as files (``build_site``) or served (``render_page``).

Page keys are paths without an extension: ``index``, ``entries/<id>``, ``ops``, ``cookbook``,
``verification``, ``problems``, ``problems/<slug>``, ``playground``. The static build writes
``<key>.html`` (``problems/index.html`` for the error index) with relative links, plus the
assets and the search index. Pages are rendered in a fixed order from cached derivations and
contain no time, path or random value, so two builds give the same bytes.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Any

from ..catalog.loader import catalog, entry_fields
from ..errors import ChainruleError
from .cookbook import cookbook_page
from .data import entry_data, entry_ids
from .entry_page import entry_page
from .index_page import index_page, search_index
from .misc_pages import (
    ProblemKinds,
    playground_page,
    problem_page,
    problems_index,
    slug,
    verification_page,
)
from .ops import ops_page
from .templates import Links

ASSETS = ("site.css", "site.js", "favicon.svg")
FIXED = ("index", "ops", "cookbook", "verification", "playground", "problems")


def page_keys(kinds: ProblemKinds) -> list[str]:
    """Every page of the site, in build order."""
    return [
        *FIXED,
        *(f"entries/{e}" for e in entry_ids()),
        *(f"problems/{slug(k)}" for k in sorted(kinds)),
    ]


def _entries_summary() -> list[dict[str, Any]]:
    """The entries' own fields (no derivation: the index and the search index are cheap)."""
    return [entry_fields(e) for e in catalog().values()]


@functools.cache
def _cached_heavy(key: str, static: bool) -> str:
    links = Links(static).at(key)
    if key == "ops":
        return ops_page(links)
    if key == "cookbook":
        return cookbook_page(links)
    return entry_page(entry_data(key.removeprefix("entries/")), links)


def render_page(key: str, kinds: ProblemKinds, static: bool = False) -> str:
    """The HTML of one page; an unknown key is a ``not_found`` error."""
    links = Links(static).at(key)
    if key == "index":
        return index_page(_entries_summary(), links)
    if key in ("ops", "cookbook"):
        return _cached_heavy(key, static)
    if key == "verification":
        return verification_page(links)
    if key == "playground":
        return playground_page(links)
    if key == "problems":
        return problems_index(kinds, links)
    if key.startswith("problems/"):
        kind = key.removeprefix("problems/").replace("-", "_")
        if kind in kinds:
            return problem_page(kind, kinds, links)
    if key.startswith("entries/") and key.removeprefix("entries/") in entry_ids():
        return _cached_heavy(key, static)
    raise ChainruleError("not_found", f"no such page: /{key}", hint="start from the index at /")


def asset(name: str) -> str:
    """A static asset's text (``site.css``, ``site.js``, or the generated search index)."""
    if name == "search-index.js":
        extra = [
            {"key": "ops", "title": "Op reference", "text": "operators functions derivative rules"},
            {"key": "cookbook", "title": "Matrix Cookbook", "text": "identities determinant inverse trace quadratic norm"},
            {"key": "verification", "title": "Three-way verification", "text": "finite differences engine exact sympy"},
        ]  # fmt: skip
        return search_index(_entries_summary(), extra)
    if name not in ASSETS:
        raise ChainruleError("not_found", f"no such asset: {name}", hint="see /assets/site.css")
    return resources.files(__package__).joinpath("assets", name).read_text(encoding="utf-8")


def static_path(key: str) -> str:
    return "problems/index.html" if key == "problems" else key + ".html"


def build_site(out: Path | str, kinds: ProblemKinds) -> dict[str, Any]:
    """Write the static site into ``out``; returns the pages written and their sizes."""
    out = Path(out)
    files: dict[str, str] = {f"assets/{n}": asset(n) for n in (*ASSETS, "search-index.js")}
    for key in page_keys(kinds):
        files[static_path(key)] = render_page(key, kinds, static=True)
    sizes = {}
    for rel, text in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode("utf-8")
        path.write_bytes(data)
        sizes[rel] = len(data)
    return {"out": str(out), "files": sizes}
