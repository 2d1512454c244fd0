"""The catalog covers the whole lecture, and its entries are internally consistent."""

from __future__ import annotations

import importlib
import re

import pytest

from derivations.catalog import list_entries
from derivations.catalog.loader import catalog, find
from derivations.errors import ChainruleError
from derivations.language.elaborate import elaborate

REQUIRED = [
    "jacobian-elementwise", "affine-map", "score-inner-product", "one-hidden-layer",
    "nonlinearity-sigmoid", "nonlinearity-tanh", "nonlinearity-relu", "nonlinearity-leaky-relu",
    "nonlinearity-softplus", "nonlinearity-hard-tanh", "softmax", "log-softmax",
    "softmax-cross-entropy", "window-classifier", "gate-intuitions", "l2-regularization",
    "word2vec-naive-softmax", "word2vec-negative-sampling", "gradient-check", "init-uniform",
    "init-xavier", "optimizer-sgd", "optimizer-momentum", "optimizer-adagrad",
    "optimizer-rmsprop", "optimizer-adam", "optimizer-adamw", "schedule-step-decay",
    "schedule-exponential-decay",
    "schedule-cyclic",
]  # fmt: skip
ENTRIES = sorted(catalog())


def test_every_lecture_topic_has_an_entry() -> None:
    assert set(REQUIRED) <= set(ENTRIES)


def test_list_entries_rows() -> None:
    rows = list_entries()
    assert [r["id"] for r in rows] == ENTRIES
    for r in rows:
        assert set(r) == {"id", "title", "tags", "summary"} and r["tags"]


@pytest.mark.parametrize("entry_id", ENTRIES)
def test_program_elaborates(entry_id: str) -> None:
    entry = find(entry_id)
    elaborate(entry.program, dict(entry.variables))
    if entry.training is not None:
        program = entry.training.program or entry.program
        typed = elaborate(program, {**entry.variables, **entry.training.variables})
        assert typed.output.is_scalar, "a training loss must be a scalar"


@pytest.mark.parametrize("entry_id", [e for e in ENTRIES if find(e).technique is not None])
def test_technique_implementation_resolves(entry_id: str) -> None:
    module, _, attr = find(entry_id).technique.implementation.partition(":")
    assert callable(getattr(importlib.import_module(module), attr))


def test_unknown_id_suggests_the_nearest() -> None:
    with pytest.raises(ChainruleError) as info:
        find("sofmax")
    assert info.value.kind == "not_found"
    assert "'softmax'" in info.value.hint


def test_hard_tanh_is_expressed_with_max_and_min() -> None:
    assert "max(-1, min(1, z))" in find("nonlinearity-hard-tanh").program


def test_window_classifier_has_five_word_vectors() -> None:
    entry = find("window-classifier")
    words = ["x_museums", "x_in", "x_Paris", "x_are", "x_amazing"]
    assert all(entry.variables[w] == entry.variables["x_museums"] for w in words)
    assert set(words) <= set(entry.wrt)


def test_readme_catalog_tour_matches_the_catalog() -> None:
    """The README's tour gives the real entry count and names only real ids and optimizers."""
    from pathlib import Path

    from derivations.catalog.techniques.optimizers import OPTIMIZERS

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    tour = readme.split("## Catalog tour", 1)[1].split("\n## ", 1)[0]
    assert f"lists {len(ENTRIES)} entries" in tour
    named = set(re.findall(r"`([a-z0-9]+(?:-[a-z0-9]+)+)`", tour)) - {"train-code"}
    assert named <= set(ENTRIES), named - set(ENTRIES)
    words = ["one", "two", "three", "four", "five", "six", "seven", "eight"]
    assert f"{words[len(OPTIMIZERS) - 1]} optimizers" in tour
