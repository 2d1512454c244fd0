"""A stand-in worker handler for service tests that must not depend on SymPy's speed.

The program text is the command: ``sleep:2`` sleeps, ``wait:PATH`` holds its worker until
the file PATH exists (a gate the test opens: no race with the machine's speed), ``error`` raises a ChainruleError with
details that do not pickle, ``crash`` raises a bug, ``exit`` kills the worker, anything else is
echoed back with the worker's pid. ``precheck`` stands in for the in-process parse and
shape check.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from derivations.errors import ChainruleError
from derivations.limits import Limits


def precheck(op: str, payload: dict[str, Any], limits: Limits) -> None:
    """The server-side check: rejects ``invalid`` (as the worker does) and ``invalid-early``
    (which only this check rejects, so its 422 proves the check answered); ``checksleep:2``
    makes the check slow."""
    command = str(payload.get("expression", ""))
    if command in ("invalid", "invalid-early"):
        raise ChainruleError("syntax", "rejected by the precheck", 1, 1, "fix it", "invalid")
    if command.startswith("checksleep:"):
        time.sleep(float(command.partition(":")[2]))


def run(op: str, payload: dict[str, Any], limits: Limits) -> bytes:
    command = str(payload.get("expression", ""))
    if command == "invalid":
        raise ChainruleError("syntax", "rejected by the worker", 1, 1, "fix it", "invalid")
    if command.startswith("sleep:"):
        time.sleep(float(command.partition(":")[2]))
    elif command.startswith("wait:"):
        gate = command.partition(":")[2]
        for _ in range(12_000):  # a guard of ~10 minutes against a test that never opens it
            if os.path.exists(gate):
                break
            time.sleep(0.05)
    elif command == "error":
        raise ChainruleError(
            "shape_mismatch", "bad shapes", 1, 3, "fix it", "x + y", {"k": object()}
        )
    elif command == "crash":
        raise RuntimeError("secret internal detail")
    elif command == "exit":
        os._exit(3)
    elif command == "recurse":
        raise RecursionError
    elif command == "nan":
        return json.dumps({"value": float("nan")}).encode()
    return json.dumps(
        {"op": op, "pid": os.getpid(), "max_depth": limits.max_depth, "payload": payload}
    ).encode()
