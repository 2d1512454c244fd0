"""The computation-graph picture: the lecture's max-gate example, laid out deterministically."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from derivations.api import trace
from derivations.cli import main
from derivations.site.graph_svg import graph_svg, layout

SVG = "{http://www.w3.org/2000/svg}"


def _labels(svg: str, cls: str) -> list[str]:
    root = ET.fromstring(svg)
    return [t.text or "" for t in root.iter(SVG + "text") if t.get("class") == cls]


def max_gate() -> dict:
    program = "(x + y) * max(y, z)"
    return trace(program, {"x": [], "y": [], "z": []}, {"x": 1, "y": 2, "z": 0}).to_dict()


def test_max_gate_shows_the_lectures_numbers() -> None:
    svg = graph_svg(max_gate())
    forward, backward = _labels(svg, "fwd"), _labels(svg, "bwd")
    # edges x→+, y→+, y→max, z→max, +→×, max→×, then the output stub
    assert forward == ["1", "2", "2", "0", "3", "2", "6"]
    assert backward == ["2", "5", "5", "0", "2", "3", "1"]
    assert {"6", "3", "2"} <= set(forward) and {"2", "5", "0"} <= set(backward)
    assert _labels(svg, "input") == ["x", "y", "z"]


def test_layout_is_layered_and_deterministic() -> None:
    t = max_gate()
    pos, _ = layout(t["nodes"])
    xs = {n["op"]: pos[n["id"]][0] for n in t["nodes"]}
    assert xs["input"] < xs["add"] == xs["max"] < xs["mul"]
    assert graph_svg(t) == graph_svg(max_gate())


def test_trace_cli_writes_the_svg(tmp_path: Path, capsys) -> None:
    out = tmp_path / "g.svg"
    argv = ["trace", "(x + y) * max(y, z)", "--var", "x", "--var", "y", "--var", "z",
            "--at", "x=1", "--at", "y=2", "--at", "z=0", "--svg", str(out)]  # fmt: skip
    assert main(argv) == 0
    svg = out.read_text()
    assert re.search(r">6</text>", svg) and _labels(svg, "bwd")[:3] == ["2", "5", "5"]
    assert "mul" in capsys.readouterr().out  # the table is still printed
