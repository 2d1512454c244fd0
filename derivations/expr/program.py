"""A typed program: declared inputs, named intermediates in order, and the output expression."""

from __future__ import annotations

from dataclasses import dataclass, field

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
