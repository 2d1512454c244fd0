"""Independent review of the lecture catalog, the techniques, train-code, the engine's trace and
the gradient-check toolkit.

Passing tests pin down behaviour that was checked against the standard definitions (PyTorch's
optimizer docs, Glorot & Bengio, Smith's CLR, CS224N lecture 4) and against HIPS autograd.
Tests headed "Regression" are bugs the review found; each was a strict xfail until its fix.
"""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

from derivations import trace
from derivations.catalog.loader import catalog, find, get_entry
from derivations.catalog.techniques import init as I
from derivations.catalog.techniques import optimizers as O
from derivations.catalog.techniques import schedules as S
from derivations.catalog.traincode import generate
from derivations.cli import main as cli_main
from derivations.errors import ChainruleError
from derivations.verify.gradcheck import (
    check_gradient,
    complex_step_gradient,
    directional_check,
    numeric_gradient,
)

# ---- optimizers against independent reference implementations (PyTorch conventions) -------


def _run(opt, grads_seq, lr=0.1, theta0=(1.0, -2.0, 0.5)):
    p = {"w": np.array(theta0)}
    for g in grads_seq:
        opt.step(p, {"w": np.array(g)}, lr)
    return p["w"]


GRADS = [[0.3, -1.0, 2.0], [0.1, 0.5, -1.5], [-0.2, 0.4, 0.9], [1.0, 1.0, 1.0]]


def test_sgd_matches_reference() -> None:
    ref = np.array([1.0, -2.0, 0.5]) - 0.1 * np.sum(GRADS, axis=0)
    np.testing.assert_allclose(_run(O.SGD(), GRADS), ref)


def test_momentum_is_pytorch_heavy_ball() -> None:
    th, v = np.array([1.0, -2.0, 0.5]), np.zeros(3)
    for g in GRADS:
        v = 0.9 * v + np.array(g)
        th = th - 0.1 * v
    np.testing.assert_allclose(_run(O.Momentum(0.9), GRADS), th)


def test_adagrad_rmsprop_eps_outside_sqrt() -> None:
    th, G = np.array([1.0, -2.0, 0.5]), np.zeros(3)
    for g in map(np.array, GRADS):
        G = G + g * g
        th = th - 0.1 * g / (np.sqrt(G) + 1e-8)
    np.testing.assert_allclose(_run(O.Adagrad(), GRADS), th)
    th, s = np.array([1.0, -2.0, 0.5]), np.zeros(3)
    for g in map(np.array, GRADS):
        s = 0.9 * s + 0.1 * g * g
        th = th - 0.1 * g / (np.sqrt(s) + 1e-8)
    np.testing.assert_allclose(_run(O.RMSprop(0.9), GRADS), th)


def test_adam_bias_corrected_reference_and_first_step() -> None:
    th, m, v = np.array([1.0, -2.0, 0.5]), np.zeros(3), np.zeros(3)
    for t, g in enumerate(map(np.array, GRADS), start=1):
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        th = th - 0.1 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    np.testing.assert_allclose(_run(O.Adam(), GRADS), th)
    # With bias correction the first step is lr * sign(g) (up to eps).
    first = _run(O.Adam(), GRADS[:1]) - np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(first, -0.1 * np.sign(GRADS[0]), rtol=1e-6)


# Regression (found in review, fixed): optimizer-adam note says that without bias correction the
# first steps would be too small; with beta1=0.9, beta2=0.999 they are ~3.2x too LARGE
def test_adam_note_on_bias_correction_is_right() -> None:
    g = np.array(GRADS[0])
    uncorrected = (0.1 * g) / (np.sqrt(0.001 * g * g) + 1e-8)  # m / sqrt(v) after one step
    assert np.all(np.abs(uncorrected) > 3 * np.abs(np.sign(g)))  # the fact: steps are larger
    note = next(n for n in find("optimizer-adam").notes if "Bias correction" in n)
    assert "too small" not in note


# ---- schedules and initializers ---------------------------------------------------------------


def test_schedules_match_definitions() -> None:
    assert [S.step_decay(1.0, t, k=3) for t in range(7)] == [1, 1, 1, 0.5, 0.5, 0.5, 0.25]
    assert S.exponential_decay(2.0, 4, k=0.25) == pytest.approx(2.0 * math.exp(-1.0))
    lrs = [S.cyclic_triangular(1.0, t, max_lr=3.0, step_size=2) for t in range(9)]
    assert lrs == pytest.approx([1, 2, 3, 2, 1, 2, 3, 2, 1])


# Regression (found in review, fixed): schedule-exponential-decay note says k should shrink the
# rate 10-100x by the last epoch, but the default k=0.05 over train-code's default  30 epochs
# shrinks it only ~4.3x
def test_exponential_default_follows_its_own_advice() -> None:
    assert S.exponential_decay(1.0, 0) / S.exponential_decay(1.0, 29) >= 10


def test_xavier_uniform_bound_and_variance() -> None:
    rng = np.random.default_rng(0)
    W = I.xavier_uniform(300, 200, rng)
    assert W.shape == (300, 200)
    assert np.abs(W).max() <= math.sqrt(6 / 500)
    assert W.var() == pytest.approx(2 / 500, rel=0.05)
    assert I.xavier_normal(300, 200, rng).var() == pytest.approx(2 / 500, rel=0.05)
    assert I.uniform_init((400, 100), 0.3, rng).var() == pytest.approx(0.09 / 3, rel=0.05)


# Regression (found in review, fixed): uniform_init accepts r=nan (nan <= 0 is False) and fails
# later with numpy's OverflowError instead of a clear ValueError
def test_uniform_init_rejects_nan() -> None:
    with pytest.raises(ValueError):
        I.uniform_init((2, 2), float("nan"), np.random.default_rng(0))


# ---- catalog content --------------------------------------------------------------------------


def test_every_entry_derives_and_verifies() -> None:
    for entry_id in catalog():
        assert get_entry(entry_id)["verification"]["passed"] is True, entry_id


def test_gate_intuitions_worked_example() -> None:
    t = get_entry("gate-intuitions", verify=False)["trace"]
    assert t["value"] == 6.0 and t["gradients"] == {"x": 2.0, "y": 5.0, "z": 0.0}


def test_lecture_gradients_in_entries() -> None:
    d = {x["wrt"]: x["latex"] for x in get_entry("word2vec-naive-softmax", False)["derivatives"]}
    assert d == {"v_c": r"U \delta", "U": r"v_{c} \delta^{T}"}
    d = {x["wrt"]: x["latex"] for x in get_entry("one-hidden-layer", False)["derivatives"]}
    assert d["W"] == r"\delta x^{T}" and d["x"] == r"W^{T} \delta" and d["b"] == r"\delta"


# ---- train-code -------------------------------------------------------------------------------


def test_generated_script_runs_learns_and_imports_only_numpy(tmp_path) -> None:
    src = generate("one-hidden-layer", optimizer="momentum", schedule="step", l2=1e-3, epochs=8)
    imports = {ln.split()[1] for ln in src.splitlines() if ln.startswith(("import ", "from "))}
    assert imports == {"__future__", "numpy"}
    path = tmp_path / "train.py"
    path.write_text(src)
    out = subprocess.run(
        [sys.executable, "-W", "error", str(path)],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    ).stdout.split("\n")
    losses = [float(ln.split()[-1]) for ln in out if ln.startswith("epoch ")]
    assert len(losses) == 9 and all(map(math.isfinite, losses)) and losses[-1] < 0.5 * losses[0]


# Regression (found in review, fixed): train-code accepts --lr nan/inf and --l2 nan/inf; the
# script then contains `LR0 = nan` and dies with NameError
@pytest.mark.parametrize("kw", [{"lr": float("nan")}, {"lr": float("inf")}, {"l2": float("inf")}])
def test_traincode_rejects_non_finite_numbers(kw) -> None:
    with pytest.raises(ChainruleError):
        generate("softmax-cross-entropy", **kw)


# Regression (found in review, fixed): train-code accepts --seed -1; the script then fails in
# np.random.default_rng with 'expected non-negative integer'
def test_traincode_rejects_negative_seed() -> None:
    with pytest.raises(ChainruleError):
        generate("softmax-cross-entropy", seed=-1)


# Regression (found in review, fixed): the script's 'Generated by:' command line omits --lr, so
# re-running it does not reproduce the script
def test_traincode_header_reproduces_lr() -> None:
    assert "--lr 0.5" in generate("softmax-cross-entropy", lr=0.5).split('"""')[1]


# Regression (found in review, fixed): train-code for a technique entry ignores the entry's own
# technique: `train-code optimizer-rmsprop` trains with Adam,  `train-code schedule-cyclic` with a
# constant rate
def test_traincode_technique_entry_uses_its_technique() -> None:
    assert "class RMSprop" in generate("optimizer-rmsprop")
    assert "schedule = cyclic_triangular" in generate("schedule-cyclic")


# ---- engine and trace -------------------------------------------------------------------------


def test_trace_lecture_example_and_ties() -> None:
    r = trace("(x + y) * max(y, z)", {"x": [], "y": [], "z": []}, {"x": 1, "y": 2, "z": 0})
    assert r.value == 6.0 and r.gradients == {"x": 2.0, "y": 5.0, "z": 0.0}
    assert trace("max(y, y)", {"y": []}, {"y": 2}).gradients == {"y": 1.0}
    assert trace("min(y, y)", {"y": ["n"]}, {"y": [1, 2]}).gradients["y"].tolist() == [1, 1]


def test_trace_matches_autograd_on_matrices() -> None:
    anp = pytest.importorskip("autograd.numpy")
    from autograd import grad

    rng = np.random.default_rng(3)
    W, x, b, y = rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=3), np.eye(3)[2]
    r = trace(
        "z = W @ x + b; J = -y.T @ log_softmax(tanh(z)) + 0.1 * sum(W ** 2)",
        {"W": [3, 4], "x": [4], "b": [3], "y": [3]},
        {"W": W.tolist(), "x": x.tolist(), "b": b.tolist(), "y": y.tolist()},
    )

    def f(W, x, b):
        h = anp.tanh(anp.dot(W, x) + b)
        return -anp.dot(y, h - anp.log(anp.sum(anp.exp(h)))) + 0.1 * anp.sum(W**2)

    for i, name in enumerate(["W", "x", "b"]):
        np.testing.assert_allclose(r.gradients[name], grad(f, i)(W, x, b), atol=1e-12)


def test_trace_bad_values_are_clear() -> None:
    with pytest.raises(ChainruleError, match="not finite"):
        trace("log(x)", {"x": []}, {"x": -1.0})
    with pytest.raises(ChainruleError, match="singular"):
        trace("sum(inv(A))", {"A": ["n", "n"]}, {"A": [[1, 2], [2, 4]]})


# Regression (found in review, fixed): shape-mismatch message reads 'W has columns 2 but its
# declared columns 3 is 3' when the declared dimension is a number
def test_trace_numeric_dim_mismatch_message() -> None:
    with pytest.raises(ChainruleError) as info:
        trace("sum(W)", {"W": [2, 3]}, {"W": [[1, 2], [3, 4]]})
    assert "3 is 3" not in str(info.value)


# Regression (found in review, fixed): `chainrule trace --at z=0 --at z=5` silently uses the last
# value, while a repeated --var is rejected
def test_trace_cli_rejects_duplicate_at(capsys) -> None:
    argv = ["trace", "max(y, z)", "--var", "y", "--var", "z", "--at", "y=2", "--at", "z=0",
            "--at", "z=5"]  # fmt: skip
    assert cli_main(argv) == 2


# ---- gradient-check toolkit -------------------------------------------------------------------


def _sq(d):
    return float(np.sum(d["x"] ** 2))


def test_gradcheck_basic_verdicts() -> None:
    x = np.array([0.3, -1.2, 2.0])
    good = check_gradient(_sq, {"x": 2 * x}, {"x": x})
    assert good.passed and good.verdict == "good"
    bad = check_gradient(_sq, {"x": -2 * x}, {"x": x})
    assert not bad.passed and bad.verdict == "probably wrong"
    assert not directional_check(_sq, {"x": -2 * x}, {"x": x}, rng=0).passed
    np.testing.assert_allclose(numeric_gradient(_sq, {"x": x})["x"], 2 * x, rtol=1e-8)
    cs = complex_step_gradient(lambda d: d["a"] ** 3 + np.sin(d["a"]), {"a": 0.7})
    assert cs["a"] == pytest.approx(3 * 0.49 + math.cos(0.7), rel=1e-15)
    tr = check_gradient(
        lambda d: float(np.sum(d["W"] ** 2)), {"W": np.ones((3, 2))}, {"W": np.ones((2, 3))}
    )
    assert not tr.passed and "transposed" in str(tr)


# Regression (found in review, fixed): gradcheck noise floor uses max(1, |f|): at small scales a
# sign-flipped gradient passes as 'good' although the numeric gradient is  accurate to ~1e-11
def test_gradcheck_catches_sign_error_at_small_scale() -> None:
    x = np.array([1.0, -2.0, 3.0]) * 1e-12
    assert not check_gradient(_sq, {"x": -2 * x}, {"x": x}).passed


# Regression (found in review, fixed): gradcheck verdict is computed on the floored error (floor
# divided by rtol): a sign error is reported FAILED but 'ok for kinked/float functions'
def test_gradcheck_verdict_for_sign_error() -> None:
    x = np.array([1.0, -2.0, 3.0]) * 5e-10
    report = check_gradient(_sq, {"x": -2 * x}, {"x": x})
    assert not report.passed
    assert report.verdict == "probably wrong"


# Regression (found in review, fixed): directional_check with n_directions=0 checks nothing but
# reports passed / 'good'
def test_directional_check_needs_a_direction() -> None:
    with pytest.raises(ValueError):
        directional_check(_sq, {"x": np.ones(3) * 5}, {"x": np.ones(3)}, n_directions=0)


# Regression (found in review, fixed): directional_check with a gradient for an unknown input
# raises a bare KeyError('y'), unlike check_gradient's 'no input named y'
def test_directional_check_unknown_name_message() -> None:
    with pytest.raises(KeyError, match="no input named"):
        directional_check(_sq, {"y": np.ones(3)}, {"x": np.ones(3)})


# Regression (found in review, fixed): numeric_gradient/check_gradient accept eps=0 and die with
# ZeroDivisionError instead of a clear ValueError
def test_numeric_gradient_rejects_zero_step() -> None:
    with pytest.raises(ValueError):
        numeric_gradient(_sq, {"x": np.ones(3)}, eps=0)
