"""Benchmark the backprop engine: a tanh MLP against hand-written NumPy and HIPS autograd,
the directional gradient check at 10⁶ parameters, and per-node overhead on a long chain.

Run: .venv/bin/python bench/engine.py   (prints tables; medians of several repeats)

The MLP's bias is broadcast over the batch as ``b @ one.T`` with an explicit ones vector, since
the expression language has no implicit broadcasting; the program goes through the same
``elaborate`` + ``compile_program`` path as every other program. The hand-written baseline adds
``b[:, None]`` directly (NumPy broadcasting), which is the fairest NumPy one can write.

BLAS is pinned to one thread (unless the environment says otherwise): on a shared 2-core box a
multi-threaded BLAS under contention varies 10× from run to run, which would measure the
neighbours rather than the engine. All three implementations use the same BLAS.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from derivations.engine import Graph, compile_program  # noqa: E402
from derivations.language.elaborate import elaborate  # noqa: E402
from derivations.verify.gradcheck import directional_check, relative_error  # noqa: E402

WIDTH, BATCH, LAYERS = 256, 64, 4


def median_ms(fn: Callable[[], object], repeats: int = 15, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def interleaved_ms(
    fns: dict[str, Callable[[], object]], repeats: int, warmup: int = 3
) -> dict[str, list[float]]:
    """Round-robin timing: in every round each implementation runs once, so a busy neighbour
    slows all of them alike and the per-round ratios stay meaningful."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(1000 * (time.perf_counter() - start))
    return times


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(r[c])) for r in [header, *rows]) for c in range(len(header))]
    print(f"\n{title}")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))


def mlp_inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    inputs: dict[str, np.ndarray] = {
        "X": rng.standard_normal((WIDTH, BATCH)),
        "one": np.ones(BATCH),
    }
    for layer in range(1, LAYERS + 1):
        inputs[f"W{layer}"] = rng.standard_normal((WIDTH, WIDTH)) / np.sqrt(WIDTH)
        inputs[f"b{layer}"] = 0.1 * rng.standard_normal(WIDTH)
    return inputs


def mlp_engine() -> tuple[Graph, list[str]]:
    lines, h = [], "X"
    for layer in range(1, LAYERS + 1):
        lines.append(f"h{layer} = tanh(W{layer} @ {h} + b{layer} @ one.T)")
        h = f"h{layer}"
    lines.append(f"sum({h})")
    variables: dict[str, tuple[str, ...]] = {"X": ("d", "k"), "one": ("k",)}
    for layer in range(1, LAYERS + 1):
        variables[f"W{layer}"] = ("d", "d")
        variables[f"b{layer}"] = ("d",)
    graph = compile_program(elaborate("; ".join(lines), variables))
    wrt = [f"{p}{layer}" for layer in range(1, LAYERS + 1) for p in ("W", "b")]
    return graph, wrt


def mlp_numpy(v: dict[str, np.ndarray]) -> tuple[float, dict[str, np.ndarray]]:
    hs = [v["X"]]
    for layer in range(1, LAYERS + 1):
        hs.append(np.tanh(v[f"W{layer}"] @ hs[-1] + v[f"b{layer}"][:, None]))
    loss = float(hs[-1].sum())
    grads: dict[str, np.ndarray] = {}
    g = np.ones_like(hs[-1])
    for layer in range(LAYERS, 0, -1):
        dz = g * (1.0 - hs[layer] ** 2)
        grads[f"W{layer}"] = dz @ hs[layer - 1].T
        grads[f"b{layer}"] = dz.sum(axis=1)
        if layer > 1:
            g = v[f"W{layer}"].T @ dz
    return loss, grads


def mlp_autograd() -> Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]]:
    import autograd.numpy as anp
    from autograd import value_and_grad

    def loss(params: dict, X: np.ndarray) -> float:
        h = X
        for layer in range(1, LAYERS + 1):
            h = anp.tanh(anp.dot(params[f"W{layer}"], h) + params[f"b{layer}"][:, None])
        return anp.sum(h)

    vg = value_and_grad(loss)
    return lambda v: vg({k: x for k, x in v.items() if k[0] in "Wb"}, v["X"])


def bench_mlp() -> None:
    rng = np.random.default_rng(0)
    inputs = mlp_inputs(rng)
    graph, wrt = mlp_engine()
    ag = mlp_autograd()
    _, ref = mlp_numpy(inputs)
    _, eng = graph.backward(inputs, wrt)
    _, agg = ag(inputs)
    err_engine = max(relative_error(eng[k], ref[k]).max_rel_error for k in wrt)
    err_ag = max(relative_error(agg[k], ref[k]).max_rel_error for k in wrt)
    impls = {
        "hand-written NumPy": lambda: mlp_numpy(inputs),
        "chainrule engine": lambda: graph.backward(inputs, wrt),
        "HIPS autograd": lambda: ag(inputs),
    }
    times = interleaved_ms(impls, repeats=41)
    t_np = statistics.median(times["hand-written NumPy"])
    ratio = {  # per-round ratios: each round's implementations saw the same machine load
        name: statistics.median(t / b for t, b in zip(ts, times["hand-written NumPy"], strict=True))
        for name, ts in times.items()
    }
    errs = {
        "hand-written NumPy": "-",
        "chainrule engine": f"{err_engine:.1e}",
        "HIPS autograd": f"{err_ag:.1e}",
    }
    rows = [
        [
            name,
            f"{statistics.median(ts):.2f}",
            f"{min(ts):.2f}",
            f"{statistics.median(ts) / t_np:.2f}",
            f"{ratio[name]:.2f}",
            errs[name],
        ]
        for name, ts in times.items()
    ]
    title = (
        f"forward+backward, {LAYERS}-layer tanh MLP, width {WIDTH}, batch {BATCH}, loss = sum "
        f"({len(graph.nodes)} engine nodes; 41 interleaved rounds)"
    )
    header = [
        "implementation",
        "median ms",
        "min ms",
        "× NumPy",
        "median per-round ×",
        "max rel err vs NumPy",
    ]
    table(title, header, rows)


def bench_directional() -> None:
    rng = np.random.default_rng(1)
    n = 1000
    inputs = {"W": rng.standard_normal((n, n)) / np.sqrt(n), "x": rng.standard_normal(n)}
    graph = compile_program(elaborate("sum(tanh(W @ x))", {"W": ("n", "n"), "x": ("n",)}))

    def f(v: dict) -> float:
        return float(np.sum(np.tanh(v["W"] @ v["x"])))

    _, grads = graph.backward(inputs, ["W"])
    t_grad = median_ms(lambda: graph.backward(inputs, ["W"]), repeats=7)
    report = directional_check(f, grads, inputs, n_directions=3, rng=0)
    t_check = median_ms(
        lambda: directional_check(f, grads, inputs, n_directions=3, rng=0), repeats=5, warmup=1
    )
    wrong = {"W": grads["W"].T}  # square, so only the values can reveal the transposition
    bad = directional_check(f, wrong, inputs, n_directions=3, rng=0)
    rows = [
        ["engine gradient (backward)", f"{t_grad:.1f}", "-", "-"],
        [
            "directional check, 3 directions",
            f"{t_check:.1f}",
            f"{report.max_rel_error:.1e}",
            report.verdict,
        ],
        ["same check, transposed gradient", "-", f"{bad.max_rel_error:.1e}", bad.verdict],
    ]
    table(f"directional check of d/dW sum(tanh(W x)), W {n}×{n} = 10⁶ parameters (median)",
          ["step", "ms", "max rel err", "verdict"], rows)  # fmt: skip


def bench_chain() -> None:
    rows = []
    for size in (1_000, 10_000, 100_000):
        g = Graph()
        x = g.input("x")
        node = x
        for _ in range(size):
            node = g.add(node, x)
        g.backward({"x": 1.0}, ["x"])  # plan once
        t = median_ms(lambda g=g: g.backward({"x": 1.0}, ["x"]), repeats=5, warmup=1)
        rows.append([f"{size:,}", f"{t:.1f}", f"{1000 * t / size:.2f}"])
    table("per-node overhead: chain of scalar adds, forward+backward (median of 5)",
          ["nodes", "ms", "µs/node"], rows)  # fmt: skip


if __name__ == "__main__":
    threads = os.environ["OPENBLAS_NUM_THREADS"]
    print(f"Python {sys.version.split()[0]}, NumPy {np.__version__}, BLAS threads {threads}")
    bench_mlp()
    bench_directional()
    bench_chain()
