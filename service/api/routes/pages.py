"""Human-facing pages: the documentation site lives in ``site.py`` (landing page, entries,
op reference, problem-type pages...); this module is kept for pages outside the site."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
