"""The fixed program set of ``bench/mutants.py`` and its independent references.

Each program has a hand-written reference in ``autograd.numpy`` (HIPS autograd differentiates
it; nothing here touches chainrule), so whether a mutant made a program's answer wrong is
decided without chainrule's own checks. Vectors are 1-D, matrices 2-D, scalars floats.
``positive`` names are drawn in (0.5, 1.5); ``square`` names are drawn near the identity, once
with a negative determinant and once with a positive one.
"""

from __future__ import annotations

import autograd.numpy as anp


def _lse(v):
    m = anp.max(v)
    return m + anp.log(anp.sum(anp.exp(v - m)))


def _sigmoid(x):
    return 1 / (1 + anp.exp(-x))


NET = {"W": ["n", "m"], "x": ["m"], "b": ["n"], "u": ["n"]}
V3 = {"x": ["n"], "y": ["n"], "z": ["n"]}

# id: (program, variables, hessian, reference, positive, square)
PROGRAMS: dict[str, tuple] = {
    "net": (
        "z = W @ x + b; h = tanh(z); s = u.T @ h",
        NET,
        False,
        lambda W, x, b, u: anp.dot(u, anp.tanh(anp.dot(W, x) + b)),
        (),
        (),
    ),
    "mean-sq": (
        "mean((A - B) ** 2)",
        {"A": ["n", "n"], "B": ["n", "n"]},
        False,
        lambda A, B: anp.mean((A - B) ** 2),
        (),
        (),
    ),
    "abs-norm": (
        "sum(abs(x)) / norm2(x)",
        {"x": ["n"]},
        False,
        lambda x: anp.sum(anp.abs(x)) / anp.sqrt(anp.sum(x * x)),
        (),
        (),
    ),
    "logdet": (
        "logdet(A)",
        {"A": ["n", "n"]},
        False,
        lambda A: anp.linalg.slogdet(A)[1],
        (),
        ("A",),
    ),
    "det": (
        "det(A) * c",
        {"A": ["n", "n"], "c": []},
        False,
        lambda A, c: anp.linalg.det(A) * c,
        (),
        ("A",),
    ),
    "trace-inv": (
        "trace(inv(A) @ B)",
        {"A": ["n", "n"], "B": ["n", "n"]},
        False,
        lambda A, B: anp.trace(anp.dot(anp.linalg.inv(A), B)),
        (),
        ("A",),
    ),
    "sigmoid": (
        "sum(sigmoid(W @ x))",
        {"W": ["n", "m"], "x": ["m"]},
        False,
        lambda W, x: anp.sum(_sigmoid(anp.dot(W, x))),
        (),
        (),
    ),
    "softplus": (
        "sum(softplus(x) * y)",
        {"x": ["n"], "y": ["n"]},
        False,
        lambda x, y: anp.sum(anp.logaddexp(0, x) * y),
        (),
        (),
    ),
    "quadratic-hessian": (
        "x.T @ A @ x",
        {"x": ["n"], "A": ["n", "n"]},
        True,
        lambda x, A: anp.dot(x, anp.dot(A, x)),
        (),
        (),
    ),
    "cross-entropy": (
        "-y.T @ log_softmax(W @ x)",
        {"y": ["n"], "W": ["n", "m"], "x": ["m"]},
        False,
        lambda y, W, x: -anp.dot(y, anp.dot(W, x) - _lse(anp.dot(W, x))),
        (),
        (),
    ),
    "relu": (
        "sum(relu(W @ x) * u)",
        {"W": ["n", "m"], "x": ["m"], "u": ["n"]},
        False,
        lambda W, x, u: anp.sum(anp.maximum(anp.dot(W, x), 0) * u),
        (),
        (),
    ),
    "dot": (
        "dot(a, b) * c",
        {"a": ["n"], "b": ["n"], "c": []},
        False,
        lambda a, b, c: anp.dot(a, b) * c,
        (),
        (),
    ),
    "minus": (
        "sum(exp(a - b) * c)",
        {"a": ["n"], "b": ["n"], "c": ["n"]},
        False,
        lambda a, b, c: anp.sum(anp.exp(a - b) * c),
        (),
        (),
    ),
    "mean-tanh": (
        "mean(tanh(W @ x))",
        {"W": ["n", "m"], "x": ["m"]},
        False,
        lambda W, x: anp.mean(anp.tanh(anp.dot(W, x))),
        (),
        (),
    ),
    "max": (
        "sum(max(x, y) * z)",
        V3,
        False,
        lambda x, y, z: anp.sum(anp.maximum(x, y) * z),
        (),
        (),
    ),
    "min": (
        "sum(min(x, y) * z)",
        V3,
        False,
        lambda x, y, z: anp.sum(anp.minimum(x, y) * z),
        (),
        (),
    ),
    "leaky": (
        "sum(leaky_relu(x, 0.1) * y)",
        {"x": ["n"], "y": ["n"]},
        False,
        lambda x, y: anp.sum(anp.where(x > 0, x, 0.1 * x) * y),
        (),
        (),
    ),
    "norm-residual": (
        "norm2(W @ x - y)",
        {"W": ["n", "m"], "x": ["m"], "y": ["n"]},
        False,
        lambda W, x, y: anp.sqrt(anp.sum((anp.dot(W, x) - y) ** 2)),
        (),
        (),
    ),
    "softmax": (
        "sum(softmax(x) * y)",
        {"x": ["n"], "y": ["n"]},
        False,
        lambda x, y: anp.sum(anp.exp(x - _lse(x)) * y),
        (),
        (),
    ),
    "logsumexp": (
        "logsumexp(W @ x)",
        {"W": ["n", "m"], "x": ["m"]},
        False,
        lambda W, x: _lse(anp.dot(W, x)),
        (),
        (),
    ),
    "log": (
        "sum(log(W @ x))",
        {"W": ["n", "m"], "x": ["m"]},
        False,
        lambda W, x: anp.sum(anp.log(anp.dot(W, x))),
        ("W", "x"),
        (),
    ),
    "sqrt": (
        "sum(sqrt(x) * y)",
        {"x": ["n"], "y": ["n"]},
        False,
        lambda x, y: anp.sum(anp.sqrt(x) * y),
        ("x",),
        (),
    ),
    "quotient": (
        "sum(x / y) + sum(1 / (y * y))",
        {"x": ["n"], "y": ["n"]},
        False,
        lambda x, y: anp.sum(x / y) + anp.sum(1 / (y * y)),
        (),
        (),
    ),
    "trig": (
        "sum(sin(x) * cos(y))",
        {"x": ["n"], "y": ["n"]},
        False,
        lambda x, y: anp.sum(anp.sin(x) * anp.cos(y)),
        (),
        (),
    ),
    "diag": (
        "u.T @ diag(x) @ y",
        {"u": ["n"], "x": ["n"], "y": ["n"]},
        False,
        lambda u, x, y: anp.sum(u * x * y),
        (),
        (),
    ),
    "outer": (
        "sum(outer(x, y) * A)",
        {"x": ["n"], "y": ["m"], "A": ["n", "m"]},
        False,
        lambda x, y, A: anp.sum(anp.outer(x, y) * A),
        (),
        (),
    ),
    "concat": (
        "w.T @ tanh(concat(x, y))",
        {"x": ["n"], "y": ["m"], "w": ["n + m"]},
        False,
        lambda x, y, w: anp.dot(w, anp.tanh(anp.concatenate([x, y]))),
        (),
        (),
    ),
    "ridge": (
        "lam * sum(w ** 2) + sum((X @ w - y) ** 2) / 2",
        {"lam": [], "w": ["m"], "X": ["n", "m"], "y": ["n"]},
        False,
        lambda lam, w, X, y: lam * anp.sum(w**2) + anp.sum((anp.dot(X, w) - y) ** 2) / 2,
        (),
        (),
    ),
    "sigmoid-hessian": (
        "sum(sigmoid(x) * tanh(y))",
        {"x": ["n"], "y": ["n"]},
        True,
        lambda x, y: anp.sum(_sigmoid(x) * anp.tanh(y)),
        (),
        (),
    ),
    "logistic-hessian": (
        "sum(softplus(X @ w)) - y.T @ (X @ w)",
        {"X": ["n", "m"], "w": ["m"], "y": ["n"]},
        True,
        lambda X, w, y: anp.sum(anp.logaddexp(0, anp.dot(X, w))) - anp.dot(y, anp.dot(X, w)),
        (),
        (),
    ),
    "jacobian-tanh": (
        "tanh(W @ x + b)",
        {"W": ["n", "m"], "x": ["m"], "b": ["n"]},
        False,
        lambda W, x, b: anp.tanh(anp.dot(W, x) + b),
        (),
        (),
    ),
    "jacobian-softmax": ("softmax(x)", {"x": ["n"]}, False, lambda x: anp.exp(x - _lse(x)), (), ()),
    "jacobian-elementwise": (
        "x * y - x / (1 + y * y)",
        {"x": ["n"], "y": ["n"]},
        False,
        lambda x, y: x * y - x / (1 + y * y),
        (),
        (),
    ),
    "two-layer": (
        "h1 = relu(W1 @ x + b1); h2 = sigmoid(W2 @ h1); s = u.T @ h2",
        {"W1": ["n", "m"], "x": ["m"], "b1": ["n"], "W2": ["k", "n"], "u": ["k"]},
        False,
        lambda W1, x, b1, W2, u: anp.dot(
            u, _sigmoid(anp.dot(W2, anp.maximum(anp.dot(W1, x) + b1, 0)))
        ),
        (),
        (),
    ),
    "neg-frob": (
        "-sum(A * B) + 2 * trace(A.T @ B) - sum(-(2 * x - 1) * y)",
        {"A": ["n", "m"], "B": ["n", "m"], "x": ["n"], "y": ["n"]},
        False,
        lambda A, B, x, y: (
            -anp.sum(A * B) + 2 * anp.trace(anp.dot(A.T, B)) - anp.sum(-(2 * x - 1) * y)
        ),
        (),
        (),
    ),
}
