"""Read, validate and serve catalog entries (one TOML file each under ``entries/``).

Validation errors are rewritten as ``ChainruleError(kind="catalog")`` naming the file and the
field, because the person who sees them is whoever just edited a TOML file.
"""

from __future__ import annotations

import copy
import difflib
import functools
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..declared import Frozen, freeze, thaw
from ..errors import ChainruleError
from .schema import Entry

ENTRIES_DIR = Path(__file__).parent / "entries"

_FIXES = {
    "extra_forbidden": "remove it or check its spelling against the schema in catalog/schema.py",
    "missing": "add it to the entry",
}


def _explain(path: Path, exc: ValidationError) -> ChainruleError:
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"]) or "(entry)"
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        message = "unknown key"
    elif err["type"] == "missing":
        message = "required field is missing"
    hint = _FIXES.get(err["type"], f"fix the value of {field!r}")
    return ChainruleError(
        "catalog",
        f"{path.name}: field {field!r}: {message}",
        hint=hint,
        details={"file": str(path), "field": field, "errors": len(exc.errors())},
    )


def load_file(path: Path) -> Entry:
    """Parse and validate one entry file; any problem names the file, the field and the fix."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ChainruleError(
            "catalog",
            f"{path.name}: not valid TOML: {exc}",
            hint="check quoting and brackets near the reported line",
            details={"file": str(path)},
        ) from None
    try:
        return Entry.model_validate(raw)
    except ValidationError as exc:
        raise _explain(path, exc) from None


def load_dir(directory: Path) -> dict[str, Entry]:
    """Every ``*.toml`` in ``directory`` keyed by id; duplicate ids are an error."""
    entries: dict[str, Entry] = {}
    origin: dict[str, Path] = {}
    for path in sorted(directory.glob("*.toml")):
        entry = load_file(path)
        if entry.id in entries:
            raise ChainruleError(
                "catalog",
                f"{path.name}: field 'id': {entry.id!r} is already used by {origin[entry.id].name}",
                hint="give every entry a unique id",
                details={"file": str(path), "field": "id"},
            )
        entries[entry.id] = entry
        origin[entry.id] = path
    return entries


@functools.cache
def catalog() -> dict[str, Entry]:
    """The shipped entries in id order, loaded once per process."""
    entries = load_dir(ENTRIES_DIR)
    return {key: entries[key] for key in sorted(entries)}


def find(entry_id: str) -> Entry:
    """The entry with this id, or a not_found error suggesting the nearest id."""
    entries = catalog()
    if entry_id in entries:
        return entries[entry_id]
    close = difflib.get_close_matches(entry_id, list(entries), n=1, cutoff=0.3)
    hint = f"did you mean {close[0]!r}?" if close else "run `chainrule catalog` to list the ids"
    raise ChainruleError("not_found", f"no catalog entry with id {entry_id!r}", hint=hint)


def list_entries() -> list[dict[str, Any]]:
    """A short row per entry, in id order, for listings and the docs page."""
    return [
        {"id": e.id, "title": e.title, "tags": list(e.tags), "summary": e.summary}
        for e in catalog().values()
    ]


def entry_fields(entry: Entry) -> dict[str, Any]:
    """The entry's own fields as plain JSON-able data."""
    return entry.model_dump(mode="json", exclude_none=True)


@functools.lru_cache(maxsize=64)
def _derive_cached(
    program: str,
    variables: tuple[Frozen, ...],
    wrt: tuple[str, ...],
    verify: bool,
) -> dict[str, Any]:
    """Derivations keyed by their input: several technique entries share one program."""
    from ..api import derive

    return derive(program, thaw(variables), wrt=list(wrt), verify=verify).to_dict()


def derivation(entry: Entry, verify: bool = True) -> dict[str, Any]:
    """``derive(...).to_dict()`` for the entry's program (a fresh copy, safe to modify)."""
    variables = freeze(entry.variables)
    return copy.deepcopy(_derive_cached(entry.program, variables, tuple(entry.wrt), verify))


def get_entry(entry_id: str, verify: bool = True) -> dict[str, Any]:
    """The full derivation of an entry with the entry's own fields merged in.

    The entry's fields (``id``, ``title``, ``notes``, ...) sit beside the derivation's keys;
    the one shared key, ``variables``, keeps the derivation's normalized form (dims as strings).
    """
    entry = find(entry_id)
    out = {**entry_fields(entry), **derivation(entry, verify)}
    if entry.trace_at is not None:
        from ..api import trace

        out["trace"] = trace(entry.program, dict(entry.variables), dict(entry.trace_at)).to_dict()
    return out
