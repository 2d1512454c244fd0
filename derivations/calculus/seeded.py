"""Reverse passes seeded with a basis element: the index form of a partial with no matrix form.

Seeding the output with e_i (e_i e_jᵀ for a matrix) makes entry (vars) of the variable's adjoint
the partial ∂y_i/∂W_jk, which the index printer writes as δ_ij x_k.
"""

from __future__ import annotations

from ..expr import nodes as N
from ..expr import shapes as S
from ..expr.derived import Seeded, reserved_names
from ..expr.program import Definition, TypedProgram
from . import algebra as A
from .reverse import backward

INDEX_LETTERS = "ijklpqrs"


def _indices(count: int, used: set[str]) -> tuple[str, ...]:
    free = [c for c in INDEX_LETTERS if c not in used]
    return tuple(free[:count])


def free_indices(count: int, program: TypedProgram) -> tuple[str, ...]:
    """Index letters for an entry, none of them a variable's, intermediate's or dimension's name."""
    return _indices(count, reserved_names(program))


def basis_seed(shape: S.Shape, names: tuple[str, ...]) -> N.Node:
    """e_i for a column, e_iᵀ for a row, e_i e_jᵀ for a matrix."""
    if S.is_scalar(shape):
        return N.Const(1)
    if S.is_column(shape):
        return N.Basis(names[0], shape[0])
    if S.is_row(shape):
        return N.Transpose(N.Basis(names[0], shape[1]))
    return N.MatMul(N.Basis(names[0], shape[0]), N.Transpose(N.Basis(names[1], shape[1])))


def index_count(shape: S.Shape) -> int:
    return 0 if S.is_scalar(shape) else (1 if S.is_vector(shape) else 2)


def seeded_partials(
    definitions: list[Definition],
    output: N.Node,
    wrt: N.Var,
    taken: set[str],
    used: set[str] = frozenset(),
) -> Seeded:
    out_idx = _indices(index_count(output.shape), set(used))
    var_idx = _indices(index_count(wrt.shape), set(used) | set(out_idx))
    seed = basis_seed(output.shape, out_idx)
    result = backward(definitions, output, seed, [wrt.name], taken, name_adjoints=False)
    node = result.adjoints.get(wrt.name) or A.zeros(wrt.shape)
    return Seeded(out_idx, var_idx, node)
