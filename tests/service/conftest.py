"""Fixtures: apps whose workers run a fake handler, so service behaviour is tested in isolation.

Each client is a context manager so the lifespan starts (and later stops) the worker pool.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from service.main import create_app
from tests.service.svc_support import FAKE_HANDLER, fake_settings


@pytest.fixture(scope="module")
def fake_client() -> Iterator[TestClient]:
    app = create_app(fake_settings(), handler=FAKE_HANDLER)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
