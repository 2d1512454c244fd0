"""The PyTorch and JAX modules: the same functions as the NumPy module, held to it and to the
framework's own autodiff (``torch.autograd``, ``jax.grad``) on every op program, the catalog's
derivations and random programs.

PyTorch is never a dependency of chainrule: ``tests/conftest.py`` says where CI finds the pinned
CPU build; without it these tests say they are skipped.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from derivations import derive
from derivations.printing.backends import BACKENDS
from derivations.verify.numeric import load_module, rel_error
from derivations.verify.sampling import choose_sizes, draw_inputs
from tests.calculus.test_random_programs import VARIABLES, scalars
from tests.op_programs import NODE_PROGRAMS, USER_PROGRAMS

torch = pytest.importorskip("torch", reason="PyTorch is not installed (see the module docstring)")
jax = pytest.importorskip("jax", reason="jax is in the test extra")
jax.config.update("jax_enable_x64", True)  # float64, as every numeric check here

TOLERANCE = 1e-9


def test_the_backends_spell_the_same_operations() -> None:
    numpy_ops = set(BACKENDS["numpy"].calls)
    for backend in BACKENDS.values():
        assert set(backend.calls) == numpy_ops, backend.name
        assert set(BACKENDS["numpy"].helpers) <= set(backend.helpers), backend.name


def _prepared(program: str, variables: dict, hessian: bool) -> tuple[Any, dict, dict]:
    result = derive(program, variables, hessian=hessian, verify=False)
    numpy_module = load_module(result.code["numpy"])
    derivation = result.derivation
    sizes = choose_sizes(derivation.program)
    inputs, why = draw_inputs(
        derivation.program, sizes, np.random.default_rng(1), numpy_module["value"]
    )
    if inputs is None:
        pytest.skip(f"no inputs could be drawn: {why}")
    return result, numpy_module, inputs


def _close(a: Any, b: Any, what: str) -> None:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape, (what, a.shape, b.shape)
    err, where = rel_error(a, b)
    assert err <= TOLERANCE, (what, err, where)


def _to_numpy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _to_numpy(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(_to_numpy(v) for v in value)
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def _same_as_numpy(
    result: Any, numpy_module: dict, module: dict, inputs: dict, backend: str
) -> None:
    """Every public function of the framework's module agrees with the NumPy module's."""
    convert = (
        (lambda v: torch.tensor(np.asarray(v, dtype=float)))
        if backend == "torch"
        else (lambda v: jax.numpy.asarray(v))
    )
    framework_inputs = {k: convert(v) for k, v in inputs.items()}
    for name in ("value", "value_and_grad", "jacobian", "hessian"):
        if name not in numpy_module:
            continue
        assert name in module, (backend, name)
        expected = numpy_module[name](**inputs)
        got = _to_numpy(module[name](**framework_inputs))
        if name == "value":
            _close(got, expected, f"{backend} value")
            continue
        if name == "value_and_grad":
            _close(got[0], expected[0], f"{backend} value")
            expected, got = expected[1], got[1]
        assert set(got) == set(expected), (backend, name)
        for wrt in expected:
            _close(got[wrt], expected[wrt], f"{backend} {name}[{wrt}]")


def _is_label(value: Any) -> bool:
    """A class label is drawn as an integer: it is an index, never differentiated."""
    return np.asarray(value).dtype.kind in "iu"


def _torch_autograd(module: dict, inputs: dict) -> dict:
    leaves = {
        k: torch.tensor(np.asarray(v))
        if _is_label(v)
        else torch.tensor(np.asarray(v, dtype=float), requires_grad=True)
        for k, v in inputs.items()
    }
    module["value"](**leaves).backward()
    return {
        k: (t.grad.numpy() if t.grad is not None else np.zeros(t.shape))
        for k, t in leaves.items()
        if not _is_label(inputs[k])
    }


def _jax_grad(module: dict, inputs: dict) -> dict:
    names = [k for k in inputs if not _is_label(inputs[k])]
    labels = {k: jax.numpy.asarray(v) for k, v in inputs.items() if _is_label(v)}

    def f(*args: Any) -> Any:
        return module["value"](**labels, **dict(zip(names, args, strict=True)))

    grads = jax.grad(f, argnums=tuple(range(len(names))))(
        *[jax.numpy.asarray(inputs[k]) for k in names]
    )
    return dict(zip(names, (np.asarray(g) for g in grads), strict=True))


def _held_to_frameworks(program: str, variables: dict, hessian: bool) -> None:
    result, numpy_module, inputs = _prepared(program, variables, hessian)
    modules = {b: load_module(result.code[b]) for b in ("torch", "jax")}
    for backend, module in modules.items():
        _same_as_numpy(result, numpy_module, module, inputs, backend)
    if "value_and_grad" in numpy_module:
        ours = numpy_module["value_and_grad"](**inputs)[1]
        for backend, autodiff in (("torch", _torch_autograd), ("jax", _jax_grad)):
            theirs = autodiff(modules[backend], inputs)
            for wrt, grad in ours.items():
                _close(grad, theirs[wrt], f"{backend} autodiff ∂/∂{wrt}")


@pytest.mark.parametrize(
    ("program", "variables", "hessian"),
    [pytest.param(p, v, h, id=f"{op}: {p}") for op, p, v, h in USER_PROGRAMS],
)
def test_op_programs_agree_with_numpy_and_framework_autodiff(
    program: str, variables: dict, hessian: bool
) -> None:
    _held_to_frameworks(program, variables, hessian)


LECTURE = [
    ("sum(A @ V)", {"A": ("n", "m"), "V": ("m", "k")}),  # 𝟏 rᵀ and c 𝟏ᵀ: tiles, not outers
    ("z = W @ x + b; h = tanh(z); s = u.T @ h", {"W": ("n", "m"), "x": ("m",), "b": ("n",), "u": ("n",)}),
    ("sum(log(1 + exp(X @ w)))", {"X": ("N", "n"), "w": ("n",)}),
    ("-y.T @ log_softmax(W2 @ relu(W1 @ x + b1) + b2)", {
        "W1": ("h", "d"), "b1": ("h",), "W2": ("k", "h"), "b2": ("k",), "x": ("d",), "y": ("k",)}),
    ("logdet(A) + trace(inv(A) @ B)", {"A": ("n", "n"), "B": ("n", "n")}),
]  # fmt: skip


@pytest.mark.parametrize(("program", "variables"), LECTURE, ids=[p for p, _ in LECTURE])
def test_lecture_programs_with_hessians(program: str, variables: dict) -> None:
    _held_to_frameworks(program, variables, True)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(scalars(2))
def test_random_programs_agree_across_backends(program: str) -> None:
    _held_to_frameworks(program, VARIABLES, False)


def test_jax_module_works_under_jit() -> None:
    result, numpy_module, inputs = _prepared(LECTURE[0][0], LECTURE[0][1], True)
    module = load_module(result.code["jax"])
    args = {k: jax.numpy.asarray(v) for k, v in inputs.items()}
    value, grads = jax.jit(module["value_and_grad"])(**args)
    expected_value, expected = numpy_module["value_and_grad"](**inputs)
    _close(value, expected_value, "jit value")
    for wrt in expected:
        _close(grads[wrt], expected[wrt], f"jit ∂/∂{wrt}")
    hessians = jax.jit(module["hessian"])(**args)
    for wrt, h in numpy_module["hessian"](**inputs).items():
        _close(hessians[wrt], h, f"jit Hessian {wrt}")


def test_torch_module_keeps_the_inputs_device_and_dtype() -> None:
    result, _, inputs = _prepared(LECTURE[1][0], LECTURE[1][1], True)
    module = load_module(result.code["torch"])
    device = "cuda" if torch.cuda.is_available() else "cpu"
    args = {k: torch.tensor(np.asarray(v), device=device) for k, v in inputs.items()}
    value, grads = module["value_and_grad"](**args)
    assert value.device.type == device and value.dtype == torch.float64
    assert all(g.device.type == device for g in grads.values())
    assert all(h.device.type == device for h in module["hessian"](**args).values())


@pytest.mark.parametrize("backend", ["numpy", "torch", "jax"])
def test_no_diagonal_matrix_is_built_in_a_product(backend: str) -> None:
    """Logistic regression's Hessian Xᵀ diag(σ′) X scales X's rows; an N×N diag would cost N²."""
    result = derive(
        "sum(log(1 + exp(X @ w)))", {"X": ("N", "n"), "w": ("n",)}, hessian=True, verify=False
    )
    code = result.code[backend]
    hessian = code[code.index("def hessian") :]
    assert "diag(" not in hessian, hessian
    # Xᵀ diag(s) X as (s[:, None] * X) or, with the factor on the other side, X.T * s[None, :] @ X
    assert "[:, None] * X" in hessian or "[None, :] @ X" in hessian, hessian


def test_cli_prints_each_backend(capsys: pytest.CaptureFixture[str]) -> None:
    from derivations.cli import main

    for backend, marker in (("torch", "import torch"), ("jax", "import jax.numpy as jnp")):
        assert (
            main(["derive", "x.T @ A @ x", "--var", "x=n", "--var", "A=n,n", "--code", backend])
            == 0
        )
        assert marker in capsys.readouterr().out
    assert main(["derive", "x.T @ A @ x", "--var", "x=n", "--var", "A=n,n", "--code"]) == 0
    assert "import numpy as np" in capsys.readouterr().out


def _evaluate_node(backend: str, node: Any, inputs: dict, sizes: dict | None = None) -> Any:
    from derivations.printing.numpy_code import CodePrinter

    printer = CodePrinter(BACKENDS[backend])
    expr = printer.doprint(node)
    spec = BACKENDS[backend]
    helpers = "\n\n".join(
        spec.helpers[h] for h in sorted(printer.helpers | {"_arr", "_device"}) if h in spec.helpers
    )
    params = ", ".join(inputs)
    device = "    _dev = _device(" + params + ")\n" if backend == "torch" else ""
    source = (
        f"{spec.header}\n\n{helpers}\n\ndef f({params}):\n"
        f"    {params}, = (" + ", ".join(f"_arr({k})" for k in inputs) + ",)\n"
        f"{device}"
        + "".join(f"    {d} = {size}\n" for d, size in (sizes or {"n": 3}).items())
        + f"    return {expr}\n"
    )
    return _to_numpy(load_module(source)["f"](**inputs))


@pytest.mark.parametrize(
    ("op", "node", "variables"), NODE_PROGRAMS, ids=[op for op, _, _ in NODE_PROGRAMS]
)
def test_ops_only_derivatives_produce_print_alike_in_every_backend(
    op: str, node: Any, variables: dict
) -> None:
    from derivations.expr.shapes import free_dims
    from derivations.verify.sampling import concrete_shape

    rng = np.random.default_rng(2)
    sizes = {str(d): 3 for d in free_dims([v.shape for v in variables.values()])}
    inputs = {  # every dimension 3 (a Kronecker share's upstream is n·m = 9 long)
        name: rng.standard_normal(concrete_shape(var, sizes)) for name, var in variables.items()
    }
    expected = _evaluate_node("numpy", node, inputs, sizes)
    for backend in ("torch", "jax"):
        _close(_evaluate_node(backend, node, inputs, sizes), expected, f"{backend} {op}")


@pytest.mark.parametrize("backend", ["numpy", "torch", "jax"])
def test_a_size_under_a_root_or_log_runs_in_every_backend(backend: str) -> None:
    """‖3·𝟏‖ = 3√n and logsumexp(2·𝟏) = 2 + log n: size expressions the code must evaluate."""
    result = derive("norm2(x - x + 3) * a + logsumexp(x - x + 2) * b",
                    {"x": ("n",), "a": (), "b": ()}, wrt=["a", "b"], verify=False)  # fmt: skip
    module = load_module(result.code[backend])
    x = np.arange(4.0)
    _, grads = module["value_and_grad"](x=x, a=1.5, b=0.5)
    assert float(grads["a"]) == pytest.approx(3 * 2.0)
    assert float(grads["b"]) == pytest.approx(2 + np.log(4))
