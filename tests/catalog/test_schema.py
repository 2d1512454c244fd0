"""The loader rejects malformed entries with a message naming the file, the field and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from derivations.catalog.loader import catalog, load_dir, load_file
from derivations.errors import ChainruleError

GOOD = """\
id = "tiny"
title = "Tiny"
summary = "A tiny entry."
tags = ["basics"]
program = "s = u.T @ h"
wrt = ["u"]
notes = ["n"]

[variables]
u = ["n"]
h = ["n"]
"""


def write(tmp_path: Path, text: str, name: str = "tiny.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def rejected(path: Path) -> ChainruleError:
    with pytest.raises(ChainruleError) as info:
        load_file(path)
    err = info.value
    assert err.kind == "catalog"
    assert path.name in err.message
    assert err.hint
    return err


def test_good_entry_loads(tmp_path: Path) -> None:
    entry = load_file(write(tmp_path, GOOD))
    assert entry.id == "tiny" and entry.wrt == ["u"]


def test_unknown_key(tmp_path: Path) -> None:
    err = rejected(write(tmp_path, GOOD.replace('notes = ["n"]', 'notes = ["n"]\nnote = "typo"')))
    assert "'note'" in err.message and "unknown key" in err.message
    assert "spelling" in err.hint


def test_bad_id(tmp_path: Path) -> None:
    err = rejected(write(tmp_path, GOOD.replace('id = "tiny"', 'id = "Tiny Entry"')))
    assert "'id'" in err.message and "slug" in err.message


def test_wrt_not_declared(tmp_path: Path) -> None:
    err = rejected(write(tmp_path, GOOD.replace('wrt = ["u"]', 'wrt = ["q"]')))
    assert "['q']" in err.message and "not declared" in err.message


def test_missing_field(tmp_path: Path) -> None:
    err = rejected(write(tmp_path, GOOD.replace('summary = "A tiny entry."\n', "")))
    assert "'summary'" in err.message and "missing" in err.message
    assert "add it" in err.hint


def test_empty_tags(tmp_path: Path) -> None:
    err = rejected(write(tmp_path, GOOD.replace('tags = ["basics"]', "tags = []")))
    assert "'tags'" in err.message


def test_bad_toml(tmp_path: Path) -> None:
    err = rejected(write(tmp_path, GOOD.replace('title = "Tiny"', "title = Tiny")))
    assert "TOML" in err.message


def test_nested_unknown_key_names_its_path(tmp_path: Path) -> None:
    text = GOOD + '\n[technique]\nformula = "x"\nimplementation = "a.b:c"\ncode = "oops"\n'
    err = rejected(write(tmp_path, text))
    assert "'technique.code'" in err.message


def test_training_names_must_be_declared(tmp_path: Path) -> None:
    text = GOOD + '\n[training]\nparameters = ["W"]\n'
    err = rejected(write(tmp_path, text))
    assert "['W']" in err.message


def test_duplicate_ids(tmp_path: Path) -> None:
    write(tmp_path, GOOD, "a.toml")
    write(tmp_path, GOOD, "b.toml")
    with pytest.raises(ChainruleError) as info:
        load_dir(tmp_path)
    assert "b.toml" in info.value.message and "a.toml" in info.value.message
    assert "unique" in info.value.hint


def test_shipped_entry_ids_match_file_names() -> None:
    from derivations.catalog.loader import ENTRIES_DIR

    files = sorted(p.stem for p in ENTRIES_DIR.glob("*.toml"))
    assert files == sorted(catalog())
