"""The index: the catalog grouped as the lecture is, with a search box that works offline.

The search index is a script (``assets/search-index.js``) rather than JSON because a page
opened from ``file://`` may not fetch files, but it may load a script beside it.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from .templates import Links, page

# The lecture's order; an entry goes to the first group whose tags it carries.
GROUPS: list[tuple[str, str, tuple[str, ...]]] = [
    ("basics", "Jacobian basics", ("basics",)),
    ("network", "The network", ("chain-rule",)),
    ("nonlinearities", "Nonlinearities", ("nonlinearity",)),
    ("softmax", "Softmax", ("softmax",)),
    ("words", "Words", ("word-vectors",)),
    ("backprop", "Backprop", ("computation-graph",)),
    ("vectorization", "Vectorization", ("vectorization",)),
    ("transformers", "Normalisation and attention", ("normalization", "attention")),
    ("training", "Training", ("optimizer", "schedule", "initialization", "regularization", "verification")),
]  # fmt: skip
_PRIORITY = ["words", "transformers", "vectorization", "training", "basics", "nonlinearities", "softmax",
             "backprop", "network"]  # fmt: skip


def group_of(tags: list[str]) -> str:
    """The lecture section of an entry (specific sections win: word2vec is Words, not Softmax)."""
    by_key = {key: wanted for key, _, wanted in GROUPS}
    for key in _PRIORITY:
        if any(t in tags for t in by_key[key]):
            return key
    raise ValueError(f"no lecture section for tags {tags}")


def grouped(entries: list[dict[str, Any]]) -> list[tuple[str, str, list[dict[str, Any]]]]:
    buckets: dict[str, list[dict[str, Any]]] = {key: [] for key, _, _ in GROUPS}
    for e in entries:
        buckets[group_of(e["tags"])].append(e)
    return [(key, title, buckets[key]) for key, title, _ in GROUPS if buckets[key]]


def search_index(entries: list[dict[str, Any]], extra: list[dict[str, str]]) -> str:
    """``window.CHAINRULE_INDEX = [...]``: title, page key and the words to match."""
    rows = [
        {
            "key": f"entries/{e['id']}",
            "title": e["title"],
            "text": " ".join([e["id"], e["summary"], " ".join(e["tags"]), e["program"]]).lower(),
        }
        for e in entries
    ] + extra
    return "window.CHAINRULE_INDEX = " + json.dumps(rows, ensure_ascii=False, indent=0) + ";\n"


def index_page(entries: list[dict[str, Any]], links: Links) -> str:
    parts = [
        "<h1>chainrule: matrix calculus, derived and verified</h1>",
        '<p class="summary">Every derivation of CS224N lecture 4, from the Jacobian of an '
        "elementwise function to training a window classifier: the chain-rule steps, the "
        "gradients in the shape convention with their index forms, a picture of the "
        "computation graph, NumPy code and a three-way verification.</p>",
        '<div class="search"><input type="search" id="search" placeholder="Search the catalog: '
        'softmax, delta, adam, W @ x…" aria-label="search"><ul id="hits"></ul></div>',
        f'<script src="{escape(links.href("assets/search-index.js"))}"></script>',
    ]
    if not links.static:
        parts.append(
            '<p class="muted">The service: <a href="/docs">interactive API documentation</a> · '
            '<a href="/openapi.json">OpenAPI document</a> · <a href="/v1/catalog">the catalog '
            'as JSON</a> · <a href="/healthz">health</a></p>'
        )
    for key, title, members in grouped(entries):
        items = "".join(
            f'<li><a href="{escape(links.href("entries/" + e["id"]))}">{escape(e["title"])}</a>'
            f' <span class="muted">{escape(e["summary"])}</span></li>'
            for e in members
        )
        parts.append(
            f'<section id="{key}"><h2>{escape(title)}</h2><ul class="entries">{items}</ul></section>'
        )
    return page("Catalog", "\n".join(parts), links, "index")
