"""The shape of one verification check in the result, shared by every check."""

from __future__ import annotations

from typing import Any


def skipped(method: str, sizes: dict[str, int], why: str, **extra: Any) -> dict[str, Any]:
    """A check that could not run (or finish): it fails nothing, and says why."""
    return {
        "method": method,
        "passed": True,
        "skipped": True,
        "max_rel_error": None,
        "sizes": sizes,
        "detail": why,
        **extra,
    }
