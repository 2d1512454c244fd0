"""The ``catalog`` and ``train-code`` subcommands, called through ``derivations.cli.main``."""

from __future__ import annotations

import json

import pytest

from derivations.cli import main

from .conftest import needs_api


def test_catalog_lists_entries(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog"]) == 0
    out = capsys.readouterr().out
    assert "window-classifier" in out and "Gradients with respect to words" in out
    assert "[nonlinearity, elementwise, jacobian]" in out


def test_catalog_lists_entries_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    ids = [r["id"] for r in rows]
    assert "gate-intuitions" in ids and set(rows[0]) == {"id", "title", "tags", "summary"}


def test_unknown_entry_exits_2_with_hint(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog", "gate-intuition"]) == 2
    err = capsys.readouterr().err
    assert "no catalog entry" in err and "did you mean 'gate-intuitions'?" in err


@needs_api
def test_catalog_entry_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog", "gate-intuitions"]) == 0
    out = capsys.readouterr().out
    assert "Gate intuitions" in out and "notes:" in out and "verification: passed=True" in out
    assert "value 6" in out


@needs_api
def test_catalog_entry_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog", "optimizer-adam", "--json"]) == 0
    entry = json.loads(capsys.readouterr().out)
    assert entry["id"] == "optimizer-adam" and "derivatives" in entry
    assert entry["technique"]["implementation"].endswith(":Adam")


@needs_api
def test_train_code_prints_a_script(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["train-code", "window-classifier", "--optimizer", "rmsprop", "--schedule", "cyclic"]
    assert main([*argv, "--l2", "0.01", "--epochs", "3", "--seed", "7"]) == 0
    out = capsys.readouterr().out
    assert "def value_and_grad" in out and "class RMSprop" in out
    assert "EPOCHS = 3" in out and "SEED = 7" in out and "schedule = cyclic_triangular" in out


def test_train_code_rejects_unknown_optimizer(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["train-code", "window-classifier", "--optimizer", "lion"])
    assert "invalid choice" in capsys.readouterr().err
