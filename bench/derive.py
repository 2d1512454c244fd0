"""Benchmarks of the derivation core; prints tables (never a timed test).

1. Median derive time for the lecture network, verification off and on.
2. tanh MLPs of L = 1…64 layers: derive time, LaTeX and code size grow linearly (δ recursion).
3. A 4-layer MLP of width 256 over a batch X (256×64): the generated value_and_grad against the
   generated value and a hand-written NumPy backward pass.

Run: python bench/derive.py [--quick]
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # steadier timings on a shared 2-core box
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from derivations import derive  # noqa: E402
from derivations.verify.numeric import load_module  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from programs import mlp  # noqa: E402

NET = "z = W @ x + b; h = tanh(z); s = u.T @ h"
NET_VARS = {"W": ("n", "m"), "x": ("m",), "b": ("n",), "u": ("n",)}


def median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def batch_mlp() -> tuple[str, dict]:
    """Four tanh layers over a batch: biases broadcast over columns as b oᵀ (o = ones)."""
    lines = []
    variables = {"X": ("d", "B"), "o": ("B",)}
    prev = "X"
    for k in range(1, 5):
        lines += [f"Z{k} = W{k} @ {prev} + b{k} @ o.T", f"H{k} = tanh(Z{k})"]
        variables[f"W{k}"] = ("d", "d")
        variables[f"b{k}"] = ("d",)
        prev = f"H{k}"
    lines.append(f"s = sum({prev})")
    return "\n".join(lines), variables


def batch_mlp_inputs(d: int = 256, batch: int = 64) -> tuple[dict, list]:
    """Seeded inputs of batch_mlp (width d), and its (W, b) pairs for hand_written."""
    rng = np.random.default_rng(0)
    inputs = {"X": rng.standard_normal((d, batch)), "o": np.ones(batch)}
    params = []
    for k in range(1, 5):
        inputs[f"W{k}"] = rng.standard_normal((d, d)) / np.sqrt(d)
        inputs[f"b{k}"] = 0.1 * rng.standard_normal(d)
        params.append((inputs[f"W{k}"], inputs[f"b{k}"]))
    return inputs, params


def hand_written(X, o, params):
    """The lecture's backprop for the same network, written by hand."""
    hs, zs = [X], []
    for W, b in params:
        z = W @ hs[-1] + np.outer(b, o)
        zs.append(z)
        hs.append(np.tanh(z))
    s = hs[-1].sum()
    grads = []
    g = np.ones_like(hs[-1])
    for k in range(len(params) - 1, -1, -1):
        W, _ = params[k]
        delta = g * (1.0 - hs[k + 1] ** 2)
        grads.append((delta @ hs[k].T, delta @ o))
        g = W.T @ delta
    return s, grads[::-1]


def main() -> None:
    quick = "--quick" in sys.argv
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"NumPy {np.__version__}, BLAS threads 1"
    )

    print("\n## 1. Lecture network s = uᵀ tanh(Wx + b)")
    print("| verification | median derive time |")
    print("|---|---|")
    for verify in (False, True):
        t = median_time(lambda v=verify: derive(NET, NET_VARS, verify=v), 3 if quick else 7)
        print(f"| {'on (3 checks)' if verify else 'off'} | {t * 1000:.1f} ms |")

    print("\n## 2. tanh MLPs of L layers (verification off)")
    print("| L | derive time | LaTeX chars | code chars | time / L |")
    print("|---|---|---|---|---|")
    results = {}
    for layers in [1, 2, 4, 8, 16, 32, 64]:
        program, variables = mlp(layers)
        t = median_time(lambda p=program, v=variables: derive(p, v, verify=False), 3)
        d = derive(program, variables, verify=False).to_dict()
        latex = sum(len(x["latex"]) for x in d["derivatives"]) + sum(
            len(x["latex"]) for x in d["definitions"]
        )
        code = len(d["code"]["numpy"])
        results[layers] = (t, latex, code)
        print(f"| {layers} | {t * 1000:.0f} ms | {latex} | {code} | {t / layers * 1000:.1f} ms |")
    t8, t64 = results[8][0], results[64][0]
    print(
        f"\nt(64)/t(8) = {t64 / t8:.2f} (target ≤ 10; linear would be 8); "
        f"LaTeX(64)/LaTeX(8) = {results[64][1] / results[8][1]:.2f}; code(64)/code(8) = {results[64][2] / results[8][2]:.2f}"
    )

    print("\n## 3. Generated code on a 4-layer MLP, width 256, batch 64")
    program, variables = batch_mlp()
    parameters = [f"{p}{k}" for k in range(1, 5) for p in ("W", "b")]
    module = load_module(derive(program, variables, wrt=parameters, verify=False).code["numpy"])
    inputs, params = batch_mlp_inputs()
    _, ours = module["value_and_grad"](**inputs)
    _, theirs = hand_written(inputs["X"], inputs["o"], params)
    err = max(float(np.max(np.abs(ours[f"W{k + 1}"] - theirs[k][0]))) for k in range(4))
    rounds = 10 if quick else 40
    t_value, t_grad, t_hand = [], [], []
    wrt_inputs = dict(inputs)
    for _ in range(rounds):  # interleaved, so machine noise hits all three alike
        t_value.append(median_time(lambda: module["value"](**wrt_inputs), 1))
        t_grad.append(median_time(lambda: module["value_and_grad"](**wrt_inputs), 1))
        t_hand.append(median_time(lambda: hand_written(inputs["X"], inputs["o"], params), 1))
    mv, mg, mh = (statistics.median(t) * 1000 for t in (t_value, t_grad, t_hand))
    print("| function | median | ratio |")
    print("|---|---|---|")
    print(f"| generated value | {mv:.2f} ms | 1.00 |")
    print(f"| generated value_and_grad | {mg:.2f} ms | {mg / mv:.2f}× value (target ≤ 3.5) |")
    print(
        f"| hand-written NumPy forward+backward | {mh:.2f} ms | generated is {mg / mh:.2f}× it (target ≤ 1.2) |"
    )
    print(f"\nmax |generated − hand-written| over dW: {err:.1e}")
    print("Both compute dW and db for the four layers from one forward pass.")


if __name__ == "__main__":
    main()
