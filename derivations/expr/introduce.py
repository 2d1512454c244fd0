"""Introduce the lecture's names in a single-expression program: z = Wx + b, h = f(z).

Given ``u.T @ tanh(W @ x + b)`` the lecture writes z = Wx + b and h = f(z) before
differentiating, because the chain rule is stated along named intermediates and δ is the
gradient with respect to z. chainrule does the same for programs that name nothing themselves.
A layer is an elementwise nonlinearity of a matrix product that either adds a bias (f(Wx + b))
or feeds another matrix product (uᵀ f(Wx), W₂ f(W₁x)); its argument becomes z (z₁, z₂, … inner
first when there are several) and its value h. A loss such as Σ softplus(Xw) is no layer and
keeps its textbook form; programs with intermediates of their own are left as written.
"""

from __future__ import annotations

from ..expr import nodes as N
from ..expr.program import Definition, TypedProgram

_NONLINEAR = {"tanh", "sigmoid", "relu", "leaky_relu", "softplus", "exp", "sin", "cos", "abs"}


def _has_matmul(node: N.Node) -> bool:
    return any(isinstance(n, N.MatMul) for n in N.walk(node))


def _affine_with_bias(node: N.Node) -> bool:
    return isinstance(node, N.Add) and any(_has_matmul(t) for t in node.children)


def _layers(root: N.Node) -> list[N.Apply]:
    """Layer applications, children first, each once."""
    fed_to_matmul = {c for n in N.walk(root) if isinstance(n, N.MatMul) for c in n.children}
    found: list[N.Apply] = []
    for node in N.walk(root):
        if (
            isinstance(node, N.Apply)
            and node.fn in _NONLINEAR
            and node.children[0].children
            and _has_matmul(node.children[0])
            and (_affine_with_bias(node.children[0]) or node in fed_to_matmul)
            and node not in found
        ):
            found.append(node)
    return found


def introduce_names(program: TypedProgram) -> TypedProgram:
    if program.definitions:
        return program
    layers = _layers(program.output)
    if not layers:
        return program
    taken = set(program.inputs) | ({program.output_name} if program.output_name else set())
    single = len(layers) == 1
    mapping: dict[N.Node, N.Node] = {}
    definitions: list[Definition] = []
    for k, layer in enumerate(layers, start=1):
        z_name, h_name = ("z", "h") if single else (f"z{k}", f"h{k}")
        if z_name in taken or h_name in taken:
            z_name, h_name = ("z_l", "h_l") if single else (f"z_l{k}", f"h_l{k}")
            if z_name in taken or h_name in taken:
                return program  # the user's names leave no room: keep the program as written
        taken |= {z_name, h_name}
        argument = N.substitute(layer.children[0], mapping)
        definitions.append(Definition(z_name, argument))
        z_ref = N.Var(z_name, argument.shape, "intermediate")
        value = layer.rebuild((z_ref, *(N.substitute(c, mapping) for c in layer.children[1:])))
        definitions.append(Definition(h_name, value))
        mapping[layer] = N.Var(h_name, value.shape, "intermediate")
    output = N.substitute(program.output, mapping)
    return TypedProgram(
        program.source,
        dict(program.inputs),
        definitions,
        output,
        program.output_name,
        list(program.dims),
        introduced={d.name for d in definitions},
    )
