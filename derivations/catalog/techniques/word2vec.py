"""word2vec bookkeeping: from the derived gradient by U_neg back to the vocabulary's rows.

The catalog's negative-sampling program takes the K sampled outside vectors as the columns of
U_neg (d × K). The CS224N assignment stores outside vectors as the rows of ``outsideVectors``
(V × d, the transpose of the catalog's U), and samples the K negatives with replacement, so an
index can repeat. Each copy contributes its own gradient, and the word's row gets their sum.
"""

from __future__ import annotations

import numpy as np


def scatter_outside_gradient(
    grad_u_neg: np.ndarray, indices: np.ndarray, vocab_size: int
) -> np.ndarray:
    """The V × d gradient of ``outsideVectors`` from dJ/dU_neg (d × K) and the sampled indices.

    ``np.add.at`` accumulates repeated indices. ``grad[indices] = ...`` and even
    ``grad[indices] += ...`` keep only one copy per repeated word, which is wrong.
    """
    indices = np.asarray(indices)
    if grad_u_neg.ndim != 2 or grad_u_neg.shape[1] != indices.shape[0]:
        raise ValueError(
            f"dJ/dU_neg has shape {grad_u_neg.shape}; expected (d, K) with K = {indices.shape[0]}"
        )
    grad = np.zeros((vocab_size, grad_u_neg.shape[0]))
    np.add.at(grad, indices, grad_u_neg.T)
    return grad
