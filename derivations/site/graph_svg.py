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
    "add": "+", "sub": "−", "mul": "×", "div": "÷", "matmul": "@", "neg": "−", "transpose": "T",
    "pow": "^", "sigmoid": "σ", "max": "max", "min": "min", "sum": "Σ", "alias": "=",
}  # fmt: skip


def _number(x: float) -> str:
    # Rounding noise (2.8e-17 for an exact 0) would read as a value; 12 decimals remove it.
    text = format(round(float(x), 12) + 0.0, ".3g")
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
    """Columns "as late as possible": a node sits just before its first consumer, which keeps
    edges short (a bias joins next to its add, not at the far left); the output is last."""
    depth: dict[int, int] = {}
    for node in nodes:  # topological order: inputs come first
        ins = node["inputs"]
        depth[node["id"]] = 0 if not ins else 1 + max(depth[i] for i in ins)
    consumers: dict[int, list[int]] = {n["id"]: [] for n in nodes}
    for node in nodes:
        for i in node["inputs"]:
            consumers[i].append(node["id"])
    layer = dict(depth)
    for node in reversed(nodes):
        users = consumers[node["id"]]
        if users:
            layer[node["id"]] = min(layer[u] for u in users) - 1
    low = min(layer.values())
    return {k: v - low for k, v in layer.items()}


Key = int | tuple[int, int, int]  # a node id, or a dummy (source, target, column) on a long edge


def _chains(nodes: list[dict[str, Any]], layer: dict[int, int]) -> dict[tuple[int, int], list[Key]]:
    """Each edge as the list of slots it passes: a dummy in every column it crosses, so that
    no other node is placed on its way (the usual layered-graph construction)."""
    chains: dict[tuple[int, int], list[Key]] = {}
    for node in nodes:
        dst = node["id"]
        for src in node["inputs"]:
            between: list[Key] = [(src, dst, c) for c in range(layer[src] + 1, layer[dst])]
            chains[(src, dst)] = [src, *between, dst]
    return chains


def layout(
    nodes: list[dict[str, Any]], col_width: float = COL_WIDTH
) -> tuple[dict[Key, tuple[float, float]], dict[tuple[int, int], list[Key]]]:
    """Centres of nodes and dummies, and each edge's route through them.

    Columns come from ``_layers``; within a column, slots follow the mean row of their
    predecessors (ties by id), inputs that join late go below; each column is centred.
    """
    layer: dict[Key, int] = dict(_layers(nodes))
    chains = _chains(nodes, layer)  # type: ignore[arg-type]
    preds: dict[Key, list[Key]] = {n["id"]: [] for n in nodes}
    for chain in chains.values():
        for a, b in zip(chain, chain[1:], strict=False):
            preds.setdefault(b, []).append(a)
            preds.setdefault(a, [])
            if isinstance(b, tuple):
                layer[b] = b[2]
    columns: dict[int, list[Key]] = {}
    for key in preds:
        columns.setdefault(layer[key], []).append(key)
    row: dict[Key, float] = {}
    for col in sorted(columns):
        members = columns[col]
        members.sort(key=lambda k: _row_key(k, preds[k], row))
        for k, key in enumerate(members):
            row[key] = float(k)
    tallest = max(len(m) for m in columns.values())
    pos: dict[Key, tuple[float, float]] = {}
    for col, members in columns.items():
        offset = (tallest - len(members)) / 2
        for k, key in enumerate(members):
            pos[key] = (MARGIN_X + col * col_width, MARGIN_Y + (k + offset) * ROW_HEIGHT)
    return pos, chains


def _row_key(key: Key, preds: list[Key], row: dict[Key, float]) -> tuple[float, tuple]:
    ident = key if isinstance(key, tuple) else (key, -1, -1)
    if not preds:
        return (float("inf"), ident)
    return (sum(row[p] for p in preds) / len(preds), ident)


def _text(x: float, y: float, text: str, cls: str, anchor: str = "middle") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" class="{cls}" text-anchor="{anchor}">{escape(text)}</text>'
    )


def _edge(points: list[tuple[float, float]], value: str, grad: str) -> list[str]:
    """A polyline along the route; the labels sit on its first segment, one column long."""
    (x1, y1), (x2, y2) = points[0], points[1]
    mx, my = (x1 + x2) / 2, (y1 + y2) / 2
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    return [
        f'<polyline points="{path}" class="edge" fill="none" marker-end="url(#arrow)"/>',
        _text(mx, my - 6, value, "fwd"),
        _text(mx, my + 15, grad, "bwd"),
    ]


def _node(node: dict[str, Any], x: float, y: float) -> list[str]:
    if node["op"] == "input":
        return [_text(x, y + 5, node["label"], "input")]
    symbol = _SYMBOLS.get(node["op"], node["op"])
    out = [
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{RADIUS}" class="gate"/>',
        _text(
            x,
            y + 5,
            symbol,
            "op" if len(symbol) <= 2 else ("op small" if len(symbol) <= 4 else "op tiny"),
        ),
    ]
    if node["label"] and node["label"] != symbol:
        label = node["label"] if len(node["label"]) <= 14 else node["label"][:13] + "…"
        out.append(_text(x, y - RADIUS - 6, label, "name"))
    return out


def graph_svg(trace: dict[str, Any], title: str = "computation graph") -> str:
    """An SVG document for a trace dict (``TraceResult.to_dict()``)."""
    nodes = trace["nodes"]
    longest = max(len(fmt_value(n[key], n["shape"])) for n in nodes for key in ("value", "grad"))
    pos, chains = layout(nodes, max(COL_WIDTH, 7.6 * longest + 2 * RADIUS + 30))
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
        "stroke-width:1.5}.op{font:600 15px sans-serif;fill:#1d2b45}.small{font-size:11px}.tiny{font-size:8px}"
        ".input{font:italic 600 17px serif;fill:#1d2b45}.name{font:italic 14px serif;fill:#334}"
        ".fwd{font:600 13px sans-serif;fill:#1e7b3c}.bwd{font:600 13px sans-serif;fill:#b3261e}"
        "</style>",
    ]
    by_id = {n["id"]: n for n in nodes}
    for (src, _dst), chain in chains.items():
        s = by_id[src]
        points = [pos[k] for k in chain]
        x1, y1 = points[0]
        points[0] = (x1 + (14 if s["op"] == "input" else RADIUS), y1)
        x2, y2 = points[-1]
        points[-1] = (x2 - RADIUS, y2)
        parts += _edge(points, fmt_value(s["value"], s["shape"]), fmt_value(s["grad"], s["shape"]))
    for node in nodes:
        parts += _node(node, *pos[node["id"]])
    out = nodes[-1]
    x, y = pos[out["id"]]
    parts += _edge([(x + RADIUS, y), (x + STUB, y)], fmt_value(out["value"], out["shape"]),
                   fmt_value(out["grad"], out["shape"]))  # fmt: skip
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
