"""An LRU of finished answers, keyed by the canonical JSON of the validated request.

Derivations are pure functions of their input and the library version, so a repeated request
can be answered from memory without touching a worker; the same key, hashed, is the ETag.
The cache lives in the event loop's thread only, so it needs no lock.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any


def library_version() -> str:
    """The installed chainrule version; part of every ETag so an upgrade invalidates them."""
    import derivations

    version = getattr(derivations, "__version__", None)
    if version:
        return str(version)
    try:
        return metadata.version("chainrule")
    except metadata.PackageNotFoundError:
        return "0+unknown"


@dataclass(frozen=True)
class Entry:
    """A cached answer: JSON bytes for a success, or the fields of a ChainruleError."""

    body: bytes = b""
    error: dict[str, Any] = field(default_factory=dict)


class ResponseCache:
    def __init__(self, maxsize: int, version: str | None = None) -> None:
        self.maxsize = maxsize
        self.version = version or library_version()
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        # digest of (path, content type, raw body) -> canonical key, for the ASGI fast path
        self._raw: OrderedDict[bytes, str] = OrderedDict()

    def etag(self, op: str, key: str) -> str:
        """A strong validator: hash of the operation, the normalised request and the version."""
        digest = hashlib.sha256(f"{self.version}\0{op}\0{key}".encode()).hexdigest()
        return f'"{digest[:40]}"'

    def get(self, key: str) -> Entry | None:
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry

    def put(self, key: str, entry: Entry) -> None:
        if self.maxsize <= 0:
            return
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self.maxsize:
            self._entries.popitem(last=False)

    @staticmethod
    def raw_digest(path: str, content_type: bytes, body: bytes) -> bytes:
        """Identity of a request before parsing: equal bytes always validate to the same key."""
        return hashlib.sha256(b"%s\0%s\0%s" % (path.encode(), content_type, body)).digest()

    def remember_raw(self, digest: bytes, key: str) -> None:
        if self.maxsize <= 0:
            return
        self._raw[digest] = key
        self._raw.move_to_end(digest)
        while len(self._raw) > self.maxsize:
            self._raw.popitem(last=False)

    def lookup_raw(self, digest: bytes) -> tuple[str, Entry] | None:
        """The cached success for these exact request bytes, without parsing or validating."""
        key = self._raw.get(digest)
        if key is None:
            return None
        entry = self._entries.get(key)
        if entry is None or entry.error:
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return key, entry

    def __len__(self) -> int:
        return len(self._entries)


def etag_matches(if_none_match: str | None, etag: str, exists: bool = False) -> bool:
    """RFC 9110 weak comparison of an If-None-Match list against our strong ETag.

    ``*`` matches only a representation that exists (``exists``): a cached success, never a
    request that would fail.
    """
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        tag = candidate.strip()
        if tag == "*":
            if exists:
                return True
            continue
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag == etag:
            return True
    return False


@dataclass(frozen=True)
class Failure:
    """An outcome that cost a worker its life: the time limit, or a crash (a library bug)."""

    kind: str  # "time_limit" or "crash"
    at: float  # time.monotonic() when it happened
    seconds: float = 0.0  # the time limit in force, for "time_limit"


class FailureMemory:
    """Time-limit and crash outcomes of normalised requests, remembered for ``ttl`` seconds.

    Successes and library errors are deterministic and live in the LRU for good. Running into
    the time limit depends a little on the machine's load, so it is remembered for a while
    rather than forever; that is enough to make repeating a poison request cost no worker time.
    Bounded to ``maxsize`` entries (oldest first out); ``maxsize`` 0 or ``ttl`` 0 turn it off.
    """

    def __init__(self, maxsize: int, ttl: float) -> None:
        self.maxsize = maxsize
        self.ttl = ttl
        self._entries: OrderedDict[str, Failure] = OrderedDict()

    def get(self, op: str, key: str, now: float | None = None) -> Failure | None:
        name = f"{op}\0{key}"
        failure = self._entries.get(name)
        if failure is None:
            return None
        if (time.monotonic() if now is None else now) - failure.at >= self.ttl:
            del self._entries[name]
            return None
        return failure

    def put(self, op: str, key: str, failure: Failure) -> None:
        if self.maxsize <= 0 or self.ttl <= 0:
            return
        name = f"{op}\0{key}"
        self._entries[name] = failure
        self._entries.move_to_end(name)
        while len(self._entries) > self.maxsize:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
