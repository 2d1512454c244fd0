"""Optimizers as small stateful classes: ``step(params, grads, lr)`` updates arrays in place.

Plain SGD uses one global step size. Momentum averages recent gradients so steps keep their
direction through noise. The adaptive methods (Adagrad, RMSprop, Adam) divide by a running size
of each parameter's own gradients, giving every parameter its own effective learning rate.

AdamW (Loshchilov & Hutter) is Adam with *decoupled* weight decay: the weights shrink by a factor
(1 - lr * weight_decay) outside the adaptive step, whereas an L2 term added to the gradient is
divided by sqrt(v_hat) like the rest of it (coupled), so Adam plus L2 is not weight decay.

SparseAdam (PyTorch) is Adam with lazy updates: for an embedding matrix only the rows of the
words in the batch have non-zero gradients, so only those rows' moments and values are updated.
"""

from __future__ import annotations

import numpy as np


class SGD:
    """theta <- theta - lr * g."""

    def step(self, params: dict, grads: dict, lr: float) -> None:
        for name, g in grads.items():
            params[name] -= lr * g


class Momentum:
    """v <- mu * v + g; theta <- theta - lr * v (the heavy-ball form used by PyTorch)."""

    def __init__(self, mu: float = 0.9) -> None:
        self.mu = mu
        self.v: dict = {}

    def step(self, params: dict, grads: dict, lr: float) -> None:
        for name, g in grads.items():
            v = self.mu * self.v.get(name, 0.0) + g
            self.v[name] = v
            params[name] -= lr * v


class Adagrad:
    """G <- G + g^2; theta <- theta - lr * g / (sqrt(G) + eps): rare features keep big steps."""

    def __init__(self, eps: float = 1e-8) -> None:
        self.eps = eps
        self.G: dict = {}

    def step(self, params: dict, grads: dict, lr: float) -> None:
        for name, g in grads.items():
            G = self.G.get(name, 0.0) + g * g
            self.G[name] = G
            params[name] -= lr * g / (np.sqrt(G) + self.eps)


class RMSprop:
    """s <- rho * s + (1 - rho) g^2; theta <- theta - lr * g / (sqrt(s) + eps).

    Adagrad's sum only grows, so its steps vanish; a decaying average forgets old gradients.
    """

    def __init__(self, rho: float = 0.9, eps: float = 1e-8) -> None:
        self.rho = rho
        self.eps = eps
        self.s: dict = {}

    def step(self, params: dict, grads: dict, lr: float) -> None:
        for name, g in grads.items():
            s = self.rho * self.s.get(name, 0.0) + (1 - self.rho) * g * g
            self.s[name] = s
            params[name] -= lr * g / (np.sqrt(s) + self.eps)


class Adam:
    """Momentum on g and RMSprop on g^2, both bias-corrected for their zero start.

    m <- b1 m + (1 - b1) g; v <- b2 v + (1 - b2) g^2; m_hat = m / (1 - b1^t);
    v_hat = v / (1 - b2^t); theta <- theta - lr * m_hat / (sqrt(v_hat) + eps).
    """

    def __init__(self, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.t = 0
        self.m: dict = {}
        self.v: dict = {}

    def step(self, params: dict, grads: dict, lr: float) -> None:
        self.t += 1
        for name, g in grads.items():
            m = self.beta1 * self.m.get(name, 0.0) + (1 - self.beta1) * g
            v = self.beta2 * self.v.get(name, 0.0) + (1 - self.beta2) * g * g
            self.m[name], self.v[name] = m, v
            m_hat = m / (1 - self.beta1**self.t)
            v_hat = v / (1 - self.beta2**self.t)
            params[name] -= lr * m_hat / (np.sqrt(v_hat) + self.eps)


class AdamW(Adam):
    """Adam with decoupled weight decay, as torch.optim.AdamW computes it.

    theta <- theta * (1 - lr * weight_decay), then the Adam step. The decay never enters m or v,
    so every weight shrinks by the same factor whatever its gradient history. Names in
    ``exclude`` (biases) are not decayed. Loshchilov & Hutter write the decay as eta_t * lambda
    with a schedule multiplier eta_t; PyTorch's weight_decay is multiplied by the full lr.
    """

    def __init__(
        self,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        weight_decay: float = 0.01,
        exclude: frozenset | set | tuple = (),
    ) -> None:
        super().__init__(beta1, beta2, eps)
        self.weight_decay = weight_decay
        self.exclude = frozenset(exclude)

    def step(self, params: dict, grads: dict, lr: float) -> None:
        for name in grads:
            if name not in self.exclude:
                params[name] *= 1 - lr * self.weight_decay
        super().step(params, grads, lr)


OPTIMIZERS = {
    "sgd": SGD,
    "momentum": Momentum,
    "adagrad": Adagrad,
    "rmsprop": RMSprop,
    "adam": Adam,
    "adamw": AdamW,
}
# Step sizes that suit each rule on the catalog's small synthetic problems.
DEFAULT_LR = {
    "sgd": 0.1,
    "momentum": 0.05,
    "adagrad": 0.1,
    "rmsprop": 0.01,
    "adam": 0.01,
    "adamw": 0.01,
}
