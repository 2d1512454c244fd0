"""Hostile input classes (issue 8 §3), each answered by a ChainruleError or a verified result.

One test group per class: names validated with full matches, ASCII-only bounded dimensions,
bounded number literals, and lone surrogates refused at the parser. The generated code's side
(comments, colliding names) is tested in tests/printing/test_module_safety.py, and every class
once more through the service in tests/service/test_hostile_classes.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from derivations import ChainruleError, derive
from derivations.language.elaborate import declare
from derivations.limits import DEFAULT_LIMITS


def _error(program: str, variables: dict) -> ChainruleError:
    with pytest.raises(ChainruleError) as info:
        derive(program, variables, verify=False)
    return info.value


# -- class 2: names are validated with full matches ----------------------------------------


@pytest.mark.parametrize("name", ["x\n", "x\r\n", "x ", " x", "x\t", "_x", "x-y", "é", "xé"])
def test_a_variable_name_must_match_in_full(name: str) -> None:
    e = _error("sum(x)", {"x": ["n"], name: ["n"]})
    assert e.kind == "declaration" and repr(name) in e.message


@pytest.mark.parametrize("dim", ["n\n", "n\r", "n\n\n", "5*d\n", "\nn"])
def test_a_dimension_must_match_in_full(dim: str) -> None:
    e = _error("sum(x)", {"x": [dim]})
    assert e.kind == "declaration" and "printable ASCII" in e.message


def test_no_pattern_in_the_library_or_service_is_anchored_with_a_dollar() -> None:
    """re.match(r"^...$") accepts a trailing new line; every validation uses fullmatch."""
    root = Path(__file__).resolve().parents[2]
    offenders = []
    for folder in ("derivations", "service"):
        for path in (root / folder).rglob("*.py"):
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if re.search(r"""re\.compile\(r?["'][^"']*\$["']""", line):
                    offenders.append(f"{path.relative_to(root)}:{number}")
                lookahead = line.endswith("# lookahead at k, not a validation")
                if re.search(r"\b[A-Z_]+\.match\(", line) and not lookahead:
                    offenders.append(f"{path.relative_to(root)}:{number}")
    assert not offenders, offenders


# -- class 3: non-ASCII digits ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("dim", "digit"),
    [("²", 2), ("٣", 3), ("３", 3), ("߃", 3), ("3*٣", 3), ("٣*n", 3), ("n+²", 2)],
)
def test_non_ascii_digits_are_not_dimensions(dim: str, digit: int) -> None:
    e = _error("sum(x)", {"x": [dim], "y": ["n"]})
    assert e.kind == "declaration"
    assert "printable ASCII" in e.message and f"write the digit {digit} in ASCII" in e.hint


def test_a_non_ascii_digit_in_the_program_is_not_read_as_a_number() -> None:
    e = _error("sum(x) * ٣", {"x": ["n"]})
    assert e.kind == "syntax" and e.position == {"line": 1, "column": 10}
    assert e.hint == "numbers are ASCII: write 3"


def test_unicode_spaces_do_not_separate_a_dimension_expression() -> None:
    e = _error("sum(x)", {"x": ["n\u2003+\u2003m"], "y": ["n"], "z": ["m"]})
    assert e.kind == "declaration" and "EM SPACE" in e.message


def test_ascii_dimensions_still_work() -> None:
    inputs = declare({"x": ["3"], "y": [" n "], "z": ["5*d"], "w": ["d"]}, DEFAULT_LIMITS)
    assert [str(d) for v in inputs.values() for d in v.shape[:1]] == ["3", "n", "5*d", "d"]


# -- class 4: long literals ------------------------------------------------------------------


@pytest.mark.parametrize(
    "literal",
    ["1" * 5000, "1" * 101, "0." + "0" * 5000 + "1", "1" * 4301 + ".5", "9" * 200 + "e-199"],
)
def test_a_literal_with_too_many_digits_is_a_limit_error(literal: str) -> None:
    e = _error(f"sum(x) * {literal}", {"x": ["n"]})
    assert e.kind == "limit" and e.details["limit"] == "max_literal_digits"
    assert e.position == {"line": 1, "column": 10}
    assert "digits; the limit is 100" in e.message


@pytest.mark.parametrize(
    ("literal", "word"),
    [("1e999999999", "large"), ("1e-999999999", "small"), ("5e" + "9" * 500, "large")],
)
def test_a_huge_exponent_is_refused_without_computing_it(literal: str, word: str) -> None:
    e = _error(f"sum(x) * {literal}", {"x": ["n"]})
    assert e.kind == "limit" and f"too {word} for float64" in e.message


def test_zero_with_a_huge_exponent_is_zero() -> None:
    r = derive("sum(x) + 0e999999999999", {"x": ["n"]}, verify=False)
    assert r.to_dict()["derivatives"][0]["latex"]


def test_a_dimension_with_thousands_of_digits_is_a_limit_error() -> None:
    e = _error("sum(x)", {"x": ["9" * 5000]})
    assert e.kind == "limit" and "5000 digits" in e.message
    e = _error("sum(x)", {"x": ["2*" + "9" * 5000]})
    assert e.kind == "limit"


def test_literals_within_the_limits_keep_their_value() -> None:
    r = derive("sum(x) * 2.5e3 + 1" + "0" * 50, {"x": ["n"]})
    assert r.verification_passed


# -- class 7: lone surrogates --------------------------------------------------------------


@pytest.mark.parametrize(
    ("program", "column"),
    [("sum(x) # \ud800", 10), ("sum(x) \udfff", 8), ("h = x\nsum(h) * \udc80", 10)],
)
def test_a_lone_surrogate_is_refused_with_its_position(program: str, column: int) -> None:
    e = _error(program, {"x": ["n"]})
    assert e.kind == "syntax" and "lone surrogate" in e.message
    assert e.column == column and e.line == program.count("\n") + 1
    assert "UTF-8" in e.hint
    str(e).encode("utf-8")  # the message never echoes the surrogate: it is printable anywhere
    json.dumps(e.to_problem(), ensure_ascii=False).encode("utf-8")


def test_a_surrogate_pair_character_is_fine_in_a_comment() -> None:
    assert derive("sum(x)  # 😀 σ", {"x": ["n"]}).verification_passed
