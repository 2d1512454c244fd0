"""Benchmark programs, shared by the bench scripts and the rendering-work test (no side effects:
importing this sets no thread counts and times nothing)."""

from __future__ import annotations


def mlp(layers: int) -> tuple[str, dict]:
    """A tanh MLP of ``layers`` layers scored by uᵀh: z_k = W_k h_{k−1} + b_k, h_k = tanh(z_k)."""
    lines, variables = [], {"x": ("m",), "u": ("n",)}
    prev = "x"
    for k in range(1, layers + 1):
        lines += [f"z{k} = W{k} @ {prev} + b{k}", f"h{k} = tanh(z{k})"]
        variables[f"W{k}"] = ("n", "m") if k == 1 else ("n", "n")
        variables[f"b{k}"] = ("n",)
        prev = f"h{k}"
    lines.append(f"s = u.T @ {prev}")
    return "\n".join(lines), variables
