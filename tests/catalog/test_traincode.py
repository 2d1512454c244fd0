"""Generated training scripts are self-contained, run, and learn with every optimizer."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from derivations.catalog.traincode import generate
from derivations.errors import ChainruleError

from .conftest import needs_api

pytestmark = needs_api
LOSS = re.compile(r"^epoch (\d+) loss (\S+)$")


def run(script: str, tmp_path: Path) -> list[float]:
    path = tmp_path / "train.py"
    path.write_text(script, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, timeout=600, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    losses = []
    for line in done.stdout.splitlines():
        m = LOSS.match(line)
        assert m, f"unexpected output line {line!r}"
        assert int(m.group(1)) == len(losses)
        losses.append(float(m.group(2)))
    return losses


def imported_modules(script: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(script)):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add((node.module or "").split(".")[0])
    return names


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adagrad", "rmsprop", "adam", "adamw"])
def test_every_optimizer_learns(optimizer: str, tmp_path: Path) -> None:
    script = generate("softmax-cross-entropy", optimizer=optimizer, epochs=8)
    assert imported_modules(script) <= {"numpy", "__future__"}
    losses = run(script, tmp_path)
    assert len(losses) == 9
    assert losses[-1] < 0.8 * losses[0], losses


def test_window_classifier_with_adam_halves_its_loss(tmp_path: Path) -> None:
    losses = run(generate("window-classifier", optimizer="adam"), tmp_path)
    assert len(losses) == 31
    assert losses[-1] < 0.5 * losses[0], losses


@pytest.mark.parametrize("schedule", ["step", "exponential", "cyclic"])
def test_schedules_and_l2_run_and_learn(schedule: str, tmp_path: Path) -> None:
    script = generate(
        "one-hidden-layer", optimizer="momentum", schedule=schedule, l2=1e-3, epochs=6
    )
    assert "L2 = 0.001" in script
    losses = run(script, tmp_path)
    assert losses[-1] < losses[0], losses


def test_same_seed_same_run(tmp_path: Path) -> None:
    script = generate("softmax-cross-entropy", optimizer="sgd", epochs=2, seed=3)
    assert run(script, tmp_path) == run(script, tmp_path)


def test_entry_without_training_is_a_clear_error() -> None:
    with pytest.raises(ChainruleError) as info:
        generate("softmax", optimizer="adam")
    assert info.value.kind == "value"
    assert "window-classifier" in info.value.hint


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"optimizer": "lion"}, "optimizer"),
        ({"schedule": "warmup"}, "schedule"),
        ({"l2": -1.0}, "L2"),
        ({"epochs": 0}, "epochs"),
        ({"lr": 0.0}, "learning rate"),
    ],
)
def test_bad_options_are_clear_errors(kwargs: dict, word: str) -> None:
    with pytest.raises(ChainruleError) as info:
        generate("window-classifier", **kwargs)
    assert word in info.value.message and info.value.hint


def test_adamw_script_carries_adam_and_leaves_biases_undecayed(tmp_path: Path) -> None:
    script = generate("optimizer-adamw", epochs=3)  # the entry trains with its own optimizer
    assert "class Adam:" in script and "class AdamW(Adam):" in script
    assert (
        "OPT_ARGS = {'exclude': BIASES, 'weight_decay': 0.01}" in script
        and "AdamW(**OPT_ARGS)" in script
    )
    assert len(run(script, tmp_path)) == 4
    assert "OPT_ARGS = {}" in generate("optimizer-adam", epochs=1)


def test_adamw_weight_decay_is_an_option(tmp_path: Path) -> None:
    script = generate("window-classifier", optimizer="adamw", weight_decay=0.1, epochs=2)
    assert "OPT_ARGS = {'exclude': BIASES, 'weight_decay': 0.1}" in script
    assert "--weight-decay 0.1" in script and len(run(script, tmp_path)) == 3


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"optimizer": "adam", "weight_decay": 0.1}, ["--weight-decay", "AdamW"]),
        ({"optimizer": "sgd", "weight_decay": 0.0}, ["--weight-decay", "AdamW"]),
        ({"optimizer": "adamw", "l2": 0.01}, ["--l2", "adamw"]),
        ({"optimizer": "adamw", "weight_decay": -1.0}, ["weight decay"]),
        ({"optimizer": "adamw", "weight_decay": float("nan")}, ["weight decay"]),
    ],
)
def test_weight_decay_and_l2_conflicts_are_refused(kwargs: dict, words: list[str]) -> None:
    with pytest.raises(ChainruleError) as info:
        generate("window-classifier", **kwargs)
    for word in words:
        assert word in info.value.message
    assert info.value.kind == "value" and info.value.hint
    if "l2" in kwargs:
        assert "--weight-decay" in info.value.hint
