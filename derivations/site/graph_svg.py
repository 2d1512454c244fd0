"""The computation graph as an SVG picture, laid out here as a layered DAG (no layout library).

As on the lecture's slides: inputs on the left, one column per depth, each gate a circle with
its operation, each edge carrying the forward value of its source above it (green) and the
backward gradient d output / d source under it (red). At a fan-out the gradient under each
edge is the source's total (the sum over its branches), which is what the trace reports.

The layout is deterministic: a node's column is its depth (longest path from an input), rows
within a column follow the mean row of the node's inputs (ties by node id), so the same trace
always gives the same bytes.
"""

from __future__ import annotations

from html import escape
from typing import Any

COL_WIDTH = 190
ROW_HEIGHT = 92
MARGIN_X = 60
MARGIN_Y = 46
RADIUS = 21
STUB = 110  # the output's outgoing edge

_SYMBOLS = {
    "add": "+", "sub": "−", "mul": "×", "div": "÷", "matmul": "@", "neg": "−", "transpose": "ᵀ",
    "pow": "^", "max": "max", "min": "min", "sum": "Σ", "alias": "=",
}  # fmt: skip


def _number(x: float) -> str:
    text = format(float(x) + 0.0, ".3g")
    return text.replace("-", "−")


def fmt_value(value: Any, shape: list[int]) -> str:
    """A short label: the number, a short vector, or just the shape of a larger array."""
    if value is None:
        return "–"
    if not shape:
        return _number(value)
    if len(shape) == 1 and shape[0] <= 3:
        return "[" + ", ".join(_number(v) for v in value) + "]"
    return "×".join(str(s) for s in shape) + " array"


def _layers(nodes: list[dict[str, Any]]) -> dict[int, int]:
    depth: dict[int, int] = {}
    for node in nodes:  # topological order: inputs come first
        ins = node["inputs"]
        depth[node["id"]] = 0 if not ins else 1 + max(depth[i] for i in ins)
    return depth


def layout(nodes: list[dict[str, Any]]) -> dict[int, tuple[float, float]]:
    """Centre coordinates per node id: column by depth, rows by the inputs' mean row."""
    depth = _layers(nodes)
    columns: dict[int, list[int]] = {}
    row: dict[int, float] = {}
    by_id = {n["id"]: n for n in nodes}
    for col in sorted(set(depth.values())):
        members = [n["id"] for n in nodes if depth[n["id"]] == col]
        if col > 0:
            members.sort(
                key=lambda i: (sum(row[j] for j in by_id[i]["inputs"]) / len(by_id[i]["inputs"]), i)
            )
        for k, node_id in enumerate(members):
            row[node_id] = float(k)
        columns[col] = members
    tallest = max(len(m) for m in columns.values())
    pos = {}
    for col, members in columns.items():
        offset = (tallest - len(members)) / 2
        for k, node_id in enumerate(members):
            pos[node_id] = (MARGIN_X + col * COL_WIDTH, MARGIN_Y + (k + offset) * ROW_HEIGHT)
    return pos


def _text(x: float, y: float, text: str, cls: str, anchor: str = "middle") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" class="{cls}" text-anchor="{anchor}">{escape(text)}</text>'
    )


def _edge(x1: float, y1: float, x2: float, y2: float, value: str, grad: str) -> list[str]:
    mx, my = (x1 + x2) / 2, (y1 + y2) / 2
    return [
        f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" class="edge" '
        'marker-end="url(#arrow)"/>',
        _text(mx, my - 6, value, "fwd"),
        _text(mx, my + 15, grad, "bwd"),
    ]


def _node(node: dict[str, Any], x: float, y: float) -> list[str]:
    if node["op"] == "input":
        return [_text(x, y + 5, node["label"], "input")]
    symbol = _SYMBOLS.get(node["op"], node["op"])
    out = [
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{RADIUS}" class="gate"/>',
        _text(x, y + 5, symbol, "op" if len(symbol) <= 2 else "op small"),
    ]
    if node["label"] and node["label"] != symbol:
        label = node["label"] if len(node["label"]) <= 14 else node["label"][:13] + "…"
        out.append(_text(x, y - RADIUS - 6, label, "name"))
    return out


def graph_svg(trace: dict[str, Any], title: str = "computation graph") -> str:
    """An SVG document for a trace dict (``TraceResult.to_dict()``)."""
    nodes = trace["nodes"]
    pos = layout(nodes)
    width = max(x for x, _ in pos.values()) + STUB + MARGIN_X
    height = max(y for _, y in pos.values()) + MARGIN_Y + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graph" role="img" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}">',
        f"<title>{escape(title)}</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
        'fill="#667"/></marker></defs>',
        "<style>.edge{stroke:#667;stroke-width:1.4}.gate{fill:#eef3fb;stroke:#35507a;"
        "stroke-width:1.5}.op{font:600 15px sans-serif;fill:#1d2b45}.small{font-size:11px}"
        ".input{font:italic 600 17px serif;fill:#1d2b45}.name{font:italic 14px serif;fill:#334}"
        ".fwd{font:600 13px sans-serif;fill:#1e7b3c}.bwd{font:600 13px sans-serif;fill:#b3261e}"
        "</style>",
    ]
    by_id = {n["id"]: n for n in nodes}
    for node in nodes:
        x2, y2 = pos[node["id"]]
        for src in node["inputs"]:
            s = by_id[src]
            x1, y1 = pos[src]
            start = x1 + (14 if s["op"] == "input" else RADIUS)
            parts += _edge(start, y1, x2 - RADIUS, y2, fmt_value(s["value"], s["shape"]),
                           fmt_value(s["grad"], s["shape"]))  # fmt: skip
    for node in nodes:
        parts += _node(node, *pos[node["id"]])
    out = nodes[-1]
    x, y = pos[out["id"]]
    parts += _edge(x + RADIUS, y, x + STUB, y, fmt_value(out["value"], out["shape"]),
                   fmt_value(out["grad"], out["shape"]))  # fmt: skip
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
