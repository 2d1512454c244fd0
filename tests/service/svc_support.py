"""Helpers shared by the service tests (settings for apps whose workers run fake_tasks)."""

from __future__ import annotations

from service.settings import Settings

FAKE_HANDLER = "tests.service.fake_tasks:run"


def fake_settings(**overrides: object) -> Settings:
    base: dict[str, object] = {
        "workers": 2,
        "time_limit_seconds": 0.5,
        "queue_timeout_seconds": 10,
        "max_body_bytes": 4096,
        "max_trace_numbers": 20,
        "cache_size": 16,
        "max_depth": 7,
        "client_concurrency": 8,  # one TestClient is one client; tests of the cap set it
    }
    base.update(overrides)
    return Settings(**base)  # type: ignore[arg-type]
