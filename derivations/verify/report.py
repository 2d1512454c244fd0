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


def failed(method: str, sizes: dict[str, int], why: str, **extra: Any) -> dict[str, Any]:
    """A check that ran into an error or a mismatch it can only describe in words."""
    return {
        "method": method,
        "passed": False,
        "skipped": False,
        "max_rel_error": None,
        "sizes": sizes,
        "detail": why,
        **extra,
    }
