"""Acceptance for textbook forms: no catalog entry's displayed result is over 1.5× the textbook."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "forms.py"


@pytest.fixture(scope="module")
def forms():
    spec = importlib.util.spec_from_file_location("bench_forms", BENCH)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def test_every_catalog_entry_has_a_textbook_form(forms) -> None:
    import tomllib

    from derivations.catalog.loader import catalog

    data = tomllib.loads(forms.DATA.read_text(encoding="utf-8"))
    assert set(data["catalog"]) == set(catalog())


def test_no_catalog_entry_is_longer_than_one_and_a_half_textbooks(forms) -> None:
    rows = forms.rows()
    too_long = [
        (n, o, b) for n, o, b, _ in rows if n.startswith("catalog:") and o > forms.LIMIT * b
    ]
    assert not too_long
    # The Cookbook identities and the rows are held to the same bar.
    assert all(o <= forms.LIMIT * b for n, o, b, _ in rows), [r[:3] for r in rows]
