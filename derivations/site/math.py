"""LaTeX to MathML at build time, refusing anything that would show as raw LaTeX.

latex2mathml passes unknown commands through as ``<mi>\\foo</mi>`` and accepts a ``\\frac``
with one argument, so its output is checked here: it must parse as XML, use only MathML
elements and attributes, contain no backslash in any text, no ``merror``, and give every
fixed-arity element (``mfrac``, ``msub``…) its number of children. A failure names where the
formula came from (the entry and the field), so the build stops with a message a catalog
author can act on, and a served page never shows a half-rendered formula.
"""

from __future__ import annotations

import functools
import xml.etree.ElementTree as ET

from latex2mathml.converter import convert

from ..errors import ChainruleError

NS = "{http://www.w3.org/1998/Math/MathML}"

# Presentation MathML elements latex2mathml produces for the LaTeX our printers write.
ELEMENTS = frozenset(
    [
        "math",
        "mrow",
        "mi",
        "mn",
        "mo",
        "mtext",
        "mspace",
        "mfrac",
        "msub",
        "msup",
        "msubsup",
        "munder",
        "mover",
        "munderover",
        "msqrt",
        "mroot",
        "mstyle",
        "mtable",
        "mtr",
        "mtd",
        "mpadded",
        "mphantom",
        "menclose",
        "mfenced",
        "semantics",
        "annotation",
    ]  # noqa: SIM905
)
ATTRIBUTES = frozenset(
    [
        "xmlns",
        "display",
        "stretchy",
        "fence",
        "form",
        "separator",
        "lspace",
        "rspace",
        "width",
        "height",
        "depth",
        "mathvariant",
        "displaystyle",
        "scriptlevel",
        "accent",
        "accentunder",
        "movablelimits",
        "columnalign",
        "columnspacing",
        "rowspacing",
        "columnlines",
        "rowlines",
        "frame",
        "framespacing",
        "notation",
        "minsize",
        "maxsize",
        "symmetric",
        "largeop",
        "linethickness",
        "open",
        "close",
        "separators",
        "encoding",
    ]  # noqa: SIM905
)
ARITY = {"mfrac": 2, "msub": 2, "msup": 2, "msubsup": 3, "munder": 2, "mover": 2,
         "munderover": 3, "mroot": 2}  # fmt: skip
MAX_LATEX = 20_000


class MathRenderError(ChainruleError):
    """A formula the renderer cannot show faithfully; ``details['where']`` names its origin."""


def _fail(latex: str, where: str, problem: str) -> MathRenderError:
    short = latex if len(latex) <= 160 else latex[:157] + "..."
    return MathRenderError(
        "render",
        f"{where}: cannot render the formula {short!r} as MathML: {problem}",
        hint="write it with the LaTeX subset latex2mathml supports (see derivations/site/math.py)",
        details={"where": where, "latex": short},
    )


def _check_tree(root: ET.Element) -> str | None:
    """The first problem in the MathML tree, or None when every node is well formed."""
    for node in root.iter():
        tag = node.tag.removeprefix(NS)
        if tag not in ELEMENTS:
            return f"unexpected element <{tag}>"
        if tag == "merror":
            return "the renderer reported an error"
        bad = [a for a in node.attrib if a not in ATTRIBUTES]
        if bad:
            return f"unexpected attribute {bad[0]!r} on <{tag}>"
        for text in (node.text, node.tail):
            if text and "\\" in text:
                return f"the command {text.strip()!r} was left as raw LaTeX"
        if tag in ARITY and len(node) != ARITY[tag]:
            return f"<{tag}> has {len(node)} parts instead of {ARITY[tag]} (a missing argument?)"
    return None


@functools.lru_cache(maxsize=4096)
def _convert(latex: str, display: bool) -> str:
    return convert(latex, display="block" if display else "inline")


def render_math(latex: str, where: str = "formula", display: bool = False) -> str:
    """MathML for ``latex``; raises MathRenderError naming ``where`` if it cannot be shown."""
    if not isinstance(latex, str) or not latex.strip():
        raise _fail(str(latex), where, "the formula is empty")
    if len(latex) > MAX_LATEX:
        raise _fail(latex, where, f"longer than {MAX_LATEX} characters")
    try:
        mathml = _convert(latex, display)
    except Exception as exc:  # latex2mathml raises its own exception classes per problem
        raise _fail(latex, where, type(exc).__name__) from None
    if "<!" in mathml or "<?" in mathml:  # no DOCTYPE, entity, comment or processing instruction
        raise _fail(latex, where, "markup declarations are not allowed")
    try:
        root = ET.fromstring(mathml)
    except ET.ParseError as exc:
        raise _fail(latex, where, f"the output is not well-formed XML ({exc})") from None
    problem = _check_tree(root)
    if problem:
        raise _fail(latex, where, problem)
    return mathml


def count_math(html: str) -> int:
    """How many formulas a page holds (what the browser tests count against)."""
    return html.count("<math ")
