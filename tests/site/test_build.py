"""The static site: every page written, every formula rendered, links local, bytes reproducible."""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from derivations.catalog import list_entries
from derivations.errors import ChainruleError
from derivations.language.elaborate import USER_FUNCTIONS
from derivations.site import data
from derivations.site.builder import page_keys, static_path
from derivations.site.cookbook import IDENTITIES, Identity, compare
from derivations.site.entry_page import entry_page
from derivations.site.index_page import GROUPS, group_of
from derivations.site.math import MathRenderError
from derivations.site.ops import OPERATORS, OPS
from derivations.site.templates import Links
from service.problems import KINDS


class _Text(HTMLParser):
    """Text outside code, scripts and math; every href/src; the number of <math> elements."""

    SKIP = {"code", "pre", "script", "style", "math", "svg", "textarea"}

    def __init__(self) -> None:
        super().__init__()
        self.depth: list[str] = []
        self.text: list[str] = []
        self.math_text: list[str] = []
        self.links: list[str] = []
        self.maths = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.maths += tag == "math"
        self.links += [v for k, v in attrs if k in ("href", "src") and v]
        if tag in self.SKIP:
            self.depth.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.depth and self.depth[-1] == tag:
            self.depth.pop()

    def handle_data(self, text: str) -> None:
        if "math" in self.depth:
            self.math_text.append(text)
        elif not self.depth:
            self.text.append(text)


def parsed(path: Path) -> _Text:
    p = _Text()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def test_every_page_is_written(built_site) -> None:
    out, _ = built_site
    for key in page_keys(KINDS):
        assert (out / static_path(key)).is_file(), key
    assert len(list((out / "entries").glob("*.html"))) == len(list_entries())
    assert (out / "problems" / "index.html").is_file()
    assert (out / "problems" / "shape-mismatch.html").is_file()


def test_no_raw_latex_and_every_entry_has_math(built_site) -> None:
    out, _ = built_site
    for page in out.rglob("*.html"):
        p = parsed(page)
        raw = [t for t in p.text + p.math_text if re.search(r"\\[A-Za-z]", t)]
        assert not raw, f"{page.name}: raw LaTeX {raw[:3]}"
        if page.parent.name == "entries":
            assert p.maths >= 5, page.name


def test_links_stay_inside_the_site(built_site) -> None:
    out, _ = built_site
    for page in out.rglob("*.html"):
        for link in parsed(page).links:
            assert not re.match(r"^(https?:)?//", link), f"{page.name} links outside: {link}"
            target = (page.parent / link.split("#")[0]).resolve()
            assert target.is_file(), f"{page.name}: broken link {link}"


def test_entry_page_has_every_section(built_site) -> None:
    out, _ = built_site
    html = (out / "entries" / "one-hidden-layer.html").read_text()
    for ident in ("program", "definitions", "steps", "derivatives", "code", "verification",
                  "graph", "notes", "check"):  # fmt: skip
        assert f'id="{ident}"' in html, ident
    assert 'class="copy"' in html and 'class="reference" hidden' in html
    assert html.count('<form class="check"') == 4  # W, b, x, u
    for technique in ("schedule-cyclic", "init-xavier", "init-uniform", "schedule-step-decay"):
        assert 'class="plot"' in (out / "entries" / f"{technique}.html").read_text(), technique
    gate = (out / "entries" / "gate-intuitions.html").read_text()
    assert 'class="graph"' in gate and ">6</text>" in gate


def test_index_groups_entries_as_the_lecture(built_site) -> None:
    out, _ = built_site
    html = (out / "index.html").read_text()
    positions = [html.index(f'<section id="{key}">') for key, _, _ in GROUPS]
    assert positions == sorted(positions)
    assert group_of(["word2vec", "word-vectors", "softmax", "loss"]) == "words"
    assert group_of(["gradient", "basics"]) == "basics"
    for entry in list_entries():
        group_of(entry["tags"])  # raises if an entry has no section
        assert f'entries/{entry["id"]}.html"' in html
    index = (out / "assets" / "search-index.js").read_text()
    assert index.startswith("window.CHAINRULE_INDEX = ") and '"entries/softmax"' in index


def test_build_is_deterministic(built_site, tmp_path: Path) -> None:
    """A second build, in a fresh process with another str-hash seed, gives the same bytes."""
    out, result = built_site
    again = tmp_path / "again"
    command = [sys.executable, "-m", "service.cli", "docs", "build", str(again)]
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr
    assert "pages" in done.stdout
    for rel in result["files"]:
        assert (again / rel).read_bytes() == (out / rel).read_bytes(), rel


def test_a_failed_verification_stops_the_build(monkeypatch: pytest.MonkeyPatch) -> None:
    real = data.derivation("softmax(x)", (("x", ("n",)),), ("x",))
    failed = copy.deepcopy(real)
    failed["verification"]["passed"] = False
    failed["verification"]["checks"][0]["passed"] = False
    monkeypatch.setattr(data, "derivation", lambda *a, **k: failed)
    with pytest.raises(ChainruleError, match="entry softmax: verification did not pass"):
        data.entry_data.__wrapped__("softmax")


def test_an_unrenderable_formula_stops_the_build_naming_the_entry() -> None:
    d = copy.deepcopy(data.entry_data("softmax"))
    d["program_latex"][0] = r"\unknowncommand{x}"
    with pytest.raises(MathRenderError, match="entry softmax: program"):
        entry_page(d, Links(static=True, depth=1))


def test_op_reference_covers_the_op_tables() -> None:
    documented = {op.name for op in OPS}
    assert set(USER_FUNCTIONS) <= documented
    assert set(OPERATORS) <= documented


def test_cookbook_comparison_catches_a_wrong_form() -> None:
    right = next(i for i in IDENTITIES if i.program == "trace(X @ A)")
    wrong = Identity(
        right.group,
        right.number,
        right.cookbook_latex,
        right.program,
        right.wrt,
        "A",
        right.variables,
    )  # fmt: skip  (Aᵀ is right; A is the transposed slip)
    d = data.derivation(
        right.program, tuple((k, tuple(v)) for k, v in right.variables.items()), ("X",)
    )
    assert compare(right, d["code"]["numpy"]) < 1e-12
    assert compare(wrong, d["code"]["numpy"]) > 1e-2
