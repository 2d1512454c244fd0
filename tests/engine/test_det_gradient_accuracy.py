"""The engine's det gradient is accurate enough to be the Hessian's reference at 16×16.

The engine checks a Hessian against finite differences of its own gradient, which divide that
gradient's rounding error by h. det(A) at 16×16 failed the 1e-6 tolerance (1.4e-6) because
the gradient came from the SVD adjugate, ~25× less accurate than det(A)·A⁻ᵀ; the generated
Hessian itself agreed with a 40-digit reference to 1e-11. A singular A keeps the adjugate.
"""

from __future__ import annotations

import mpmath
import numpy as np

from derivations import derive
from derivations.engine.gates import _det_backward
from derivations.limits import DEFAULT_LIMITS
from derivations.verify import run as R
from derivations.verify.numeric import load_module, rel_error


def _reference_gradient(a: np.ndarray) -> np.ndarray:
    with mpmath.workdps(40):
        m = mpmath.matrix(a.tolist())
        det, inv = mpmath.det(m), m**-1
        n = a.shape[0]
        return np.array([[float(det * inv[j, i]) for j in range(n)] for i in range(n)])


def _gradient(a: np.ndarray) -> np.ndarray:
    out = np.linalg.det(a).reshape(1, 1)
    return _det_backward((), np.ones((1, 1)), out, [a], [True])[0]


def _verification_draw() -> np.ndarray:
    """The 16×16 input the verification of det(A) samples (seeded: the same every run)."""
    result = derive("det(A)", {"A": (16, 16)}, hessian=True, verify=False)
    ctx = R.Context(result, load_module(result.code["numpy"]), DEFAULT_LIMITS, 0)
    R._sample(ctx)
    return ctx.draws[0][1]["A"]


def test_the_det_gradient_is_accurate_where_verification_samples() -> None:
    a = _verification_draw()
    err, _ = rel_error(_gradient(a), _reference_gradient(a))
    assert err < 1e-12, err  # the SVD adjugate: 3.3e-12; det(A)·A⁻ᵀ by LU: 1.3e-13


def test_a_singular_matrix_still_gets_its_adjugate() -> None:
    a = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])  # rank 2
    cofactors = np.array([[4.0, 4.0, -4.0], [-2.0, -2.0, 2.0], [0.0, 0.0, 0.0]])  # ∂det/∂A_ij
    assert np.allclose(_gradient(a), cofactors, atol=1e-12)


def test_det_of_a_16x16_matrix_verifies_with_its_hessian() -> None:
    result = derive("det(A)", {"A": (16, 16)}, hessian=True)
    checks = {c["method"]: c for c in result.verification["checks"]}
    assert checks["backprop_engine"]["passed"], checks["backprop_engine"]
    assert result.verification_passed
