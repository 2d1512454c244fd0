"""Hints for an answer that uses a name the problem does not declare.

Students write the names of their textbook: ŷ (``\\hat{y}``, read as ``yhat``) or p for the
prediction softmax(z), e_y for the one-hot vector of the label y. The grader cannot guess
what an unknown name means, but it can say how to write what the name usually stands for.
"""

from __future__ import annotations

import re

from ..expr import nodes as N
from ..language.roles import labels_of
from ..printing.latex import latex
from .expression_text import readable
from .problem import Reference

PREDICTION_NAMES = re.compile(r"y_?hat|hat_?y|yh|p|probs?|pred(iction)?|ŷ", re.IGNORECASE)
BASIS_NAME = re.compile(r"(?:e|mathbf_?e)_?\{?([A-Za-z]\w*)\}?")
PREDICTIONS = ("Softmax", "AxisSoftmax")


def _predictions(ref: Reference) -> list[N.Node]:
    """softmax(z) or sigmoid(…) inside the right answer or a quantity it is defined through."""
    roots = [ref.node, *(d.node for d in ref.definitions)]
    found: list[N.Node] = []
    for root in roots:
        for node in N.walk(root):
            named = type(node).__name__ in PREDICTIONS
            if (named or (isinstance(node, N.Apply) and node.fn == "sigmoid")) and (
                node not in found
            ):
                found.append(node)
    return found


def _written(node: N.Node, answer_format: str) -> str | None:
    try:
        return f"${latex(node)}$" if answer_format == "latex" else f"`{readable(node)}`"
    except NotImplementedError:
        return None


def undeclared_hint(ref: Reference, name: str, answer_format: str) -> str:
    """What to write instead of ``name``, then the names the answer may use."""
    allowed = "the names you may use are " + ", ".join(ref.names)
    if PREDICTION_NAMES.fullmatch(name):
        shown = [w for w in (_written(p, answer_format) for p in _predictions(ref)) if w]
        if shown:
            called = "ŷ" if answer_format == "latex" and "hat" in name else f"{name} (ŷ)"
            return (
                f"{called}, the prediction, is not a name of this problem: write it out, "
                f"{' or '.join(shown[:2])}; {allowed}"
            )
    basis = BASIS_NAME.fullmatch(name)
    labels = labels_of(ref.problem.variables)
    if basis and basis.group(1) in labels:
        y, k = basis.group(1), labels[basis.group(1)]
        written = f"onehot({y}, {k})" if answer_format != "latex" else rf"\mathbf{{e}}_{{{y}}}"
        return f"e_{y}, the one-hot vector of the label {y}, is written {written}; {allowed}"
    return allowed
