"""Skip the tests that need ``derivations.api`` until the lead's derive/trace lands."""

from __future__ import annotations

import importlib.util

import pytest

HAS_API = importlib.util.find_spec("derivations.api") is not None
needs_api = pytest.mark.skipif(not HAS_API, reason="derivations.api (derive/trace) has not landed")
