"""One page per catalog entry: the problem in words, the derivation, a picture, a check box."""

from __future__ import annotations

from html import escape
from typing import Any

from .derivation_html import derivation_body, math
from .graph_svg import fmt_value, graph_svg
from .plots import technique_plot
from .templates import Links, page, section


def _example_section(d: dict[str, Any], where: str) -> str:
    ex = d.get("example")
    if ex is None:
        return ""
    given = "the lecture's worked example" if ex["given"] else "a small generated example"
    values = ", ".join(
        f"{name} = {fmt_value(v, list(_shape(v)))}" for name, v in ex["values"].items()
    )
    grads = ", ".join(
        f"∂/∂{name} = {fmt_value(g, list(_shape(g)))}" for name, g in ex["gradients"].items()
    )
    return section(
        "Computation graph",
        f"<p>Forward values (green) above each edge, backward gradients (red) below, for "
        f"{given}: {escape(values)}. Output {escape(fmt_value(ex['value'], list(_shape(ex['value']))))}; "
        f"gradients {escape(grads)}.</p>"
        f'<div class="figure">{graph_svg(ex, f"computation graph of {where}")}</div>',
        "graph",
    )


def _shape(value: Any) -> tuple[int, ...]:
    if isinstance(value, list):
        return (len(value),) + (_shape(value[0]) if value else ())
    return ()


def _technique_section(d: dict[str, Any], where: str) -> str:
    tech = d.get("technique")
    if not tech:
        return ""
    plot = technique_plot(tech["implementation"])
    figure = f'<div class="figure">{plot}</div>' if plot else ""
    return section(
        "The technique",
        f'<div class="eq">{math(tech["formula"], f"{where}: technique formula", True)}</div>'
        f"<p>Tested implementation: <code>{escape(tech['implementation'])}</code></p>{figure}",
        "technique",
    )


def _check_box(d: dict[str, Any], item: dict[str, Any], where: str) -> str:
    wrt = item["wrt"]
    lhs = item["equation"].split(" = ", 1)[0]
    here = f"{where}: check box for {wrt}"
    reference = math(item["equation"], here, True)
    return (
        f'<form class="check" data-entry="{escape(d["id"])}" data-wrt="{escape(wrt)}" '
        f'data-kind="{escape(item["kind"])}">'
        f'<label>{math(lhs, here)} = <input name="answer" autocomplete="off" spellcheck="false" '
        f'placeholder="e.g. delta @ x.T or \\delta x^T"></label>'
        '<select name="format"><option value="expression">expression</option>'
        '<option value="latex">LaTeX</option></select>'
        '<button type="submit">Check</button>'
        '<button type="button" class="reveal">Show the reference</button>'
        '<div class="verdict" aria-live="polite"></div>'
        f'<div class="reference" hidden>{reference}</div></form>'
    )


def _check_section(d: dict[str, Any], where: str) -> str:
    items = [i for i in d["derivatives"] if i["kind"] in ("gradient", "jacobian")]
    if not items:
        return ""
    boxes = "".join(_check_box(d, item, where) for item in items)
    return section(
        "Check your answer",
        "<p>Derive it yourself first: type a derivative as an expression "
        "(<code>delta @ x.T</code>) or in LaTeX, and the service checks it against the "
        "verified one, at random points and symbolically. The reference stays hidden until "
        'you ask for it.</p><p class="static-only">Answer checking needs the service: run '
        "<code>chainrule serve</code> and open this entry at "
        f"<code>http://127.0.0.1:8000/entries/{escape(d['id'])}</code>.</p>" + boxes,
        "check",
    )


def entry_page(d: dict[str, Any], links: Links) -> str:
    where = f"entry {d['id']}"
    tags = " ".join(f'<span class="tag">{escape(t)}</span>' for t in d["tags"])
    notes = "".join(f"<li>{escape(n)}</li>" for n in d["notes"])
    title = escape(d["title"])
    body = "\n".join(
        part
        for part in (
            f'<h1>{title}</h1><p class="summary">{escape(d["summary"])}</p><p>{tags}</p>',
            _technique_section(d, where),
            derivation_body(d, where, links.href("verification")),
            _example_section(d, where),
            section("Pitfalls and notes", f"<ul>{notes}</ul>", "notes"),
            _check_section(d, where),
        )
        if part
    )
    return page(d["title"], body, links)
