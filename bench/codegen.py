"""Generated code against hand-written code and the frameworks' own autodiff, side by side.

1. The Hessian of logistic regression, sum(log(1 + exp(X w))) by w, at n = 1000 and N = 2000:
   the generated NumPy, PyTorch and JAX (jitted) ``hessian()`` against the hand-written closed
   form Xᵀ diag(σ ∘ (1 − σ)) X and jax.jit(jax.hessian), torch.autograd.functional.hessian.
2. ``value_and_grad`` of a 4-layer tanh MLP (width 256, batch 64) in each backend against a
   hand-written NumPy forward and backward pass.
3. Rendering against deriving: derive() and to_dict() for tanh MLPs of 8, 16, 32 and 64 layers.

Rows of one table are interleaved round by round, so a change in the machine's load moves them
together; the ratios are the figures to read. Run: python bench/codegen.py [--quick]
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # steadier timings on a shared 2-core box
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault(
    "XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
)

# The pinned CPU PyTorch lives in its own environment (see tests/conftest.py).
_TORCH_SITE = os.environ.get("CHAINRULE_TORCH_SITE", "")
if _TORCH_SITE and _TORCH_SITE not in sys.path:
    sys.path.append(_TORCH_SITE)

import numpy as np  # noqa: E402

from derivations import derive  # noqa: E402
from derivations.verify.numeric import load_module  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from derive import batch_mlp, batch_mlp_inputs, hand_written, mlp  # noqa: E402

try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover - the bench says so
    torch = None
try:
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
except ImportError:  # pragma: no cover
    jax = None


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def interleaved(rows: dict[str, object], rounds: int) -> dict[str, float]:
    times: dict[str, list[float]] = {k: [] for k in rows}
    for _ in range(rounds):
        for name, fn in rows.items():
            times[name].append(timed(fn))
    return {k: statistics.median(v) * 1000 for k, v in times.items()}


def _sigmoid(a):
    return np.exp(-np.logaddexp(0.0, -a))


def logistic_hessian_rows(n: int, big_n: int) -> dict[str, object]:
    result = derive(
        "sum(log(1 + exp(X @ w)))", {"X": ("N", "n"), "w": ("n",)}, wrt="w", hessian=True,
        verify=False,
    )  # fmt: skip
    rng = np.random.default_rng(0)
    X = rng.standard_normal((big_n, n)) / np.sqrt(n)
    w = rng.standard_normal(n)
    numpy_h = load_module(result.code["numpy"])["hessian"]

    def closed_form():
        s = _sigmoid(X @ w)
        return X.T @ ((s * (1 - s))[:, None] * X)

    reference = closed_form()
    got = numpy_h(X, w)["w"]
    assert np.max(np.abs(got - reference)) < 1e-8 * np.max(np.abs(reference))
    rows: dict[str, object] = {
        "hand-written closed form (NumPy)": closed_form,
        "generated hessian() (NumPy)": lambda: numpy_h(X, w),
    }
    if jax is not None:
        jax_h = jax.jit(load_module(result.code["jax"])["hessian"])
        Xj, wj = jnp.asarray(X), jnp.asarray(w)

        def f(w_):
            return jnp.sum(jnp.logaddexp(0.0, Xj @ w_))

        autodiff = jax.jit(jax.hessian(f))
        jax_h(Xj, wj)["w"].block_until_ready()
        autodiff(wj).block_until_ready()
        rows["generated hessian() (JAX, jit)"] = lambda: jax_h(Xj, wj)["w"].block_until_ready()
        rows["jax.jit(jax.hessian)"] = lambda: autodiff(wj).block_until_ready()
    if torch is not None:
        torch_h = load_module(result.code["torch"])["hessian"]
        Xt, wt = torch.from_numpy(X), torch.from_numpy(w)
        rows["generated hessian() (PyTorch)"] = lambda: torch_h(Xt, wt)
        rows["torch.autograd.functional.hessian"] = lambda: torch.autograd.functional.hessian(
            lambda w_: torch.nn.functional.softplus(Xt @ w_).sum(), wt
        )
    return rows


def mlp_rows() -> dict[str, object]:
    program, variables = batch_mlp()
    parameters = [f"{p}{k}" for k in range(1, 5) for p in ("W", "b")]
    result = derive(program, variables, wrt=parameters, verify=False)
    inputs, params = batch_mlp_inputs()
    numpy_vg = load_module(result.code["numpy"])["value_and_grad"]
    rows: dict[str, object] = {
        "hand-written NumPy forward + backward": lambda: hand_written(
            inputs["X"], inputs["o"], params
        ),
        "generated value_and_grad (NumPy)": lambda: numpy_vg(**inputs),
    }
    if torch is not None:
        torch_vg = load_module(result.code["torch"])["value_and_grad"]
        targs = {k: torch.from_numpy(np.asarray(v, dtype=float)) for k, v in inputs.items()}
        rows["generated value_and_grad (PyTorch)"] = lambda: torch_vg(**targs)
    if jax is not None:
        jax_vg = jax.jit(load_module(result.code["jax"])["value_and_grad"])
        jargs = {k: jnp.asarray(v) for k, v in inputs.items()}
        jax.block_until_ready(jax_vg(**jargs))
        rows["generated value_and_grad (JAX, jit)"] = lambda: jax.block_until_ready(jax_vg(**jargs))
    return rows


def render_rows(layers: int) -> tuple[float, float]:
    program, variables = mlp(layers)
    derive_t, render_t = [], []
    for _ in range(5):
        start = time.perf_counter()
        result = derive(program, variables, verify=False)
        derive_t.append(time.perf_counter() - start)
        start = time.perf_counter()
        result.to_dict()
        render_t.append(time.perf_counter() - start)
    return statistics.median(derive_t) * 1000, statistics.median(render_t) * 1000


def table(title: str, times: dict[str, float], base: str) -> None:
    print(f"\n| {title} | median | × {base} |\n|---|---|---|")
    for name, t in times.items():
        print(f"| {name} | {t:.2f} ms | {t / times[base]:.2f} |")


def main() -> None:
    quick = "--quick" in sys.argv
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"NumPy {np.__version__}, torch {getattr(torch, '__version__', 'absent')}, "
        f"jax {getattr(jax, '__version__', 'absent')}; one BLAS/XLA thread"
    )
    n, big_n = (200, 400) if quick else (1000, 2000)
    rows = logistic_hessian_rows(n, big_n)
    table(f"Hessian of logistic regression, n = {n}, N = {big_n}",
          interleaved(rows, 3 if quick else 7), "hand-written closed form (NumPy)")  # fmt: skip
    table("4-layer tanh MLP, width 256, batch 64", interleaved(mlp_rows(), 5 if quick else 25),
          "hand-written NumPy forward + backward")  # fmt: skip
    print("\n| tanh MLP layers | derive() | to_dict() (LaTeX, steps, index forms) | ratio |")
    print("|---|---|---|---|")
    for layers in (8, 16, 32, 64):
        d, r = render_rows(layers)
        print(f"| {layers} | {d:.1f} ms | {r:.1f} ms | {r / d:.2f} |")


if __name__ == "__main__":
    main()
