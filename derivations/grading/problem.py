"""A homework problem: the program, what is asked (gradient or Jacobian), and the names allowed.

A problem is plain data (pydantic, so the REST service and assignment files validate it the
same way). Its *reference* is derived once and cached: the typed program, the derivation, the
names a student may use (variables, the program's intermediates, the δs the derivation defines
and the instructor's own definitions), and the reference node the answers are judged against.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..calculus.derivation import Derivation, derive_program
from ..declared import Declaration, shape_of
from ..errors import ChainruleError
from ..expr import nodes as N
from ..expr import shapes as S
from ..expr.introduce import introduce_names
from ..expr.program import Definition, TypedProgram
from ..language.elaborate import _check_name, elaborate
from ..limits import DEFAULT_LIMITS, Limits

KINDS = ("gradient", "jacobian")


class KnownWrong(BaseModel):
    """An instructor's mal-rule: a wrong answer seen in class, with its own feedback and credit."""

    model_config = ConfigDict(extra="forbid")
    answer: str = Field(min_length=1, max_length=20_000)
    format: Literal["expression", "latex"] = "expression"
    feedback: str = Field(min_length=1, max_length=5_000)
    credit: float = Field(default=0.0, ge=0.0, le=1.0)


class Problem(BaseModel):
    """What the student is asked: ∂(program's output)/∂wrt as a gradient or a Jacobian."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    program: str = Field(min_length=1, max_length=20_000)
    variables: dict[str, Declaration]
    wrt: str
    kind: Literal["gradient", "jacobian"] = "gradient"
    names: list[str] | None = None
    definitions: dict[str, str] | None = None
    reveal_reference: bool = False
    known_wrong: list[KnownWrong] = Field(default_factory=list, max_length=100)
    credit: dict[str, float] = Field(default_factory=dict)

    @field_validator("credit")
    @classmethod
    def _shares(cls, value: dict[str, float]) -> dict[str, float]:
        for kind, share in value.items():
            if not 0.0 <= share <= 1.0:
                raise ValueError(f"credit for {kind!r} must be between 0 and 1, not {share}")
        return value

    @classmethod
    def from_catalog(cls, entry_id: str, wrt: str | None = None, **extra: Any) -> Problem:
        """A problem from a catalog entry: its program and variables, by its first wrt or ``wrt``."""
        from ..catalog.loader import find

        entry = find(entry_id)
        chosen = wrt or entry.wrt[0]
        if chosen not in entry.variables:
            raise ChainruleError(
                "not_a_variable",
                f"catalog entry {entry_id!r} has no variable {chosen!r}",
                hint="choose one of " + ", ".join(entry.variables),
            )
        variables = {
            k: dict(v) if isinstance(v, dict) else list(v) for k, v in entry.variables.items()
        }
        return cls(program=entry.program, variables=variables, wrt=chosen, **extra)

    def key(self) -> str:
        """Canonical JSON: the cache key of the reference (answers and credits excluded)."""
        fields = {k: getattr(self, k) for k in ("program", "variables", "wrt", "kind", "names")}
        fields["definitions"] = self.definitions
        return json.dumps(fields, sort_keys=True, default=str)


@dataclass
class Reference:
    """Everything an answer is judged against, derived once per problem."""

    problem: Problem
    program: TypedProgram
    derivation: Derivation
    names: dict[str, N.Var]  # the names a student may use, as typed nodes
    definitions: list[Definition]  # every named quantity, in evaluation order
    node: N.Node  # the reference answer, over the names above
    symbol: str  # the output's name in ∂s/∂W
    meanings: dict[str, str] = field(default_factory=dict)

    @property
    def expected_shape(self) -> S.Shape:
        return self.node.shape

    @property
    def wrt_var(self) -> N.Var:
        return self.program.inputs[self.problem.wrt]


def _reference_node(problem: Problem, derivation: Derivation) -> N.Node:
    program = derivation.program
    item = next(i for i in derivation.items if i.wrt == problem.wrt)
    var = program.inputs[problem.wrt]
    if problem.kind == "gradient":
        if not program.output.is_scalar:
            raise ChainruleError(
                "problem",
                f"the program's output is {S.describe(program.output.shape)}, so it has no gradient",
                hint='ask for kind = "jacobian", or make the output a scalar (e.g. u.T @ ...)',
            )
        assert item.matrix is not None
        return item.matrix
    if program.output.is_scalar:
        if S.is_matrix(var.shape):
            raise ChainruleError(
                "problem",
                f"a Jacobian of a scalar by the matrix {problem.wrt} has no matrix form",
                hint='ask for kind = "gradient" (the shape convention)',
            )
        assert item.matrix is not None
        return item.matrix if var.is_scalar else N.Transpose(item.matrix)
    if item.matrix is None:
        raise ChainruleError(
            "problem",
            f"∂/∂{problem.wrt} of this program has no matrix form (it is an index form)",
            hint="ask for a gradient of a scalar, or a Jacobian of a vector by a vector",
        )
    return item.matrix


def _instructor_definitions(
    problem: Problem, names: dict[str, N.Var], limits: Limits
) -> list[Definition]:
    """``delta = u * (1 - h**2)``: elaborated in order, each seeing the names before it."""
    from .answers import elaborate_against

    out: list[Definition] = []
    for name, text in (problem.definitions or {}).items():
        _check_name(name, "definition")
        if name in names and names[name].role == "input":
            raise ChainruleError(
                "problem", f"definition {name!r} would redefine a variable", hint="rename it"
            )
        node = elaborate_against(text, problem.variables, names, limits)
        out.append(Definition(name, node))
        names[name] = N.Var(name, node.shape, "defined")
    return out


def build_reference(problem: Problem, limits: Limits = DEFAULT_LIMITS) -> Reference:
    """Derive the reference and collect the names (uncached; see ``reference``)."""
    if problem.wrt not in problem.variables:
        raise ChainruleError(
            "not_a_variable",
            f"wrt {problem.wrt!r} is not a declared variable",
            hint="choose one of " + ", ".join(problem.variables),
        )
    for name, declared in problem.variables.items():
        dims = shape_of(declared)
        numeric = [int(str(d).strip()) for d in dims if str(d).strip().isdigit()]
        big = [d for d in numeric if d > limits.max_verify_dim]
        if big:
            raise ChainruleError(
                "problem",
                f"{name} has the numeric dimension {big[0]}; answers are checked at small sizes, "
                f"so numeric dimensions may be at most {limits.max_verify_dim}",
                hint=f'declare the dimension by name, e.g. "{name}": ["n", "m"]',
            )
    typed = introduce_names(elaborate(problem.program, problem.variables, limits))
    # Every parameter (and wrt, even if it is data), so that the δs the lecture names (shared
    # by several gradients) exist.
    wrt = typed.parameters or []
    if problem.wrt not in wrt:
        wrt = [*wrt, problem.wrt]
    derivation = derive_program(typed, wrt, False)
    names: dict[str, N.Var] = dict(typed.inputs)
    for d in typed.definitions:
        names[d.name] = d.ref
    for d in derivation.adjoint_definitions():
        names[d.name] = N.Var(d.name, d.node.shape, "adjoint")
    definitions = [*typed.definitions, *derivation.adjoint_definitions()]
    definitions += _instructor_definitions(problem, names, limits)
    if problem.names is not None:
        unknown = [n for n in problem.names if n not in names]
        if unknown:
            raise ChainruleError(
                "problem",
                f"allowed names {unknown} are neither variables nor defined quantities",
                hint="allowed names may be: " + ", ".join(names),
            )
        allowed = {n: names[n] for n in problem.names}
    else:
        allowed = names
    node = _reference_node(problem, derivation)
    meanings = dict(derivation.backward.meanings) if derivation.backward else {}
    return Reference(
        problem, typed, derivation, allowed, definitions, node, derivation.output_symbol, meanings
    )
