"""--var NAME=DIMS:KIND and --data on derive, trace and check."""

from __future__ import annotations

import json

import pytest

from derivations.cli import _declarations, main, parse_declaration

CE = [
    "J = -y.T @ log_softmax(W @ x + b)",
    "--var",
    "W=k,m",
    "--var",
    "b=k",
    "--var",
    "x=m",
    "--var",
    "y=k:onehot",
    "--data",
    "x",
]


def test_parse_declaration() -> None:
    assert parse_declaration("y=k:onehot") == ("y", ["k"], "onehot")
    assert parse_declaration("A=n,n:symmetric") == ("A", ["n", "n"], "symmetric")
    assert parse_declaration("W=n,m") == ("W", ["n", "m"], None)
    assert parse_declaration("c:positive") == ("c", [], "positive")


def test_declarations_combine_kinds_and_data() -> None:
    assert _declarations(["y=k:onehot", "x=m", "W=k,m"], ["x"]) == {
        "y": {"shape": ["k"], "kind": "onehot"},
        "x": {"shape": ["m"], "role": "data"},
        "W": ["k", "m"],
    }
    assert _declarations(["x=m", "t=m"], ["x,t"])["t"] == {"shape": ["m"], "role": "data"}


def test_derive_with_a_one_hot_label_prints_yhat_minus_y(capsys) -> None:
    assert main(["derive", *CE]) == 0
    out = capsys.readouterr().out
    assert "δ = softmax(W x + b) - y" in out
    assert "x ('m',) [data]" in out and "y ('k',) [data, onehot]" in out
    assert "assumed: Σ y = 1 (y is declared onehot)" in out
    assert "gradient wrt x" not in out and "verification: PASSED" in out


def test_derive_json_by_data_explicitly(capsys) -> None:
    assert main(["derive", *CE, "--wrt", "x", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert [i["wrt"] for i in d["derivatives"]] == ["x"]
    assert d["declarations"]["x"] == {"role": "data"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--var", "y=k:onehat"], "'onehat' is not a kind"),
        (["--var", "y=k,k:onehot"], "declared onehot"),
        (["--var", "y=k", "--data", "z"], "--data names 'z'"),
    ],
)
def test_bad_declarations_exit_2(capsys, args, message) -> None:
    assert main(["derive", "sum(y)", *args]) == 2
    assert message in capsys.readouterr().err


def test_trace_and_check_take_kinds(capsys) -> None:
    prog = "J = -y.T @ log_softmax(z)"
    assert main(["trace", prog, "--var", "z=3", "--var", "y=3:onehot", "--at", "z=[1,2,3]",
                 "--at", "y=[0,0,1]"]) == 0  # fmt: skip
    capsys.readouterr()
    assert main(["trace", prog, "--var", "z=3", "--var", "y=3:onehot", "--at", "z=[1,2,3]",
                 "--at", "y=[0,1,1]"]) == 2  # fmt: skip
    assert "not onehot" in capsys.readouterr().err
    args = ["check", prog, "--var", "z=k", "--var", "y=k:onehot", "--wrt", "z"]
    assert main([*args, "--answer", "softmax(z) - y"]) == 0
    assert "verdict: correct" in capsys.readouterr().out
    assert main(["check", prog, "--var", "z=k", "--var", "y=k", "--wrt", "z",
                 "--answer", "softmax(z) - y"]) == 1  # fmt: skip


def test_readme_data_and_kinds_snippet() -> None:
    """The README's example runs, and its commented results are what it prints."""
    import re
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    body = readme.split("## Data and kinds", 1)[1].split("\n## ", 1)[0]
    (code,) = re.findall(r"```python\n(.*?)\n```", body, re.S)
    namespace: dict = {}
    statements: list[str] = []
    checked = 0
    for line in code.splitlines():
        expression, _, expected = line.partition("  # ")
        if not expected:
            statements.append(line)
            continue
        exec("\n".join(statements), namespace)  # noqa: S102 - the README's own snippet
        statements = []
        assert repr(eval(expression, namespace)) == expected  # noqa: S307
        checked += 1
    assert checked == 2
