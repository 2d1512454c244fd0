"""Calls in a program -> typed nodes: the function table is the op registry.

Every call is checked here (is it a function, does it take this many arguments), then built by
its registry entry's builder (``derivations/ops``), which checks the operands' shapes and
explains a mismatch. Elementwise functions share one builder: equal shapes or a scalar.
"""

from __future__ import annotations

import difflib
from typing import Any

from ..errors import ChainruleError
from ..expr import nodes as N
from ..expr import shapes as S
from ..expr.axis_nodes import AxisLogSoftmax, AxisSoftmax
from ..expr.broadcast import broadcast_pair
from ..ops.registry import CALLS, FUNCTIONS, usage
from ..ops.spec import Builder, FunctionSpec
from .ast import Call, Name, Pos
from .axes import AXIS_FUNCTIONS, axis_call
from .declarations import USER_FUNCTIONS
from .indexing import CALLS as INDEX_CALLS

# The builders of every non-elementwise call, by name (tests swap one to check that a wrong
# reading of the source is caught).
BUILDERS: dict[str, Builder] = {
    name: spec.build  # type: ignore[misc]
    for name, spec in CALLS.items()
    if not isinstance(spec, FunctionSpec)
}


class CallElaboration:
    """The elaborator's calls (mixed into ``elaborate._Elaborator``)."""

    inputs: dict[str, N.Var]
    intermediates: dict[str, N.Var]
    derivative_functions: bool

    def error(
        self, kind: str, message: str, pos: Pos, hint: str | None = None, **details: object
    ) -> ChainruleError:
        raise NotImplementedError  # provided by the elaborator

    def shape_error(
        self, message: str, pos: Pos, hint: str | None, *operands: N.Node
    ) -> ChainruleError:
        raise NotImplementedError  # provided by the elaborator

    def expr(self, syn: Any) -> N.Node:
        raise NotImplementedError  # provided by the elaborator

    def call(self, syn: Call) -> N.Node:
        name = syn.func
        if name in INDEX_CALLS:  # x[i], z[y], onehot(y, k), cross_entropy(z, y)
            return INDEX_CALLS[name](self, syn)
        if name not in USER_FUNCTIONS and (name in self.inputs or name in self.intermediates):
            raise self.error(
                "unknown_function",
                f"{name!r} is a variable, not a function",
                syn.func_pos,
                f"write an operator for the product: {name} @ (...) for a matrix product,"
                f" {name} * (...) for a product by a scalar or elementwise",
                name=name,
            )
        if name == "ones" and not syn.args:  # 𝟏 of a LaTeX answer that its context did not size
            raise self.error(
                "unknown_function",
                "𝟏 (a vector of ones) has no form in the expression language",
                syn.func_pos,
                "write the answer without 𝟏, e.g. \\sum_i x_i as \\sum x, or 𝟏 xᵀ as a sum of rows",
                name=name,
            )
        if syn.keywords:  # sum(X, axis=1) and the other calls along an axis
            return axis_call(self, syn)  # type: ignore[arg-type]
        internal = (
            (syn.internal or self.derivative_functions)
            and name in FUNCTIONS
            and not FUNCTIONS[name].user_facing
        )
        if name not in USER_FUNCTIONS and not internal:
            # A swap of letters first (tahn is tanh, not tan), then the nearest by difflib.
            close = [f for f in USER_FUNCTIONS if sorted(f) == sorted(name)][:1] or (
                difflib.get_close_matches(name, list(USER_FUNCTIONS), n=1, cutoff=0.5)
            )
            hint = (
                f"did you mean {close[0]}?"
                if close
                else "known functions: " + ", ".join(sorted(USER_FUNCTIONS))
            )
            raise self.error(
                "unknown_function", f"unknown function {name!r}", syn.func_pos, hint, name=name
            )
        arity = FUNCTIONS[name].arity if internal else USER_FUNCTIONS[name]
        if (arity is None and not syn.args) or (arity is not None and len(syn.args) != arity):
            want = (
                "one or more arguments"
                if arity is None
                else f"{arity} argument{'s' * (arity != 1)}"
            )
            raise self.error(
                "arity",
                f"{name} takes {want}, got {len(syn.args)}",
                syn.func_pos,
                f"call it as {usage(name)}",
                expected=arity,
                got=len(syn.args),
            )
        spec = CALLS.get(name)
        if getattr(spec, "size_args", False):
            args = [self.size(a, name) for a in syn.args]
        else:
            args = [self.expr(a) for a in syn.args]
        if name == "log" and isinstance(args[0], N.Softmax):
            # log softmax(z) is the log-softmax: one op, stable in value and in gradient.
            return N.LogSoftmax(args[0].children[0])
        if name == "log" and isinstance(args[0], AxisSoftmax):  # the same along an axis
            return AxisLogSoftmax(args[0].children[0], args[0].axis)
        if name in FUNCTIONS:
            return self.elementwise(name, args, syn)
        return BUILDERS[name](self, args, syn)

    def size(self, syn: Any, name: str) -> N.Const:
        """An argument that is a size, ones(n) or eye(3): a declared dimension or a positive
        integer (or an expression of them, 2 * n)."""
        dims = sorted(str(d) for d in getattr(self, "dims", []))
        known = (
            f"the declared dimensions are {', '.join(dims)}" if dims else "no dimension is declared"
        )
        if isinstance(syn, Name) and syn.id not in dims and syn.id not in self.inputs:
            raise self.error(
                "undeclared_name",
                f"{syn.id!r} is not a declared dimension ({name} takes a size)",
                syn.pos,
                f"{known}; write e.g. {name}({dims[0] if dims else 3}), or declare a variable"
                f" with the dimension {syn.id} (--var x={syn.id})",
                name=syn.id,
            )
        dim = next(
            (d for d in getattr(self, "dims", []) if str(d) == getattr(syn, "id", None)), None
        )
        value = N.Const(dim) if dim is not None else self.expr(syn)  # ones(T) is fine
        ok = isinstance(value, N.Const) and value.value.is_integer and value.value.is_positive
        if not ok:
            raise self.error(
                "shape_mismatch" if not isinstance(value, N.Const) else "value",
                f"{name} takes a size: a declared dimension or a positive integer, not"
                f" {S.describe(value.shape) if not isinstance(value, N.Const) else value.value}",
                getattr(syn, "pos", Pos(1, 1)),
                f"{known}; write e.g. {name}({dims[0] if dims else 3})",
            )
        return value  # type: ignore[return-value]

    def elementwise(self, name: str, args: list[N.Node], syn: Call) -> N.Node:
        spec = FUNCTIONS[name]
        if spec.scalar_params:
            for extra in args[1:]:
                if not extra.is_scalar:
                    raise self.shape_error(
                        f"the second argument of {name} must be a scalar, not {S.describe(extra.shape)}",
                        syn.func_pos,
                        f"e.g. {name}(x, 0.01)",
                        *args,
                    )
        elif len(args) == 2:
            pair = broadcast_pair(*args)  # max(X, b) spreads b over X's columns, as + does
            if pair is None:
                raise self.shape_error(
                    f"{name} of {S.describe(args[0].shape)} and {S.describe(args[1].shape)}: shapes must match",
                    syn.func_pos,
                    f"{name} is elementwise: give two arrays of the same shape, a scalar, or a"
                    " vector and a matrix",
                    *args,
                )
            args = list(pair)
        return N.Apply(name, *args)

    def need_vector(self, name: str, a: N.Node, syn: Call) -> None:
        if not S.is_column(a.shape):
            hint = f"{name} works on column vectors"
            if S.is_row(a.shape):
                hint += f": drop the transpose, {name}(x)"
            elif S.is_matrix(a.shape) and name in AXIS_FUNCTIONS:
                hint = f"give the axis: {name}(X, axis=1) along each row, axis=0 along each column"
            raise self.shape_error(
                f"{name} needs a vector, got {S.describe(a.shape)}", syn.func_pos, hint, a
            )

    def need_square(self, name: str, a: N.Node, syn: Call) -> None:
        if not S.is_matrix(a.shape) or a.shape[0] != a.shape[1]:
            raise self.shape_error(
                f"{name} needs a square matrix, got {S.describe(a.shape)}",
                syn.func_pos,
                "declare it with equal dimensions, e.g. --var X=n,n",
                a,
            )
