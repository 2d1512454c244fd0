"""A small pool of worker processes, each behind its own pipe, that can kill one stuck task.

Derivations are CPU-bound SymPy work that can run for a long time on hostile input, and a thread
cannot be stopped once it is inside SymPy. A ``ProcessPoolExecutor`` cannot cancel a running
task either, so each worker here is a plain ``multiprocessing`` process with a duplex pipe: the
event loop waits on the pipe's file descriptor (no thread per request), and a worker that
overruns the time limit is SIGKILLed and replaced in the background while the other workers keep
serving. Processes come from a ``forkserver`` that has already imported SymPy and the library, so
a replacement is ready in well under a second instead of re-importing everything.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import logging
import multiprocessing as mp
import os
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, Literal

from derivations.errors import ChainruleError
from derivations.limits import Limits

log = logging.getLogger("chainrule.workers")

DEFAULT_HANDLER = "service.tasks:run"
"""``module:function`` run inside a worker as ``function(op, payload, limits) -> bytes``."""

# BLAS thread pools inside every worker would oversubscribe the cores the pool already shares.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

_CONTEXT = mp.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["service.tasks"])


class PoolError(Exception):
    """Base class for the pool's own failures (not the user's).

    ``replacement`` is the start-up of the worker that replaces a killed one (time limit,
    crash): the server holds the client's slot until it is done, so the client that cost a
    worker pays for its replacement too, rather than everyone else.
    """

    replacement: asyncio.Task[None] | None = None


class WorkerTimeout(PoolError):
    """The task ran longer than the time limit; its worker has been killed."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"time limit of {seconds} s exceeded")
        self.seconds = seconds


class PoolBusy(PoolError):
    """No worker became free within the queue timeout."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"no worker free within {seconds} s")
        self.seconds = seconds


class WorkerCrashed(PoolError):
    """The worker died or raised something that is not a ChainruleError: a bug, never input."""


@dataclass(frozen=True)
class Outcome:
    """What a worker sent back: JSON bytes on success or a ChainruleError's fields."""

    status: Literal["ok", "error"]
    body: bytes = b""
    error: dict[str, Any] = field(default_factory=dict)
    worker_seconds: float = 0.0

    def raise_error(self) -> None:
        if self.status == "error":
            raise ChainruleError(**self.error)


# --------------------------------------------------------------------------- inside the worker


def _resolve(path: str) -> Callable[[str, dict[str, Any], Limits], bytes]:
    module_name, _, attr = path.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def error_fields(exc: ChainruleError) -> dict[str, Any]:
    """Fields that rebuild the error in the parent; details go through JSON so they pickle."""
    fields = asdict(exc)
    fields["details"] = json.loads(json.dumps(fields["details"], default=str))
    return fields


def _set_memory_limit(megabytes: int) -> None:
    if megabytes <= 0:
        return
    try:
        import resource

        cap = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    except (ImportError, ValueError, OSError):  # pragma: no cover - platform without RLIMIT_AS
        pass


def _worker_main(
    conn: Connection, handler_path: str, limits: dict[str, Any], memory_mb: int
) -> None:
    """Serve ``(op, payload)`` messages until the pipe closes; never let an exception escape."""
    handler = _resolve(handler_path)
    warm_up = getattr(importlib.import_module(handler_path.partition(":")[0]), "warm_up", None)
    if warm_up is not None:
        with contextlib.suppress(Exception):
            warm_up()
    _set_memory_limit(memory_mb)
    bounds = Limits(**limits)
    conn.send(("ready", os.getpid()))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        op, payload = message
        start = time.perf_counter()
        recycle = False
        try:
            reply: tuple[str, Any] = ("ok", handler(op, payload, bounds))
        except ChainruleError as exc:
            reply = ("error", error_fields(exc))
        except RecursionError:
            reply = (
                "error",
                error_fields(
                    ChainruleError(
                        "limit",
                        "the expression is nested too deeply for the derivation engine",
                        hint="split it into named intermediates: z = ...; h = tanh(z)",
                        details={"limit": "recursion"},
                    )
                ),
            )
        except MemoryError:
            recycle = True
            reply = (
                "error",
                error_fields(
                    ChainruleError(
                        "limit",
                        f"the request needs more memory than a worker may use ({memory_mb} MB)",
                        hint="use smaller dimensions or raise CHAINRULE_WORKER_MEMORY_MB",
                        details={"limit": "worker_memory_mb", "value": memory_mb},
                    )
                ),
            )
        except Exception:  # a library bug: report it, then start afresh
            recycle = True
            reply = ("crash", traceback.format_exc())
        try:
            conn.send((reply[0], reply[1], time.perf_counter() - start, recycle))
        except (EOFError, OSError):
            return


# --------------------------------------------------------------------------- in the server


@dataclass(eq=False)  # identity semantics: workers live in a set
class _Worker:
    process: BaseProcess
    conn: Connection

    @property
    def pid(self) -> int | None:
        return self.process.pid


async def _receive(conn: Connection, timeout: float) -> Any:
    """Wait for one message without a thread: the loop watches the pipe's descriptor."""
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()
    fd = conn.fileno()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(fd, wake)
    try:
        await asyncio.wait_for(ready, timeout)
    finally:
        loop.remove_reader(fd)
    return conn.recv()


class WorkerPool:
    """``size`` pre-warmed worker processes; ``run`` hands a task to a free one."""

    def __init__(
        self,
        size: int,
        limits: Limits,
        *,
        time_limit: float,
        queue_timeout: float = 30.0,
        memory_mb: int = 0,
        startup_timeout: float = 120.0,
        handler: str = DEFAULT_HANDLER,
    ) -> None:
        self.size = size
        self.limits = limits
        self.time_limit = time_limit
        self.queue_timeout = queue_timeout
        self.memory_mb = memory_mb
        self.startup_timeout = startup_timeout
        self.handler = handler
        self.restarts = 0
        self._workers: set[_Worker] = set()
        self._idle: asyncio.Queue[_Worker] | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._closed = False

    # -- lifecycle

    async def start(self) -> None:
        """Start every worker and wait until each has imported and exercised the library."""
        self._idle = asyncio.Queue()
        workers = await asyncio.gather(*(self._spawn() for _ in range(self.size)))
        for worker in workers:
            self._idle.put_nowait(worker)

    async def close(self) -> None:
        self._closed = True
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        workers = list(self._workers)
        self._workers.clear()
        for worker in workers:
            with contextlib.suppress(OSError, ValueError):
                worker.conn.send(None)
        await asyncio.gather(*(asyncio.to_thread(self._stop, w, 2.0) for w in workers))

    @staticmethod
    def _stop(worker: _Worker, grace: float) -> None:
        worker.process.join(grace)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join(5.0)
        with contextlib.suppress(OSError):
            worker.conn.close()

    async def _spawn(self) -> _Worker:
        parent, child = _CONTEXT.Pipe(duplex=True)
        process = _CONTEXT.Process(
            target=_worker_main,
            args=(child, self.handler, asdict(self.limits), self.memory_mb),
            name="chainrule-worker",
            daemon=True,
        )
        await asyncio.to_thread(process.start)
        child.close()
        worker = _Worker(process, parent)
        try:
            message = await _receive(parent, self.startup_timeout)
        except (EOFError, OSError) as exc:
            await asyncio.to_thread(self._stop, worker, 0.0)
            raise WorkerCrashed(f"worker exited during start-up ({process.exitcode})") from exc
        except BaseException:
            await asyncio.to_thread(self._stop, worker, 0.0)
            raise
        if not (isinstance(message, tuple) and message[0] == "ready"):  # pragma: no cover
            await asyncio.to_thread(self._stop, worker, 0.0)
            raise WorkerCrashed(f"worker did not start: {message!r}")
        self._workers.add(worker)
        log.info("worker started", extra={"fields": {"pid": worker.pid}})
        return worker

    def _replace(self, worker: _Worker) -> asyncio.Task[None] | None:
        """Kill ``worker`` now and start its successor in the background."""
        self._workers.discard(worker)
        with contextlib.suppress(OSError, ValueError, AttributeError):
            worker.process.kill()
        if self._closed:
            return None
        self.restarts += 1
        task = asyncio.get_running_loop().create_task(self._respawn(worker))
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def _respawn(self, old: _Worker) -> None:
        await asyncio.to_thread(self._stop, old, 0.0)
        delay = 0.5
        while not self._closed:
            try:
                worker = await self._spawn()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("could not start a replacement worker; retrying")
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
                continue
            assert self._idle is not None
            self._idle.put_nowait(worker)
            return

    # -- work

    async def run(
        self,
        op: str,
        payload: dict[str, Any],
        before_wait: Callable[[], Awaitable[None]] | None = None,
    ) -> Outcome:
        """Run ``op`` on a free worker within the time limit; raise a PoolError otherwise.

        When no worker is free, ``before_wait`` runs first (and may raise): the server checks
        the request there, so only valid work waits in the queue. With a worker free there is
        no wait, and the worker's own check is as quick.
        """
        if self._idle is None or self._closed:
            raise PoolError("the worker pool is not running")
        try:
            worker = self._idle.get_nowait()
        except asyncio.QueueEmpty:
            if before_wait is not None:
                await before_wait()
            try:
                worker = await asyncio.wait_for(self._idle.get(), self.queue_timeout)
            except TimeoutError:
                raise PoolBusy(self.queue_timeout) from None
        healthy = False
        failure: PoolError | None = None
        try:
            try:
                worker.conn.send((op, payload))
                reply = await _receive(worker.conn, self.time_limit)
            except TimeoutError:
                log.warning(
                    "worker killed after the time limit",
                    extra={"fields": {"pid": worker.pid, "time_limit_s": self.time_limit}},
                )
                failure = WorkerTimeout(self.time_limit)
                raise failure from None
            except (EOFError, OSError) as exc:
                failure = WorkerCrashed(
                    f"worker {worker.pid} died (exit code {worker.process.exitcode})"
                )
                raise failure from exc
            status, data, seconds, recycle = reply
            healthy = not recycle
            if status == "crash":
                failure = WorkerCrashed(f"worker {worker.pid} raised:\n{data}")
                raise failure
            if status == "error":
                return Outcome("error", error=data, worker_seconds=seconds)
            return Outcome("ok", body=data, worker_seconds=seconds)
        finally:
            if healthy:
                self._idle.put_nowait(worker)
            else:
                replacement = self._replace(worker)
                if failure is not None:
                    failure.replacement = replacement

    def stats(self) -> dict[str, int]:
        idle = self._idle.qsize() if self._idle is not None else 0
        return {
            "size": self.size,
            "alive": len(self._workers),
            "idle": idle,
            "busy": max(0, len(self._workers) - idle),
            "restarts": self.restarts,
        }
