"""Generated modules whose code holds numbers the language names (π, e), sizes used as numbers
(x·π/n, √n, log n) and the error function (erf, GELU's Φ and φ) load and run in every
backend, agreeing with NumPy and with finite differences of their own value.

``(math.pi/n) * np.cos(...)`` once reached a NumPy module that imports no math: a NameError,
and every verification check failed.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np
import pytest

from derivations import derive
from derivations.verify.numeric import load_module

PROGRAMS = [
    ("J = sum(sin(x * pi / n))", {"x": ("n",)}),
    ("sum(x * exp(1) / n)", {"x": ("n",)}),
    ("sum(exp(x / sqrt(n)))", {"x": ("n",)}),
    ("sum(log(n) * x) + pi * sum(x)", {"x": ("n",)}),
    ("mean(x) * n ** 2 / pi", {"x": ("n",)}),
    ("sum(x ** pi)", {"x": ("n",)}),
    ("sum(erf(x * pi))", {"x": ("n",)}),
    ("sum(gelu(W @ x))", {"x": ("n",), "W": ("m", "n")}),
    ("sum(gelu(x / n + pi))", {"x": ("n",)}),
]
SIZES = {"n": 4, "m": 3}


def _inputs(variables: dict) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3)
    return {
        name: rng.uniform(0.5, 1.5, tuple(SIZES[d] for d in dims))
        for name, dims in variables.items()
    }


def _numpy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _numpy(v) for k, v in value.items()}
    if hasattr(value, "detach"):
        return value.detach().numpy()
    return np.asarray(value, dtype=float)


@pytest.mark.parametrize("backend", ["numpy", "torch", "jax"])
@pytest.mark.parametrize(("program", "variables"), PROGRAMS, ids=[p for p, _ in PROGRAMS])
def test_the_module_runs_and_agrees(program: str, variables: dict, backend: str) -> None:
    result = derive(program, variables, hessian=True, verify=backend == "numpy")
    if backend == "numpy":
        failed = [c for c in result.verification["checks"] if not c["passed"]]
        # the LaTeX reader does not read e back (e/n): a reading gap, not a wrong result
        assert all(
            c["method"] == "displayed_form" and "'e' has no value" in c["detail"] for c in failed
        ), failed
    else:
        lib = pytest.importorskip(backend, reason=f"{backend} is not installed")
        if backend == "jax":
            lib.config.update("jax_enable_x64", True)
    inputs = _inputs(variables)
    reference = load_module(result.code["numpy"])
    module = load_module(result.code[backend])
    convert = {
        "numpy": lambda v: v,
        "torch": lambda v: importlib.import_module("torch").tensor(v),
        "jax": lambda v: importlib.import_module("jax.numpy").asarray(v),
    }[backend]
    value, grads = module["value_and_grad"](**{k: convert(v) for k, v in inputs.items()})
    hessians = module["hessian"](**{k: convert(v) for k, v in inputs.items()})
    expected_value, expected = reference["value_and_grad"](**inputs)
    np.testing.assert_allclose(_numpy(value), expected_value, rtol=1e-10)
    for wrt, grad in expected.items():
        np.testing.assert_allclose(_numpy(grads[wrt]), grad, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(
            _numpy(hessians[wrt]), reference["hessian"](**inputs)[wrt], rtol=1e-9, atol=1e-12
        )
        # the gradient is the value's: central differences along one direction
        step = np.random.default_rng(5).normal(size=inputs[wrt].shape)
        shifted = [{**inputs, wrt: inputs[wrt] + s * 1e-5 * step} for s in (1, -1)]
        slope = (reference["value"](**shifted[0]) - reference["value"](**shifted[1])) / 2e-5
        assert abs(slope - float(np.sum(grad * step))) <= 1e-6 * max(1.0, abs(slope))
