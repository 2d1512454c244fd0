"""One static build per test session, shared by the build tests and the browser tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from derivations.site.builder import build_site
from service.problems import KINDS


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("site")
    return out, build_site(out, KINDS)
