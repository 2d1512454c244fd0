"""Fair use of the worker pool: a cap on each client's uncached work, and an in-process check.

A worker is the scarce resource: two requests that run into the time limit hold both of them.
So uncached work is admitted per client (its remote address): a client that already has
``per_client`` uncached requests in progress gets a 429 at once instead of queueing more, and
the other clients keep their share of the pool. Before a request may wait for a worker it is
parsed and shape-checked in the server process (in one bounded thread, never on the event
loop), so an invalid request is answered with its 422 without ever taking a worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from derivations.errors import ChainruleError
from derivations.limits import Limits

from .problems import Problem

log = logging.getLogger("chainrule.fairness")

Check = Callable[[str, dict[str, Any], Limits], None]


class ClientLimiter:
    """Counts each client's uncached requests in progress; the event loop's thread only."""

    def __init__(self, per_client: int) -> None:
        self.per_client = per_client
        self.rejected = 0
        self._active: dict[str, int] = {}

    @contextlib.contextmanager
    def slot(self, client: str) -> Iterator[None]:
        """Hold one of ``client``'s slots for the block, or raise a 429 problem."""
        active = self._active.get(client, 0)
        if active >= self.per_client:
            self.rejected += 1
            raise Problem(
                "too_many_requests",
                f"this client already has {active} uncached request"
                f"{'s' if active != 1 else ''} in progress; the limit is {self.per_client}",
                hint="wait for an answer before sending the next request, or raise "
                "CHAINRULE_CLIENT_CONCURRENCY; repeated requests are answered from the cache",
                details={"limit": "client_concurrency", "value": self.per_client},
                headers={"Retry-After": "1"},
            )
        self._active[client] = active + 1
        try:
            yield
        finally:
            left = self._active[client] - 1
            if left:
                self._active[client] = left
            else:
                del self._active[client]

    def in_progress(self) -> int:
        return sum(self._active.values())


def load_check(handler_path: str) -> Check | None:
    """The ``precheck`` function beside the worker handler, if its module defines one."""
    module = importlib.import_module(handler_path.partition(":")[0])
    return getattr(module, "precheck", None)


class Prechecker:
    """Runs the cheap parse and shape check in one thread, waiting at most ``timeout``.

    The check is bounded by the same ``Limits`` as the worker's (a program at the limits takes
    about 0.2 s), and it runs in a thread so the event loop keeps answering meanwhile. Should it
    take longer than ``timeout`` the request is queued for a worker anyway, which checks again
    under the time limit; only a ``ChainruleError`` counts as a verdict, anything else is left
    for the worker to report.
    """

    def __init__(self, check: Check | None, limits: Limits, timeout: float) -> None:
        self.check = check
        self.limits = limits
        self.timeout = timeout
        self.timeouts = 0
        self._executor = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="chainrule-precheck")
            if check is not None and timeout > 0
            else None
        )

    def _call(self, op: str, payload: dict[str, Any]) -> ChainruleError | None:
        assert self.check is not None
        try:
            self.check(op, payload, self.limits)
        except ChainruleError as exc:
            return exc
        except Exception:  # a bug, or recursion: the worker reports it properly
            return None
        return None

    async def run(self, op: str, payload: dict[str, Any]) -> None:
        """Raise the ChainruleError the worker would raise for this request, if it is invalid."""
        if self._executor is None:
            return
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._executor, self._call, op, payload)
        try:
            error = await asyncio.wait_for(asyncio.shield(future), self.timeout)
        except TimeoutError:
            self.timeouts += 1
            log.warning("precheck took longer than %s s; queued for a worker", self.timeout)
            return
        if error is not None:
            raise error

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
