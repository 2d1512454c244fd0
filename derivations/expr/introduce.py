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
from ..ops.registry import function_spec


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
            and function_spec(node.fn).names_layer
            and node.children[0].children
            and _has_matmul(node.children[0])
            and (_affine_with_bias(node.children[0]) or node in fed_to_matmul)
            and node not in found
        ):
            found.append(node)
    return found


_SCHEMES = (("z", "h"), ("zeta", "eta"))  # ζ and η when the user already has z or h


def introduce_names(program: TypedProgram) -> TypedProgram:
    if program.definitions:
        return program
    layers = _layers(program.output)
    if not layers:
        return program
    arguments: list[N.Node] = []
    for layer in layers:
        if layer.children[0] not in arguments:
            arguments.append(layer.children[0])
    taken = set(program.inputs) | ({program.output_name} if program.output_name else set())
    taken |= {str(d) for d in program.dims}

    def names(z: str, h: str) -> tuple[list[str], list[str]]:
        zs = [z] if len(arguments) == 1 else [f"{z}{k}" for k in range(1, len(arguments) + 1)]
        if len(layers) == 1:
            hs = [h]
        elif len(arguments) == len(layers):  # one layer per argument: h_k pairs with z_k
            hs = [f"{h}{arguments.index(layer.children[0]) + 1}" for layer in layers]
        else:
            hs = [f"{h}{k}" for k in range(1, len(layers) + 1)]
        return zs, hs

    for z, h in _SCHEMES:  # one scheme for every layer, never a mix
        z_names, h_names = names(z, h)
        if not (set(z_names) | set(h_names)) & taken:
            break
    else:
        return program  # the user's names leave no room: keep the program as written
    mapping: dict[N.Node, N.Node] = {}
    definitions: list[Definition] = []
    z_refs: dict[N.Node, N.Node] = {}
    for layer, h_name in zip(layers, h_names, strict=True):
        argument = layer.children[0]
        if argument not in z_refs:
            z_name = z_names[arguments.index(argument)]
            body = N.substitute(argument, mapping)
            definitions.append(Definition(z_name, body))
            z_refs[argument] = N.Var(z_name, body.shape, "intermediate")
            mapping[argument] = z_refs[argument]  # every other use of Wx + b reads z too
        value = layer.rebuild(
            (z_refs[argument], *(N.substitute(c, mapping) for c in layer.children[1:]))
        )
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
        declarations=dict(program.declarations),
        written=program.written,
    )
