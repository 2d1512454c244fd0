"""Errors a user can cause, each naming the position, the problem and the fix.

Every failure that user input can trigger is a ``ChainruleError``; anything else escaping the
library is a bug. The CLI prints ``str(error)`` and exits 2; the service maps ``kind`` to an
RFC 9457 problem type and copies ``position`` and ``hint`` into it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# The title of each kind's problem document (RFC 9457), as the service and ``--json`` print it.
PROBLEM_TITLES = {
    "syntax": "Syntax error",
    "undeclared_name": "Undeclared name",
    "unknown_function": "Unknown function",
    "shape_mismatch": "Shape mismatch",
    "arity": "Wrong number of arguments",
    "not_a_variable": "Not a variable",
    "declaration": "Invalid declaration",
    "limit": "Limit exceeded",
    "value": "Invalid value",
    "not_found": "Not found",
}


@dataclass
class ChainruleError(Exception):
    """A user-facing error with an optional source position and a hint on how to fix it.

    ``kind`` is a stable machine-readable slug (``syntax``, ``undeclared_name``,
    ``unknown_function``, ``shape_mismatch``, ``arity``, ``not_a_variable``, ``declaration``,
    ``limit``, ``value``); clients branch on it, humans read ``message`` and ``hint``.
    """

    kind: str
    message: str
    line: int | None = None
    column: int | None = None
    hint: str | None = None
    source: str | None = field(default=None, repr=False)
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    @classmethod
    def limit(
        cls,
        name: str,
        value: int,
        message: str,
        hint: str,
        line: int | None = None,
        column: int | None = None,
        source: str | None = None,
    ) -> ChainruleError:
        """A bound was exceeded: ``details`` names the limit so clients can react to it."""
        return cls("limit", message, line, column, hint, source, {"limit": name, "value": value})

    @property
    def position(self) -> dict[str, int] | None:
        if self.line is None or self.column is None:
            return None
        return {"line": self.line, "column": self.column}

    def excerpt(self) -> str | None:
        """The offending source line with a caret under the column, as compilers print it."""
        if self.source is None or self.line is None or self.column is None:
            return None
        lines = self.source.splitlines() or [""]
        if not 1 <= self.line <= len(lines):
            return None
        text = lines[self.line - 1]
        if len(text) > 120:  # keep long lines readable: a window around the caret
            start = max(0, self.column - 60)
            text, col = text[start : start + 120], self.column - start
        else:
            col = self.column
        return f"  {text}\n  {' ' * (col - 1)}^"

    def __str__(self) -> str:
        where = f"line {self.line}, column {self.column}: " if self.position else ""
        parts = [f"error: {where}{self.message}"]
        excerpt = self.excerpt()
        if excerpt:
            parts.append(excerpt)
        if self.hint:
            parts.append(f"hint: {self.hint}")
        return "\n".join(parts)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "message": self.message}
        if self.position:
            out["position"] = self.position
        if self.hint:
            out["hint"] = self.hint
        excerpt = self.excerpt()
        if excerpt:
            out["excerpt"] = excerpt
        if self.details:
            out["details"] = self.details
        return out

    def to_problem(self) -> dict[str, Any]:
        """The error as the service's problem document (``application/problem+json``), so that
        ``chainrule ... --json`` and ``POST /v1/...`` report a failure in the same shape."""
        data = self.to_dict()
        problem: dict[str, Any] = {
            "type": "/problems/" + self.kind.replace("_", "-"),
            "title": PROBLEM_TITLES.get(self.kind, self.kind.replace("_", " ").capitalize()),
            "status": 404 if self.kind == "not_found" else 422,
            "detail": self.message,
            "kind": self.kind,
        }
        problem.update(
            {k: data[k] for k in ("position", "hint", "excerpt", "details") if k in data}
        )
        return problem
