"""Leave nothing of a student's process behind: a file that forks a daemon (double fork and
setsid escape the process group) could otherwise outlive the grading run and replace
results.json after the grader wrote it.

Before the run the grader becomes a *child subreaper* (Linux ``prctl``), so every orphan the
student's process leaves is reparented to the grader instead of init; after the run every
child that was not there before is killed and reaped, round after round, until none is left.
Elsewhere (no prctl) only the direct child is contained, as before.
"""

from __future__ import annotations

import ctypes
import os
import signal
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36
ROUNDS = 200  # a fork loop gets this many kill-and-reap rounds


def become_subreaper() -> bool:
    """Adopt orphaned descendants (idempotent); False where the platform cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def children() -> set[int]:
    """The pids whose parent is this process (from /proc; empty where there is none)."""
    me, out = os.getpid(), set()
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = entry.read_text()
        except OSError:
            continue
        fields = text[text.rfind(")") + 2 :].split()
        if len(fields) > 1 and int(fields[1]) == me:
            out.add(int(entry.parent.name))
    return out


def kill_new_children(before: set[int]) -> int:
    """SIGKILL and reap every child not in ``before`` (and the orphans that kill makes)."""
    killed = 0
    for _ in range(ROUNDS):
        new = children() - before
        if not new:
            break
        for pid in new:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                killed += 1
            except (ProcessLookupError, ChildProcessError):
                pass
    return killed
