"""Issue 14's network entries read as the textbook writes them (their values are checked by
test_derivations.py; these pin the forms that the entries exposed bugs in)."""

from __future__ import annotations

import sympy as sp

from derivations import derive
from derivations.catalog.loader import catalog
from derivations.printing.unicode import to_unicode
from derivations.verify.explicit import plain_matmul


def _shown(entry_id: str) -> tuple[dict[str, str], list[str]]:
    e = catalog()[entry_id]
    d = derive(e.program, dict(e.variables), wrt=list(e.wrt), verify=False).to_dict()
    defs = {to_unicode(x["symbol"]): to_unicode(x["latex"]) for x in d["definitions"]}
    return defs, [to_unicode(x["latex"]) for x in d["derivatives"]]


def test_batch_norm_names_sigma_and_xhat() -> None:
    defs, grads = _shown("batch-normalization")
    assert defs["Δ_X̂"] == "R ∘ (γ 𝟏ᵀ)"  # the accent survives in the δ's name
    assert "√" not in defs["Δ_C"] and "σ³" in defs["Δ_C"]  # √v is σ wherever it recurs
    assert grads == ["Δ_C - (1/B) Δ_C 𝟏 𝟏ᵀ", "(R ∘ X̂) 𝟏", "R 𝟏"]


def test_attention_has_the_textbooks_dp_and_ds() -> None:
    defs, grads = _shown("self-attention")
    assert defs["Δ_P"] == "R Vᵀ"
    assert defs["Δ_S"] == "P ∘ (Δ_P - (Δ_P ∘ P) 𝟏 𝟏ᵀ)"
    assert grads == ["Xᵀ Δ_Q", "Xᵀ Δ_K", "Xᵀ Δ_V"]


def test_transformer_block_has_every_weight_gradient() -> None:
    defs, grads = _shown("transformer-block")
    assert grads == ["Xᵀ Δ_Q", "Xᵀ Δ_K", "Xᵀ Δ_V", "Nᵀ Δ_Z", "Uᵀ Δ_F", "Fᵀ Δ_L"]
    assert defs["Δ_L"] == "softmax_row(L) - Y"  # Y one-hot along axis 1: Ŷ − Y
    assert defs["Δ_S"] == "P ∘ (Δ_P - (Δ_P ∘ P) 𝟏 𝟏ᵀ)"  # the self-attention entry's form
    assert defs["Δ_H"] == "Δ_C - (1/e) Δ_C 𝟏 𝟏ᵀ"
    assert defs["Δ_N"] == "Δ_F + Δ_Z W₁ᵀ"  # the MLP's residual adds its branches
    assert "Φ(Z)" in defs["Δ_Z"]  # GELU′ = Φ + z φ


def test_an_intermediates_inner_delta_takes_its_layer_number() -> None:
    """½ Σ (Z₂ − Y)² names the δ of Z₂ − Y, which is Z₂'s whole adjoint: it is Δ₂, not Δ₁
    suffixed (Δ_(1,2)) after the hidden layer's Δ₁."""
    defs, _ = _shown("batched-two-layer-network")
    assert defs["Δ₂"] == "Z₂ - Y" and "Δ₂" in defs["Δ₁"]


def test_plain_matmul_is_sympys_product() -> None:
    x = sp.symbols("x0:6", real=True)
    a = sp.Matrix(2, 3, lambda i, j: sp.exp(x[i + j]) / (1 + x[j]))
    b = sp.Matrix(3, 2, lambda i, j: sp.sqrt(x[i] ** 2 + 1) * x[j + 3])
    assert (plain_matmul(a, b) - a * b).applyfunc(sp.simplify) == sp.zeros(2, 2)
