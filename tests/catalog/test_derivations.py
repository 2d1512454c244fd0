"""Every entry derives and passes all three checks; worked examples reproduce their values."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from derivations.catalog import get_entry
from derivations.catalog.loader import catalog

from .conftest import needs_api

pytestmark = needs_api
ENTRIES = sorted(catalog())


def rel_err(a: np.ndarray, n: np.ndarray) -> float:
    a, n = np.asarray(a, dtype=np.float64), np.asarray(n, dtype=np.float64)
    return float(np.max(np.abs(a - n) / np.maximum(np.maximum(np.abs(a), np.abs(n)), 1e-12)))


def load_module(source: str, tmp_path: Path, name: str) -> ModuleType:
    path = tmp_path / f"{name}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("entry_id", ENTRIES)
def test_entry_derives_and_verifies(entry_id: str) -> None:
    entry = get_entry(entry_id, verify=True)
    assert entry["id"] == entry_id and entry["notes"]
    assert {d["wrt"] for d in entry["derivatives"]} == set(entry["wrt"])
    checks = entry["verification"]["checks"]
    methods = {c["method"] for c in checks}
    assert {"finite_differences", "backprop_engine", "exact_componentwise"} <= methods
    for c in checks:
        assert c["skipped"] or c["passed"], (entry_id, c)
    assert entry["verification"]["passed"] is True


def test_gate_example_values_from_trace() -> None:
    entry = get_entry("gate-intuitions")
    trace = entry["trace"]
    expect = entry["trace_expect"]
    assert rel_err(trace["value"], expect["value"]) < 1e-12
    assert rel_err(trace["value"], 6.0) < 1e-12
    for name, value in {"x": 2.0, "y": 5.0, "z": 0.0}.items():
        assert expect["gradients"][name] == value
        assert abs(float(np.asarray(trace["gradients"][name])) - value) < 1e-12


def test_softmax_cross_entropy_gradient_is_prediction_minus_label(tmp_path: Path) -> None:
    entry = get_entry("softmax-cross-entropy", verify=False)
    module = load_module(entry["code"]["numpy"], tmp_path, "ce_derived")
    rng = np.random.default_rng(0)
    z = rng.normal(size=6)
    y = np.eye(6)[2]
    value, grads = module.value_and_grad(z=z, y=y)
    p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    assert rel_err(value, -np.log(p[2])) < 1e-12
    assert rel_err(grads["z"], p - y) < 1e-10


def test_window_gradient_splits_into_word_blocks(tmp_path: Path) -> None:
    entry = get_entry("window-classifier", verify=False)
    module = load_module(entry["code"]["numpy"], tmp_path, "window_derived")
    rng = np.random.default_rng(1)
    words = ["x_museums", "x_in", "x_Paris", "x_are", "x_amazing"]
    values = {w: rng.normal(size=4) for w in words}
    values |= {"W": rng.normal(size=(3, 20)), "b": rng.normal(size=3), "u": rng.normal(size=3)}
    _, grads = module.value_and_grad(**values)
    x = np.concatenate([values[w] for w in words])
    delta = values["u"] * (1 - np.tanh(values["W"] @ x + values["b"]) ** 2)
    window_grad = values["W"].T @ delta
    for k, w in enumerate(words):
        assert rel_err(grads[w], window_grad[4 * k : 4 * k + 4]) < 1e-10


def test_one_hidden_layer_reuses_delta(tmp_path: Path) -> None:
    entry = get_entry("one-hidden-layer", verify=False)
    module = load_module(entry["code"]["numpy"], tmp_path, "net_derived")
    v = {k: np.asarray(val, dtype=np.float64) for k, val in entry["trace_at"].items()}
    _, grads = module.value_and_grad(**v)
    delta = v["u"] * (1 - np.tanh(v["W"] @ v["x"] + v["b"]) ** 2)
    assert rel_err(grads["b"], delta) < 1e-12
    assert rel_err(grads["W"], np.outer(delta, v["x"])) < 1e-12
    assert rel_err(grads["x"], v["W"].T @ delta) < 1e-12
    assert rel_err(grads["u"], np.tanh(v["W"] @ v["x"] + v["b"])) < 1e-12
