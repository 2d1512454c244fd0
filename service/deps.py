"""Typed dependencies that hand routes the app's shared state.

They are ``async`` on purpose: FastAPI runs plain ``def`` dependencies in a thread pool, which
would cost a thread hop on every request, including cached ones.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from .cache import ResponseCache
from .settings import Settings
from .workers import WorkerPool


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_pool(request: Request) -> WorkerPool:
    return request.app.state.pool


async def get_cache(request: Request) -> ResponseCache:
    return request.app.state.cache


SettingsDep = Annotated[Settings, Depends(get_settings)]
PoolDep = Annotated[WorkerPool, Depends(get_pool)]
CacheDep = Annotated[ResponseCache, Depends(get_cache)]
