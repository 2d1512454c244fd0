"""Issue 15: what the know-how entries claim, checked against numbers from independent references.

Each test pins one claim of an entry's text to a computation that does not use the code under
test where possible: hand-written update rules, HIPS autograd, or closed forms. The comparisons
with PyTorch itself are in techniques/test_against_torch.py.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import numpy as np
import pytest

from derivations.catalog import get_entry
from derivations.catalog.loader import catalog, find
from derivations.catalog.techniques import optimizers as O
from derivations.catalog.techniques import schedules as S
from derivations.catalog.techniques.init import output_bias
from derivations.catalog.techniques.word2vec import scatter_outside_gradient
from derivations.catalog.traincode import _DRIVER

from .conftest import needs_api
from .test_derivations import load_module, rel_err

anp = pytest.importorskip("autograd.numpy")
autograd = pytest.importorskip("autograd")


def notes(entry_id: str) -> str:
    return " ".join(find(entry_id).notes)


def defaults(obj) -> dict[str, object]:
    return {
        k: p.default
        for k, p in inspect.signature(obj).parameters.items()
        if p.default is not inspect.Parameter.empty
    }


# ---- (1) schedule-cyclic: the text and the code agree on the peak ------------------------------


def test_cyclic_peak_is_four_times_the_base_in_text_formula_and_code() -> None:
    text = notes("schedule-cyclic")
    assert "ten times" not in text and "4 times the base rate" in text
    assert r"\alpha_{\max} = 4 \alpha_0" in find("schedule-cyclic").technique.formula
    s = defaults(S.cyclic_triangular)["step_size"]
    rates = [S.cyclic_triangular(0.01, t) for t in range(4 * s + 1)]
    assert max(rates) == pytest.approx(0.04, rel=1e-15) and min(rates) == 0.01
    assert rates[s] == max(rates) and rates[2 * s] == 0.01  # the peak after s epochs


def test_cyclic_states_per_epoch_against_per_batch() -> None:
    text = notes("schedule-cyclic")
    assert "once per epoch" in text and "once per batch" in text and "CyclicLR" in text
    # The generated driver really changes the rate once per epoch, outside the batch loop.
    epoch_loop = _DRIVER.index("for epoch in range")
    assert _DRIVER.count("schedule(") == 1
    assert (
        epoch_loop
        < _DRIVER.index("lr = schedule(LR0, epoch - 1)")
        < _DRIVER.index("for start in range")
    )


# ---- (2) optimizer-adam and optimizer-adamw ---------------------------------------------------


def test_adam_note_states_the_kingma_ba_bound_not_an_upper_scale() -> None:
    text = notes("optimizer-adam")
    assert "upper scale" not in text
    assert "3.16 alpha" in text and "2.94 alpha" in text and "1,999" in text
    assert "coupled L2, not weight decay" in text and "adamw" in text.lower()


def test_adam_after_1999_zero_gradients_steps_2_94_alpha() -> None:
    """Written-out Adam (independent of the class) and the class agree: 2.94 alpha < 3.16 alpha."""
    alpha, g, t = 1e-3, -2.0, 2000
    m = (1 - 0.9) * g  # the zero gradients leave m = v = 0 until step t
    v = (1 - 0.999) * g * g
    reference = alpha * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    p, opt = {"w": np.zeros(1)}, O.Adam()
    for gi in [0.0] * (t - 1) + [g]:
        opt.step(p, {"w": np.array([gi])}, alpha)
    assert rel_err(p["w"][0], -reference) < 1e-12
    assert round(abs(p["w"][0]) / alpha, 2) == 2.94
    assert round((1 - 0.9) / np.sqrt(1 - 0.999), 2) == 3.16


def test_adamw_entry_names_its_rule_defaults_and_the_paper() -> None:
    entry = find("optimizer-adamw")
    assert entry.technique.implementation.endswith(":AdamW")
    text = notes("optimizer-adamw")
    assert "Loshchilov and Hutter" in text and "torch.optim.AdamW" in text
    d = defaults(O.AdamW)
    for word in (f"beta1 = {d['beta1']}", f"beta2 = {d['beta2']}", "eps = 1e-8"):
        assert word in text
    assert d["eps"] == 1e-8 and f"weight decay lambda = {d['weight_decay']}" in text
    assert "--optimizer adamw" in text


@pytest.mark.parametrize(
    ("entry_id", "cls", "phrases"),
    [
        ("optimizer-momentum", O.Momentum, ["mu = 0.9"]),
        ("optimizer-adagrad", O.Adagrad, ["eps = 1e-8"]),
        ("optimizer-rmsprop", O.RMSprop, ["rho = 0.9", "eps = 1e-8"]),
        ("optimizer-adam", O.Adam, ["beta1 = 0.9", "beta2 = 0.999", "eps = 1e-8"]),
    ],
)
def test_entries_state_the_code_defaults(entry_id: str, cls: type, phrases: list[str]) -> None:
    """(5) Each stated default is the code's default (a changed default must change the note)."""
    text, d = notes(entry_id), defaults(cls)
    for phrase in phrases:
        name, value = phrase.split(" = ")
        assert phrase in text and d[name] == float(value), (entry_id, phrase)


# ---- (3) l2-regularization: weight decay only for plain SGD -----------------------------------

LAM, ALPHA = 0.05, 0.1
THETA0 = np.array([1.5, -2.0, 0.3])


def data_grad(theta: np.ndarray) -> np.ndarray:
    return np.sin(3 * theta) + theta**3 / 4


def with_l2(opt, steps: int = 40) -> np.ndarray:
    p = {"w": THETA0.copy()}
    for _ in range(steps):
        opt.step(p, {"w": data_grad(p["w"]) + 2 * LAM * p["w"]}, ALPHA)
    return p["w"]


def test_l2_is_weight_decay_for_plain_sgd() -> None:
    """Weight decay written out: shrink by (1 - 2 alpha lambda), then the data step."""
    theta = THETA0.copy()
    for _ in range(40):
        theta = (1 - ALPHA * 2 * LAM) * theta - ALPHA * data_grad(theta)
    assert rel_err(with_l2(O.SGD()), theta) < 1e-12


def test_l2_is_not_weight_decay_for_adam() -> None:
    coupled = with_l2(O.Adam())
    adamw = {"w": THETA0.copy()}
    opt = O.AdamW(weight_decay=2 * LAM)
    for _ in range(40):
        opt.step(adamw, {"w": data_grad(adamw["w"])}, ALPHA)
    assert rel_err(coupled, adamw["w"]) > 0.05  # a large, not a rounding, difference
    assert "only for plain SGD" in notes("l2-regularization")
    assert "optimizer-adamw" in notes("l2-regularization")


# ---- (4) init-uniform: the output bias is the logit of the mean target ------------------------


def test_output_bias_is_stationary_for_each_output() -> None:
    rng = np.random.default_rng(4)
    y01 = (rng.random((50, 3)) < [0.1, 0.5, 0.8]).astype(float)

    def bce(b):
        z = anp.reshape(b, (1, -1))
        return anp.mean(anp.logaddexp(0.0, z) - y01 * z)  # -y log s(z) - (1 - y) log(1 - s(z))

    b = output_bias(y01, "sigmoid")
    assert np.max(np.abs(autograd.grad(bce)(b))) < 1e-15
    p = y01.mean(axis=0)
    assert np.max(np.abs(autograd.grad(bce)(p))) > 1e-2  # the mean itself is not the optimum
    assert rel_err(1 / (1 + np.exp(-b)), p) < 1e-12

    onehot = np.eye(4)[rng.choice(4, size=60, p=[0.1, 0.2, 0.3, 0.4])]

    def ce(b):
        return -anp.mean(anp.sum(onehot * (b - anp.log(anp.sum(anp.exp(b)))), axis=1))

    assert np.max(np.abs(autograd.grad(ce)(output_bias(onehot, "softmax")))) < 1e-15

    targets = rng.normal(size=(30, 2))

    def mse(b):
        return anp.mean((targets - b) ** 2)

    assert np.max(np.abs(autograd.grad(mse)(output_bias(targets)))) < 1e-15
    with pytest.raises(ValueError, match="inside"):
        output_bias(np.zeros((3, 1)), "sigmoid")


def test_init_uniform_note_says_logit() -> None:
    text = notes("init-uniform")
    assert "inverse sigmoid (logit) of the mean target" in text and "softmax" in text
    assert r"\sigma^{-1}(\bar y)" in find("init-uniform").technique.formula


# ---- (5) conventions: Xavier's fan-in axis, word2vec's transposes, negative sampling ---------


def test_xavier_note_names_the_fan_in_axis() -> None:
    text = notes("init-xavier")
    assert "Fan-in is the number of columns of W" in text and "n_in = m" in text
    assert find("init-xavier").variables["W"] == ["n", "m"]  # W @ x with x of size m


def test_momentum_note_gives_the_schedule_example() -> None:
    text = notes("optimizer-momentum")
    assert "v <- mu v - alpha g" in text and "-1.19" in text and "-2.0" in text


@needs_api
def test_word2vec_outside_vectors_are_u_transposed(tmp_path: Path) -> None:
    assert "outsideVectors is U^T" in notes("word2vec-naive-softmax")
    module = load_module(
        get_entry("word2vec-naive-softmax", verify=False)["code"]["numpy"], tmp_path, "w2v_ns"
    )
    rng = np.random.default_rng(5)
    d, V, o = 4, 7, 2
    outside, center = rng.normal(size=(V, d)), rng.normal(size=d)  # the assignment's layout
    _, grads = module.value_and_grad(U=outside.T, v_c=center, y=np.eye(V)[o])

    def assignment_loss(outside_vectors, center_vec):
        scores = anp.dot(outside_vectors, center_vec)
        return -(scores[o] - anp.log(anp.sum(anp.exp(scores))))

    assert rel_err(grads["U"].T, autograd.grad(assignment_loss, 0)(outside, center)) < 1e-12
    assert rel_err(grads["v_c"], autograd.grad(assignment_loss, 1)(outside, center)) < 1e-12
    y_hat = np.exp(outside @ center) / np.exp(outside @ center).sum()
    assert rel_err(grads["U"].T, np.outer(y_hat - np.eye(V)[o], center)) < 1e-12


@needs_api
def test_repeated_negatives_are_summed_not_assigned(tmp_path: Path) -> None:
    assert "np.add.at" in notes("word2vec-negative-sampling")
    entry = get_entry("word2vec-negative-sampling", verify=False)
    module = load_module(entry["code"]["numpy"], tmp_path, "w2v_neg")
    rng = np.random.default_rng(6)
    d, V, o = 3, 6, 0
    neg = np.array([4, 1, 4, 4, 2])  # word 4 drawn three times
    outside, center = rng.normal(size=(V, d)), rng.normal(size=d)

    def assignment_loss(outside_vectors):
        pos = anp.dot(outside_vectors[o], center)
        negs = anp.dot(outside_vectors[neg], center)
        return -anp.log(1 / (1 + anp.exp(-pos))) - anp.sum(anp.log(1 / (1 + anp.exp(negs))))

    reference = autograd.grad(assignment_loss)(outside)
    _, g = module.value_and_grad(u_o=outside[o], v_c=center, U_neg=outside[neg].T)
    summed = scatter_outside_gradient(g["U_neg"], neg, V)
    summed[o] += g["u_o"]
    assert rel_err(summed, reference) < 1e-12

    for wrong in ("assign", "fancy +="):
        bad = np.zeros((V, d))
        if wrong == "assign":
            bad[neg] = g["U_neg"].T
        else:
            bad[neg] += g["U_neg"].T
        bad[o] += g["u_o"]
        err = np.abs(bad[4] - reference[4]) / np.abs(reference[4])
        assert np.all(err > 0.5), wrong  # keeps one of three copies: off by about 2/3
    with pytest.raises(ValueError, match="expected"):
        scatter_outside_gradient(g["U_neg"], neg[:3], V)


# ---- (7) one-hidden-layer: no Kronecker delta beside the error signal -------------------------

KRONECKER = re.compile(r"delta_\{?[a-z]{2}\}?|δ_[a-z]{2}\b|\\delta_\{[a-z]{2}\}")


def test_one_hidden_layer_writes_the_lecture_index_form() -> None:
    text = notes("one-hidden-layer")
    assert "dz_i/dW_ij = x_j" in text and "1[i = k]" in text
    for entry in catalog().values():
        own = " ".join(
            [entry.summary, *entry.notes, entry.technique.formula if entry.technique else ""]
        )
        assert not KRONECKER.search(own), entry.id


@needs_api
def test_printed_one_hidden_layer_has_no_kronecker_delta() -> None:
    from derivations.catalog.commands import render

    text = render(get_entry("one-hidden-layer", verify=False))
    assert "δ = " in text  # the error signal is named δ in this entry
    assert not re.search(r"δ_[a-z]{2}\b", text)


# ---- review of issue 15: the Adam bound, SparseAdam, qualifiers and attributions --------------


def test_adam_note_calls_3_16_approximate_and_growing_gradients_exceed_it() -> None:
    """Kingma & Ba's 3.16 alpha is approximate: constantly growing gradients step ~4.2 alpha."""
    text = notes("optimizer-adam")
    assert "approximate bound" in text and "not a worst case" in text
    assert "4.2 alpha" in text and "7.3 alpha" in text and "2.94 alpha" in text
    alpha, p, opt, largest = 1e-3, {"w": np.zeros(1)}, O.Adam(), 0.0
    for k in range(400):
        before = p["w"][0]
        opt.step(p, {"w": np.array([1.11**k])}, alpha)
        largest = max(largest, abs(p["w"][0] - before) / alpha)
    assert round(largest, 1) == 4.2 and largest > 3.17
    b1, b2 = 0.9, 0.999
    limit = (1 - b1) / np.sqrt(1 - b2) / np.sqrt(1 - b1**2 / b2)
    assert round(limit, 1) == 7.3 and largest < limit


def test_sparse_adam_takes_the_same_step_for_a_row_first_seen_at_step_2000() -> None:
    """The moments of an all-zero row stay zero; the 2.94 alpha is global-t bias correction."""
    torch = pytest.importorskip("torch", reason="torch is optional (tests/conftest.py)")
    text = notes("optimizer-adam")
    assert "decays the moments of the absent rows" not in text
    assert "bias correction with the global step count" in text and "SparseAdam" in text
    alpha, t = 1e-3, 2000
    emb = torch.nn.Embedding(3, 1, sparse=True, dtype=torch.float64)
    torch.nn.init.zeros_(emb.weight)
    opt = torch.optim.SparseAdam(emb.parameters(), lr=alpha)
    for step in range(1, t + 1):
        opt.zero_grad()
        row, scale = (2, -2.0) if step == t else (0, 1.0)  # row 2 is first seen at step t
        (scale * emb(torch.tensor([row]))).sum().backward()
        opt.step()
    assert round(abs(float(emb.weight.detach()[2, 0])) / alpha, 2) == 2.94
    p, dense = {"w": np.zeros(1)}, O.Adam()
    for gi in [0.0] * (t - 1) + [-2.0]:
        dense.step(p, {"w": np.array([gi])}, alpha)
    assert rel_err(float(emb.weight.detach()[2, 0]), p["w"][0]) < 1e-6  # eps placement


def test_one_hidden_layer_does_not_promise_what_the_printer_breaks() -> None:
    assert "never a Kronecker delta" not in notes("one-hidden-layer")
    assert "as in the lecture" in notes("one-hidden-layer")


def test_init_uniform_bias_claim_is_qualified_by_zero_output_weights() -> None:
    text = notes("init-uniform")
    assert "is zero from the first step" not in text
    assert "If the output weights were zero this is the optimal bias" in text


def test_cyclic_names_cycle_momentum_and_attributes_the_range_test() -> None:
    text = notes("schedule-cyclic")
    assert "cycle_momentum=False" in text
    doc = " ".join(S.cyclic_triangular.__doc__.split())
    for said in (text, doc):
        assert "range test gives both bounds" in said and "1/3 to 1/4 of the maximum" in said
        assert "no range test is run" in said


def test_l2_note_factor_is_the_written_out_sgd_rule() -> None:
    """theta - alpha (g + 2 lambda theta) = (1 - 2 alpha lambda) theta - alpha g, as the note says."""
    assert "the factor 1 - 2 alpha lambda" in notes("l2-regularization")
    theta, g = THETA0, data_grad(THETA0)
    sgd = theta - ALPHA * (g + 2 * LAM * theta)
    assert rel_err(sgd, (1 - 2 * ALPHA * LAM) * theta - ALPHA * g) < 1e-15


@pytest.mark.parametrize(
    ("entry_id", "cls", "key", "phrase"),
    [
        ("optimizer-adagrad", "Adagrad", "eps", "torch.optim.Adagrad's default eps is 1e-10"),
        ("optimizer-rmsprop", "RMSprop", "alpha", "defaults it to 0.99"),
        ("optimizer-adam", "Adam", "lr", "PyTorch's default is 0.001"),
        ("optimizer-adamw", "AdamW", "lr", "PyTorch's default is 0.001"),
    ],
)
def test_notes_state_torch_defaults(entry_id: str, cls: str, key: str, phrase: str) -> None:
    torch = pytest.importorskip("torch", reason="torch is optional (tests/conftest.py)")
    assert phrase in notes(entry_id)
    stated = float(re.search(r"(\d[\d.e-]*)\)?$", phrase).group(1))
    actual = getattr(torch.optim, cls)([torch.zeros(1, requires_grad=True)]).defaults[key]
    assert float(actual) == stated, (entry_id, key, actual)
