"""The catalog's optimizers and schedules against PyTorch, with the hyperparameters the entries
state (issue 15). torch is a test-only reference: CI installs ``torch==2.13.0``, and these tests
skip without it.
"""

from __future__ import annotations

import numpy as np
import pytest

from derivations.catalog.techniques import optimizers as O
from derivations.catalog.techniques.schedules import cyclic_triangular

torch = pytest.importorskip("torch")

STEPS = 60
LR = 0.03
START = {"W": np.linspace(-1.0, 1.2, 12).reshape(3, 4), "b": np.array([0.5, -0.25, 2.0])}


def rel_err(a: np.ndarray, n: np.ndarray) -> float:
    a, n = np.asarray(a, dtype=float), np.asarray(n, dtype=float)
    return float(np.max(np.abs(a - n) / np.maximum(np.maximum(np.abs(a), np.abs(n)), 1e-12)))


def gradient(W: np.ndarray, b: np.ndarray, t: int) -> dict[str, np.ndarray]:
    """A non-quadratic, step-dependent gradient so every rule takes distinct steps."""
    return {"W": np.sin(W) + 0.3 * W**2 - np.cos(t) * 0.2, "b": np.tanh(b) - 0.1 * t / STEPS}


def run_ours(opt, lrs: list[float]) -> dict[str, np.ndarray]:
    params = {k: v.copy() for k, v in START.items()}
    for t, lr in enumerate(lrs):
        opt.step(params, gradient(params["W"], params["b"], t), lr)
    return params


def run_torch(make, lrs: list[float], groups=None) -> dict[str, np.ndarray]:
    tensors = {
        k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in START.items()
    }
    opt = make(groups(tensors) if groups else list(tensors.values()))
    for t, lr in enumerate(lrs):
        for group in opt.param_groups:
            group["lr"] = lr
        grads = gradient(tensors["W"].detach().numpy(), tensors["b"].detach().numpy(), t)
        for name, tensor in tensors.items():
            tensor.grad = torch.tensor(grads[name], dtype=torch.float64)
        opt.step()
    return {k: v.detach().numpy() for k, v in tensors.items()}


CONSTANT = [LR] * STEPS
SCHEDULED = [LR * 0.5 ** (t // 10) for t in range(STEPS)]

# Each catalog optimizer with its stated defaults, and torch.optim with those same values.
PAIRS = {
    "sgd": (O.SGD, lambda p: torch.optim.SGD(p, lr=LR)),
    "momentum": (O.Momentum, lambda p: torch.optim.SGD(p, lr=LR, momentum=0.9)),
    "adagrad": (O.Adagrad, lambda p: torch.optim.Adagrad(p, lr=LR, eps=1e-8)),
    "rmsprop": (O.RMSprop, lambda p: torch.optim.RMSprop(p, lr=LR, alpha=0.9, eps=1e-8)),
    "adam": (O.Adam, lambda p: torch.optim.Adam(p, lr=LR)),
    "adamw": (O.AdamW, lambda p: torch.optim.AdamW(p, lr=LR)),
}


@pytest.mark.parametrize("name", list(PAIRS))
@pytest.mark.parametrize("lrs", [CONSTANT, SCHEDULED], ids=["constant", "step-decay"])
def test_optimizer_matches_torch(name: str, lrs: list[float]) -> None:
    ours, theirs = PAIRS[name]
    assert set(PAIRS) == set(O.OPTIMIZERS)
    a, n = run_ours(ours(), lrs), run_torch(theirs, lrs)
    for key in START:
        assert rel_err(a[key], n[key]) < 1e-12, (name, key)


def test_adamw_defaults_are_torch_defaults() -> None:
    ref = torch.optim.AdamW([torch.zeros(1)]).defaults
    ours = O.AdamW()
    assert (ours.beta1, ours.beta2) == ref["betas"]
    assert ours.eps == ref["eps"] and ours.weight_decay == ref["weight_decay"] == 0.01


def test_adamw_exclude_is_a_no_decay_param_group() -> None:
    def groups(t):
        return [{"params": [t["W"]]}, {"params": [t["b"]], "weight_decay": 0.0}]

    make = lambda p: torch.optim.AdamW(p, lr=LR, weight_decay=0.05)  # noqa: E731
    a = run_ours(O.AdamW(weight_decay=0.05, exclude={"b"}), SCHEDULED)
    n = run_torch(make, SCHEDULED, groups)
    for key in START:
        assert rel_err(a[key], n[key]) < 1e-12, key
    plain_adam = run_ours(O.Adam(), SCHEDULED)
    assert rel_err(a["b"], plain_adam["b"]) < 1e-12  # an excluded bias takes plain Adam steps
    assert rel_err(a["W"], plain_adam["W"]) > 1e-3  # and the decayed weights differ


def test_adam_sparse_step_reaches_2_94_alpha_like_torch() -> None:
    """1,999 zero gradients then one non-zero: the step is ~2.94 alpha, not at most alpha."""
    alpha, g = 1e-3, 0.5
    grads = [0.0] * 1999 + [g]
    ours = O.Adam()
    p = {"w": np.zeros(1)}
    for t, gi in enumerate(grads):
        before = p["w"].copy()
        ours.step(p, {"w": np.array([gi])}, alpha)
        if t < len(grads) - 1:
            assert np.all(p["w"] == before)  # zero gradients never move it
    step = abs(float(p["w"][0] - before[0]))

    w = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([w], lr=alpha)
    for gi in grads:
        w.grad = torch.tensor([gi], dtype=torch.float64)
        opt.step()
    assert abs(step - abs(float(w.detach()[0]))) / step < 1e-12  # torch takes the same step

    t = len(grads)
    m_hat, v_hat = 0.1 * g / (1 - 0.9**t), 0.001 * g * g / (1 - 0.999**t)
    closed = m_hat / (np.sqrt(v_hat) + 1e-8)  # the bias-corrected step, written out
    assert abs(step / alpha - closed) / closed < 1e-12
    assert round(step / alpha, 2) == 2.94
    bound = (1 - 0.9) / np.sqrt(1 - 0.999)  # Kingma and Ba section 2.1, ~3.16
    assert round(bound, 2) == 3.16 and 1 < step / alpha < bound


def test_cyclic_default_matches_torch_cycliclr_stepped_per_epoch() -> None:
    """The catalog's cycle counts epochs; torch's CyclicLR counts whatever calls step(). Stepped
    once per epoch with max_lr = 4 base_lr, torch gives the same rates."""
    base, s = 0.002, 3
    w = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([w], lr=base)
    sched = torch.optim.lr_scheduler.CyclicLR(
        opt, base_lr=base, max_lr=4 * base, step_size_up=s, mode="triangular", cycle_momentum=False
    )
    for epoch in range(5 * s):
        ref = sched.get_last_lr()[0]
        assert abs(cyclic_triangular(base, epoch, step_size=s) - ref) <= 1e-15 + 1e-12 * ref
        opt.step()
        sched.step()
    assert cyclic_triangular(base, s, step_size=s) == pytest.approx(4 * base, rel=1e-15)


def test_momentum_under_a_schedule_is_the_pytorch_form_not_the_lecture_form() -> None:
    """v <- mu v + g; theta <- theta - lr v (PyTorch) and v <- mu v - lr g; theta <- theta + v
    (the lecture notes) agree for a constant lr and differ once lr changes."""
    lrs, g, mu = [1.0, 0.1], 1.0, 0.9

    def lecture(lrs):
        theta = v = 0.0
        for lr in lrs:
            v = mu * v - lr * g
            theta += v
        return theta

    def ours(lrs):
        p, opt = {"w": 0.0}, O.Momentum(mu)
        for lr in lrs:
            opt.step(p, {"w": g}, lr)
        return p["w"]

    w = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([w], lr=1.0, momentum=mu)
    for lr in lrs:
        opt.param_groups[0]["lr"] = lr
        w.grad = torch.ones(1, dtype=torch.float64)
        opt.step()
    assert ours(lrs) == pytest.approx(float(w.detach()[0]), rel=1e-15)
    assert ours(lrs) == pytest.approx(-1.19, rel=1e-12)  # the note's example
    assert lecture(lrs) == pytest.approx(-2.0, rel=1e-12)
    assert ours([0.5, 0.5, 0.5]) == pytest.approx(lecture([0.5, 0.5, 0.5]), rel=1e-12)


def test_xavier_columns_are_fan_in_as_in_torch() -> None:
    from derivations.catalog.techniques.init import xavier_uniform

    n_out, n_in = 7, 3
    W = xavier_uniform(n_out, n_in, np.random.default_rng(0))
    assert W.shape == tuple(torch.nn.Linear(n_in, n_out).weight.shape)
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.from_numpy(W))
    assert (fan_in, fan_out) == (n_in, n_out)
    bound = float(torch.nn.init.calculate_gain("linear") * np.sqrt(6.0 / (fan_in + fan_out)))
    assert np.abs(W).max() <= bound


def test_l2_equals_torch_weight_decay_for_sgd_and_is_coupled_for_adam() -> None:
    """torch.optim.SGD(weight_decay=2 lambda) is our SGD with the L2 gradient; torch.optim.Adam's
    weight_decay is the same coupled L2 as our Adam with --l2; AdamW's decay differs from both."""
    lam = 0.05

    def l2(opt):
        params = {k: v.copy() for k, v in START.items()}
        for t in range(STEPS):
            g = gradient(params["W"], params["b"], t)
            opt.step(params, {k: g[k] + 2 * lam * params[k] for k in g}, LR)
        return params

    sgd = run_torch(lambda p: torch.optim.SGD(p, lr=LR, weight_decay=2 * lam), CONSTANT)
    adam = run_torch(lambda p: torch.optim.Adam(p, lr=LR, weight_decay=2 * lam), CONSTANT)
    adamw = run_torch(lambda p: torch.optim.AdamW(p, lr=LR, weight_decay=2 * lam), CONSTANT)
    ours_sgd, ours_adam = l2(O.SGD()), l2(O.Adam())
    for key in START:
        assert rel_err(ours_sgd[key], sgd[key]) < 1e-12
        assert rel_err(ours_adam[key], adam[key]) < 1e-12
    assert rel_err(ours_adam["W"], adamw["W"]) > 1e-3
