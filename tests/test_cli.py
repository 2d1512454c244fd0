"""The chainrule command line: derive and trace (catalog commands are tested with the catalog)."""

from __future__ import annotations

import json

from derivations.cli import main, parse_var

NET = [
    "z = W @ x + b; h = tanh(z); s = u.T @ h",
    "--var",
    "W=n,m",
    "--var",
    "x=m",
    "--var",
    "b=n",
    "--var",
    "u=n",
]


def test_parse_var() -> None:
    assert parse_var("W=n,m") == ("W", ["n", "m"])
    assert parse_var("lam") == ("lam", [])
    assert parse_var("x = 3") == ("x", ["3"])


def test_derive_text(capsys) -> None:
    assert main(["derive", *NET]) == 0
    out = capsys.readouterr().out
    assert "∂s/∂W = δ xᵀ" in out
    assert "δ = ∂s/∂z = u ∘ (1 - tanh²(z))" in out
    assert "verification: PASSED" in out


def test_derive_json(capsys) -> None:
    assert main(["derive", *NET, "--json", "--wrt", "W"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert [x["wrt"] for x in d["derivatives"]] == ["W"]
    assert d["verification"]["passed"] is True


def test_derive_code_and_latex(capsys) -> None:
    assert main(["derive", *NET, "--code", "--no-verify"]) == 0
    assert "def value_and_grad(W, x, b, u):" in capsys.readouterr().out
    assert main(["derive", *NET, "--latex", "--no-verify", "--hessian", "--wrt", "x"]) == 0
    assert r"\begin{document}" in capsys.readouterr().out


def test_scalar_var_and_hessian(capsys) -> None:
    assert (
        main(["derive", "lam * sum(w ** 2)", "--var", "lam", "--var", "w=n", "--hessian", "--json"])
        == 0
    )
    d = json.loads(capsys.readouterr().out)
    assert d["variables"]["lam"] == []
    assert any(x["kind"] == "hessian" for x in d["derivatives"])


def test_bad_input_exits_2_with_the_message(capsys) -> None:
    assert main(["derive", "u @ h", "--var", "u=n", "--var", "h=n"]) == 2
    err = capsys.readouterr().err
    assert "line 1, column 3" in err and "u.T @ h" in err
    assert main(["derive", "x", "--var", "x=n", "--var", "x=m"]) == 2


def test_trace_the_lecture_example(capsys) -> None:
    args = ["trace", "(x + y) * max(y, z)", "--var", "x", "--var", "y", "--var", "z"]
    assert main([*args, "--at", "x=1", "--at", "y=2", "--at", "z=0", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["value"] == 6 and d["gradients"] == {"x": 2, "y": 5, "z": 0}
    assert main([*args, "--at", "x=1", "--at", "y=2", "--at", "z=0"]) == 0
    assert "max(y, z)" in capsys.readouterr().out


def test_trace_bad_value(capsys) -> None:
    assert main(["trace", "x * 2", "--var", "x", "--at", "x=[1,"]) == 2
    assert "JSON" in capsys.readouterr().err
