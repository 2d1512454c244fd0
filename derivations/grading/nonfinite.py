"""Answers that are not finite at a draw where the right one is: why, in the student's terms.

An answer such as ``B.T * exp(1000) / exp(1000)`` equals the right one on paper but overflows
in float64 at every input: that says nothing about its correctness, so it is reported as not
evaluable (with the subexpression that overflows), never as a wrong answer. An answer that is
undefined where the derivative is defined (the log of a negative number, a division by zero)
is wrong, and the diagnosis says where it breaks instead of listing "None" entries.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..expr import nodes as N
from .equivalence import Judge
from .evaluate import Draw

CAUSES = {
    "overflow": "overflows (its value is beyond float64's largest, about 1.8·10³⁰⁸)",
    "divide by zero": "divides by zero",
    "invalid value": "is not a real number (the log or root of a negative number, or 0/0)",
    "singular matrix": "inverts a singular matrix",
}


@dataclass
class NonFinite:
    draw: Draw
    node: N.Node | None  # the subexpression where the answer stops being finite, if known
    cause: str | None  # a key of CAUSES, if known

    @property
    def overflow(self) -> bool:
        return self.cause == "overflow"

    def what(self) -> str:
        return CAUSES.get(self.cause or "", "is not finite (inf or NaN)")


def _finite(value: np.ndarray) -> bool:
    return bool(np.all(np.isfinite(value)))


def non_finite(judge: Judge, answer: N.Node) -> NonFinite | None:
    """The first draw where the answer is not finite and the reference is, and the innermost
    subexpression that is not finite although its operands are (children come first in
    ``N.walk``); None when the answer is finite wherever the reference is."""
    for draw in judge.draws:
        if _finite(draw.value(answer)) or not _finite(draw.value(judge.ref.node)):
            continue
        for node in N.walk(answer):
            if _finite(draw.value(node)):
                continue
            if all(_finite(draw.value(c)) for c in node.children):
                return NonFinite(draw, node, draw.floating_error(node))
        return NonFinite(draw, None, None)
    return None
