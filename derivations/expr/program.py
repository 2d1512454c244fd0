"""A typed program: declared inputs, named intermediates in order, and the output expression."""

from __future__ import annotations

from dataclasses import dataclass, field

from .kinds import PARAMETER, Declaration
from .nodes import Node, Var, substitute


@dataclass(frozen=True)
class Definition:
    name: str
    node: Node

    @property
    def ref(self) -> Var:
        return Var(self.name, self.node.shape, "intermediate")


@dataclass
class TypedProgram:
    source: str
    inputs: dict[str, Var]
    definitions: list[Definition]
    output: Node
    output_name: str | None = None
    dims: list = field(default_factory=list)  # symbolic dimensions, first appearance order
    # Names chainrule introduced (z = Wx + b, h = f(z)) in a program that named nothing itself.
    introduced: set[str] = field(default_factory=set)
    # Roles and kinds of the inputs (``expr/kinds.py``); a name missing here is a parameter.
    declarations: dict[str, Declaration] = field(default_factory=dict)

    def declaration(self, name: str) -> Declaration:
        return self.declarations.get(name, PARAMETER)

    def kind(self, name: str) -> str | None:
        return self.declaration(name).kind

    @property
    def kinds(self) -> dict[str, str]:
        """The inputs declared with a kind, and their kinds."""
        return {n: d.kind for n, d in self.declarations.items() if d.kind is not None}

    @property
    def axes(self) -> dict[str, int]:
        """The matrices declared one-hot or probability along an axis, and their axes."""
        return {n: d.axis for n, d in self.declarations.items() if d.axis is not None}

    @property
    def parameters(self) -> list[str]:
        """The inputs differentiated by default: every one not declared as data."""
        return [n for n in self.inputs if not self.declaration(n).is_data]

    # The program as the user wrote it, when recognition (σ for 1/(1 + e^{-a}), …) rewrote it;
    # verification compares the derivatives with this one.
    written: TypedProgram | None = None

    @property
    def as_written(self) -> TypedProgram:
        return self.written or self

    def definition(self, name: str) -> Definition | None:
        for d in self.definitions:
            if d.name == name:
                return d
        return None

    def inlined(self, node: Node | None = None) -> Node:
        """The output (or ``node``) with every intermediate replaced by its definition."""
        expanded: dict[Node, Node] = {}
        for d in self.definitions:
            expanded[d.ref] = substitute(d.node, expanded)
        return substitute(self.output if node is None else node, expanded)
