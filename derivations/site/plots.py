"""Small SVG line plots for technique entries: where people would rather look than read.

A learning-rate schedule is a curve over epochs; an initialization is a variance that depends
on the layer's fan-in and fan-out (the plot puts the formula's curve beside the variance
measured on matrices the shipped code draws). The numbers come from the tested implementations
in ``catalog/techniques``, never from a copy of their formulas.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

import numpy as np

from ..catalog.techniques import init, schedules

W, H = 520, 260
LEFT, RIGHT, TOP, BOTTOM = 62, 16, 30, 44
COLORS = ("#35507a", "#b3261e", "#1e7b3c")

Series = tuple[str, Sequence[float], Sequence[float], str]  # label, xs, ys, "line" | "dots"


def _tick(v: float) -> str:
    return format(round(v, 12) + 0.0, ".3g")


def nice_step(span: float, count: int = 4) -> float:
    """A round tick step (1, 2, 2.5 or 5 times a power of ten) giving about ``count`` ticks."""
    raw = span / count if span > 0 else 1.0
    mag = 10 ** math.floor(math.log10(raw))
    return next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw * (1 - 1e-9))


def line_plot(series: list[Series], title: str, xlabel: str, ylabel: str) -> str:
    """An SVG plot with axes, four ticks per axis and a legend; deterministic output."""
    xs = [x for _, sx, _, _ in series for x in sx]
    ys = [y for _, _, sy, _ in series for y in sy]
    x0, x1 = min(0.0, min(xs)), max(xs)
    ystep = nice_step(max(ys) - min(0.0, min(ys)))
    y0 = math.floor(min(0.0, min(ys)) / ystep) * ystep
    y1 = math.ceil(max(ys) * 1.02 / ystep) * ystep or 1.0
    xstep = nice_step(x1 - x0)

    def px(x: float) -> float:
        return LEFT + (x - x0) / ((x1 - x0) or 1) * (W - LEFT - RIGHT)

    def py(y: float) -> float:
        return H - BOTTOM - (y - y0) / ((y1 - y0) or 1) * (H - TOP - BOTTOM)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="plot" role="img" viewBox="0 0 {W} {H}" '
        f'width="{W}" height="{H}"><title>{escape(title)}</title>',
        "<style>text{font:12px sans-serif;fill:#333}.axis{stroke:#555}.grid{stroke:#ddd}"
        ".t{font-weight:600}</style>",
        f'<text x="{W / 2:.0f}" y="18" text-anchor="middle" class="t">{escape(title)}</text>',
    ]
    for k in range(round((y1 - y0) / ystep) + 1):
        yv = y0 + k * ystep
        out.append(
            f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{py(yv):.1f}" y2="{py(yv):.1f}" class="grid"/>'
        )
        out.append(
            f'<text x="{LEFT - 6}" y="{py(yv) + 4:.1f}" text-anchor="end">{_tick(yv)}</text>'
        )
    for k in range(math.floor((x1 - x0) / xstep + 1e-9) + 1):
        xv = x0 + k * xstep
        out.append(
            f'<text x="{px(xv):.1f}" y="{H - BOTTOM + 16}" text-anchor="middle">{_tick(xv)}</text>'
        )
    out.append(
        f'<line x1="{LEFT}" y1="{H - BOTTOM}" x2="{W - RIGHT}" y2="{H - BOTTOM}" class="axis"/>'
    )
    out.append(f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{H - BOTTOM}" class="axis"/>')
    out.append(
        f'<text x="{(LEFT + W - RIGHT) / 2:.0f}" y="{H - 8}" text-anchor="middle">{escape(xlabel)}</text>'
    )
    out.append(
        f'<text x="14" y="{(TOP + H - BOTTOM) / 2:.0f}" text-anchor="middle" '
        f'transform="rotate(-90 14 {(TOP + H - BOTTOM) / 2:.0f})">{escape(ylabel)}</text>'
    )
    for k, (label, sx, sy, style) in enumerate(series):
        color = COLORS[k % len(COLORS)]
        points = [(px(x), py(y)) for x, y in zip(sx, sy, strict=True)]
        if style == "steps":  # a value held until the next epoch, then a jump
            points = [p for a, b in zip(points, points[1:] + points[-1:], strict=True)
                      for p in (a, (b[0], a[1]))]  # fmt: skip
            style = "line"
        if style == "dots":
            out += [f'<circle cx="{a:.1f}" cy="{b:.1f}" r="3" fill="{color}"/>' for a, b in points]
        else:
            path = " ".join(f"{a:.1f},{b:.1f}" for a, b in points)
            out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        ly = TOP + 6 + 16 * k
        out.append(
            f'<rect x="{W - RIGHT - 150}" y="{ly - 9}" width="12" height="4" fill="{color}"/>'
        )
        out.append(f'<text x="{W - RIGHT - 132}" y="{ly - 3}">{escape(label)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _schedule(name: str, fn: Callable[[float, int], float], style: str = "line") -> str:
    epochs = list(range(31))
    rates = [fn(0.1, t) for t in epochs]
    return line_plot(
        [(f"{name}, α₀ = 0.1", epochs, rates, style)], f"{name} learning rate", "epoch t", "α_t"
    )


def _xavier() -> str:
    fans = [8, 16, 32, 64, 128, 256]
    rng = np.random.default_rng(0)
    measured = [float(np.var(init.xavier_uniform(64, n, rng))) for n in fans]
    formula = [init.xavier_variance(n, 64) for n in fans]
    return line_plot(
        [("2 / (n_in + n_out)", fans, formula, "line"), ("measured", fans, measured, "dots")],
        "Xavier variance, n_out = 64", "n_in", "Var(W_ij)",
    )  # fmt: skip


def _uniform() -> str:
    rs = [0.05 * k for k in range(1, 21)]
    rng = np.random.default_rng(0)
    measured = [float(np.var(init.uniform_init((64, 64), r, rng))) for r in rs]
    return line_plot(
        [("r² / 3", rs, [r * r / 3 for r in rs], "line"), ("measured", rs, measured, "dots")],
        "Uniform(−r, r) variance", "r", "Var(W_ij)",
    )  # fmt: skip


PLOTS: dict[str, Callable[[], str]] = {
    "derivations.catalog.techniques.schedules:step_decay": lambda: _schedule("step decay", schedules.step_decay, "steps"),
    "derivations.catalog.techniques.schedules:exponential_decay": lambda: _schedule("exponential decay", schedules.exponential_decay),
    "derivations.catalog.techniques.schedules:cyclic_triangular": lambda: _schedule("cyclic", schedules.cyclic_triangular),
    "derivations.catalog.techniques.init:xavier_uniform": _xavier,
    "derivations.catalog.techniques.init:uniform_init": _uniform,
}  # fmt: skip


def technique_plot(implementation: str) -> str | None:
    """The plot for a technique's implementation, or None when a formula says it better."""
    make = PLOTS.get(implementation)
    return make() if make else None
