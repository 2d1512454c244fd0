"""HTML fragments the served site's script asks for: a derivation and an answer's verdict.

The playground posts what ``POST /v1/derive`` returned and gets the same sections an entry page
shows; the answer box posts what ``POST /v1/check`` returned and gets the verdict with the
answer re-rendered. The input comes from a client, so it is validated (a pydantic model for
the fields used) and every formula passes the MathML whitelist in ``math.py``.
"""

from __future__ import annotations

import re
from html import escape
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import ChainruleError
from .derivation_html import derivation_body
from .math import render_math


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class _Derivative(_Open):
    wrt: str
    kind: str
    shape: list[str | int]
    layout: str
    equation: str
    index_latex: str
    numpy: str


class _Definition(_Open):
    name: str
    symbol: str
    shape: list[str | int]
    latex: str
    role: str
    meaning: str = ""


class DerivationIn(_Open):
    expression: str
    variables: dict[str, list[str | int]]
    program_latex: list[str] = Field(max_length=1000)
    definitions: list[_Definition] = Field(max_length=1000)
    derivatives: list[_Derivative] = Field(max_length=1000)
    steps: dict[str, list[str]] = Field(default_factory=dict)
    code: dict[str, str]
    verification: dict[str, Any]


class _Diagnosis(_Open):
    kind: str = ""
    message: str = ""
    credit: float | None = None
    details: dict[str, Any] | None = None


class CheckIn(_Open):
    correct: bool = False
    score: float = 0.0
    verdict: str
    diagnosis: list[_Diagnosis] = Field(default_factory=list, max_length=100)
    expected_shape: list[Any] | None = None
    answer_shape: list[Any] | None = None
    answer_latex: str | None = None
    feedback: str = ""
    reference_latex: str | None = None


def _validated(model: type[BaseModel], data: Any) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "body"
        raise ChainruleError(
            "validation",
            f"not a result this page can render: {field}: {first['msg']}",
            hint="post the JSON body that the API returned, unchanged",
        ) from None


def derivation_fragment(data: Any, verification_href: str = "/verification") -> str:
    """The entry-page sections for a derivation dict from ``POST /v1/derive``."""
    d = _validated(DerivationIn, data).model_dump()
    return derivation_body(d, "playground", verification_href)


_INLINE = re.compile(r"\$([^$]+)\$|\*\*([^*]+)\*\*|`([^`]+)`")


def inline_markdown(text: str, where: str) -> str:
    """The Markdown the grader writes: $math$ (as MathML), **bold** and `code`; the rest is
    escaped text. A formula that cannot be rendered is shown as code, never as raw LaTeX."""
    out, last = [], 0
    for m in _INLINE.finditer(text):
        out.append(escape(text[last : m.start()]))
        latex, bold, code = m.groups()
        if latex is not None:
            try:
                out.append(render_math(latex, where))
            except ChainruleError:
                out.append(f"<code>{escape(latex)}</code>")
        elif bold is not None:
            out.append(f"<strong>{escape(bold)}</strong>")
        else:
            out.append(f"<code>{escape(code)}</code>")
        last = m.end()
    out.append(escape(text[last:]))
    return "".join(out)


def markdown_blocks(text: str, where: str) -> str:
    """Paragraphs separated by blank lines; fenced blocks become <pre> (caret excerpts)."""
    parts = []
    for block in text.split("\n\n"):
        block = block.strip()
        if not block:
            continue
        if block.startswith("```") and block.endswith("```"):
            body = block.strip("`").split("\n", 1)[-1] if "\n" in block else block.strip("`")
            parts.append(f"<pre>{escape(body.rstrip())}</pre>")
        else:
            parts.append(f"<p>{inline_markdown(block, where)}</p>")
    return "".join(parts)


def _shape(shape: list[Any] | None) -> str:
    if shape is None:
        return "?"
    return "(" + ", ".join(str(s) for s in shape) + (",)" if len(shape) == 1 else ")")


def check_fragment(data: Any) -> str:
    """The verdict for a ``POST /v1/check`` result: badge, answer, diagnosis, feedback."""
    c = _validated(CheckIn, data)
    verdict = c.verdict if c.verdict in ("correct", "incorrect", "invalid") else "incorrect"
    parts = [
        f'<p><span class="badge {verdict}">{escape(verdict.capitalize())}</span> '
        f"· score {c.score:.2f} · expected shape {escape(_shape(c.expected_shape))}"
        + (f", your answer's shape {escape(_shape(c.answer_shape))}" if c.answer_shape else "")
        + "</p>"
    ]
    if c.answer_latex and not c.feedback:  # the feedback shows the answer as it was read
        try:
            parts.append(f"<p>Your answer: {render_math(c.answer_latex, 'your answer')}</p>")
        except ChainruleError:
            parts.append(f"<p>Your answer: <code>{escape(c.answer_latex)}</code></p>")
    if c.feedback:  # the grader's Markdown already carries every diagnosis message
        parts.append(markdown_blocks(c.feedback, "feedback"))
    else:
        items = []
        for d in c.diagnosis:
            item = inline_markdown(d.message or d.kind, "diagnosis")
            details = d.details or {}
            if details.get("excerpt"):
                item += f"<pre>{escape(str(details['excerpt']))}</pre>"
            if details.get("hint"):
                item += f"<br>hint: {escape(str(details['hint']))}"
            items.append(f"<li>{item}</li>")
        if items:
            parts.append("<ul>" + "".join(items) + "</ul>")
    if c.reference_latex:
        parts.append(f"<p>Reference: {render_math(c.reference_latex, 'the reference')}</p>")
    return "".join(parts)
