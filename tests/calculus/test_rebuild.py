"""Rebuilding an op over new children goes through the constructor its op spec names.

``calculus/assume.py`` (a kind's fact rewrites a child) and the derivative by a scalar of a
linear op (the op over its children's tangents) rebuild nodes; which simplifying constructor
of ``calculus/algebra.py`` does it is the op spec's ``simplify``, not a table of their own.
"""

from __future__ import annotations

import dataclasses

import pytest

from derivations.calculus import algebra as A
from derivations.calculus.rules import RULES
from derivations.expr import nodes as N
from derivations.expr.shapes import column, dim
from derivations.ops import registry
from derivations.ops.registry import NODES, MissingOp
from derivations.ops.spec import NodeSpec

SPECS = list(NODES.values())


def _names(spec: NodeSpec) -> set[str]:
    label = spec.label if isinstance(spec.label, str) else spec.trace or ""
    return {label, f"{label}_", spec.key.lower()} - {""}


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.key)
def test_every_op_names_its_constructor_if_algebra_has_one(spec: NodeSpec) -> None:
    if spec.simplify is not None:
        assert callable(A.constructor(spec.simplify, spec.cls))
    candidates = {n for n in _names(spec) if callable(getattr(A, n, None))} - {"apply"}
    # Leaves have no children to rebuild; Apply takes its function's name first.
    if RULES[spec.cls].kind != "leaf" and spec.cls is not N.Apply and candidates:
        assert spec.simplify in candidates, (
            f"{spec.key}: algebra.{sorted(candidates)[0]} builds it; name it in its NodeSpec "
            "(simplify=...) so that rewrites keep its identities"
        )


def test_rebuild_keeps_the_constructors_identities() -> None:
    x = N.Var("x", column(dim("n")))
    zero = A.zeros(x.shape)
    assert A.rebuild(N.Add(x, x), (x, zero)) == x  # 0 + x = x
    assert A.rebuild(N.Transpose(x), (N.Transpose(x),)) == x  # (xᵀ)ᵀ = x
    assert A.rebuild(N.Apply("exp", x), (zero,)) == A.apply("exp", zero)
    whole = N.Slice(N.Concat(x, x), 0, dim("n"))
    assert A.rebuild(whole, (N.Concat(x, x),)) == x  # a block of a stack is the part
    y = N.Var("Y", (dim("n"), dim("n")))
    assert A.rebuild(N.Trace(N.Var("X", y.shape)), (y,)) == N.Trace(y)  # no constructor: as is


def test_a_constructor_that_does_not_exist_is_an_explicit_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(registry.NODES, N.Add, dataclasses.replace(NODES[N.Add], simplify="plus"))
    x = N.Var("x", column(dim("n")))
    with pytest.raises(MissingOp, match=r"'Add'.*'plus'.*calculus/algebra\.py.*simplify"):
        A.rebuild(N.Add(x, x), (x, x))
