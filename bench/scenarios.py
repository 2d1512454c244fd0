"""Soak and abuse runs of the service, driven by bench/load.py (``--mode soak|abuse|all``).

- soak: 8 clients, each from its own address, send a mix for ``--seconds`` (70% cached, 20%
  uncached derives, 10% /healthz); the server's memory and worker restarts before and after.
- abuse: one client floods the pool with distinct requests that run into the time limit (a
  29-layer softmax chain with its Hessian, 2 s limit) on 3 connections, a second repeats one
  such request (remembered after its first run), while a third client sends cached, uncached
  and invalid derives and /healthz.
- pinned: two clients keep both workers in the time limit; /healthz latency meanwhile.
- trace flood: 8 clients send 120,000-number trace bodies; /healthz latency meanwhile.

Bounded by time; only loopback addresses; the servers are stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable

from load import PROGRAM, Connection, body, free_port, start_server, variables

ATTACKER, ATTACKER_2, VICTIM = 200, 201, 0  # client indices (source addresses)
HEAVY = (
    "h0 = x; "
    + "; ".join(f"h{i} = softmax(W @ h{i - 1} + b)" for i in range(1, 30))
    + "; s = sum(log(h29))"
)


def poison(tag: str) -> bytes:
    shape = {"W": [tag, tag], "x": [tag], "b": [tag]}
    return json.dumps(
        {"expression": HEAVY, "variables": shape, "hessian": True, "verify": False}
    ).encode()


INVALID = json.dumps({"expression": "W @ x +", "variables": variables("n")}).encode()
TRACE_BIG = json.dumps(
    {"expression": "sum(x)", "variables": {"x": [120_000]}, "values": {"x": [1] * 120_000}},
    separators=(",", ":"),
).encode()


def quantile_ms(times: list[float], q: float) -> float:
    return 1000 * times[min(len(times) - 1, int(len(times) * q))]


class Recorder:
    def __init__(self) -> None:
        self.samples: dict[str, list[tuple[float, int]]] = {}

    async def time(self, kind: str, call: Awaitable[int]) -> int:
        start = time.perf_counter()
        status = await call
        self.samples.setdefault(kind, []).append((time.perf_counter() - start, status))
        return status

    def rows(self, title: str, seconds: float) -> None:
        print(f"\n{title}")
        print("| requests | n | req/s | statuses | p50 ms | p99 ms | max ms |")
        print("|---|---|---|---|---|---|---|")
        for kind, samples in self.samples.items():
            times = sorted(t for t, _ in samples)
            statuses = ", ".join(
                f"{k}×{v}" for k, v in sorted(Counter(s for _, s in samples).items())
            )
            print(
                f"| {kind} | {len(times)} | {len(times) / seconds:.1f} | {statuses} "
                f"| {quantile_ms(times, 0.5):.2f} | {quantile_ms(times, 0.99):.2f} | {1000 * times[-1]:.1f} |"
            )


async def until(deadline: float, step: Callable[[], Awaitable[None]]) -> None:
    while time.monotonic() < deadline:
        await step()


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def health(port: int) -> dict:
    conn = await Connection.open(port, VICTIM)
    try:
        await conn.get("/healthz")
        return json.loads(conn.last_body)
    finally:
        conn.close()


async def soak(port: int, seconds: float, pid: int) -> None:
    rec, counter = Recorder(), iter(range(10**9))
    before, rss_before = await health(port), rss_mb(pid)
    deadline = time.monotonic() + seconds

    async def client(i: int) -> None:
        conn = await Connection.open(port, i)
        n = 0

        async def step() -> None:
            nonlocal n
            n += 1
            if n % 10 < 7:
                await rec.time("cached derive", conn.post("/v1/derive", body("n", False)))
            elif n % 10 < 9:
                payload = body(f"s{next(counter)}", False)
                await rec.time("uncached derive", conn.post("/v1/derive", payload))
            else:
                await rec.time("healthz", conn.get("/healthz"))

        try:
            await until(deadline, step)
        finally:
            conn.close()

    await asyncio.gather(*(client(i) for i in range(8)))
    after = await health(port)
    rec.rows(f"soak: 8 clients for {seconds:.0f} s", seconds)
    print(
        f"server RSS {rss_before:.0f} → {rss_mb(pid):.0f} MB; worker restarts "
        f"{before['workers']['restarts']} → {after['workers']['restarts']}"
    )


async def abuse(port: int, seconds: float) -> None:
    rec, counter = Recorder(), iter(range(10**9))
    deadline = time.monotonic() + seconds

    async def attacker(repeat: bool) -> None:
        conn = await Connection.open(port, ATTACKER_2 if repeat else ATTACKER)

        async def step() -> None:
            tag = "same" if repeat else f"p{next(counter)}"
            kind = "flood (repeated)" if repeat else "flood (distinct)"
            if await rec.time(kind, conn.post("/v1/derive", poison(tag))) == 429:
                await asyncio.sleep(0.02)

        try:
            await until(deadline, step)
        finally:
            conn.close()

    async def victim() -> None:
        conn = await Connection.open(port, VICTIM)
        await conn.post("/v1/derive", body("n", False))  # warm the cached answer

        async def step() -> None:
            await rec.time("victim cached", conn.post("/v1/derive", body("n", False)))
            payload = body(f"v{next(counter)}", False)
            await rec.time("victim uncached", conn.post("/v1/derive", payload))
            await rec.time("victim invalid", conn.post("/v1/derive", INVALID))
            await rec.time("victim healthz", conn.get("/healthz"))
            await asyncio.sleep(0.05)

        try:
            await until(deadline, step)
        finally:
            conn.close()

    await asyncio.gather(
        attacker(False), attacker(False), attacker(False), attacker(True), victim()
    )
    rec.rows(f"abuse: time-limit flood from one client for {seconds:.0f} s", seconds)


async def pinned(port: int, seconds: float) -> None:
    rec, counter = Recorder(), iter(range(10**9))
    deadline = time.monotonic() + seconds
    busy = Counter()

    async def attacker(who: int) -> None:
        conn = await Connection.open(port, who)
        try:
            await until(deadline, lambda: conn.post("/v1/derive", poison(f"q{next(counter)}")))
        finally:
            conn.close()

    async def probe() -> None:
        conn = await Connection.open(port, VICTIM)

        async def step() -> None:
            await rec.time("healthz", conn.get("/healthz"))
            busy[json.loads(conn.last_body)["workers"]["busy"]] += 1
            await asyncio.sleep(0.02)

        await asyncio.sleep(1.0)  # let the attackers take both workers
        try:
            await until(deadline, step)
        finally:
            conn.close()

    await asyncio.gather(attacker(ATTACKER), attacker(ATTACKER_2), probe())
    rec.rows(f"pinned: both workers in the time limit for {seconds:.0f} s", seconds)
    print(f"busy workers seen by /healthz: {dict(sorted(busy.items()))}")


async def trace_flood(port: int, seconds: float) -> None:
    rec = Recorder()
    deadline = time.monotonic() + seconds

    async def sender(i: int) -> None:
        conn = await Connection.open(port, 10 + i)
        try:
            await until(
                deadline, lambda: rec.time("120k-number trace", conn.post("/v1/trace", TRACE_BIG))
            )
        finally:
            conn.close()

    async def probe() -> None:
        conn = await Connection.open(port, VICTIM)

        async def step() -> None:
            await rec.time("healthz", conn.get("/healthz"))
            await asyncio.sleep(0.02)

        try:
            await until(deadline, step)
        finally:
            conn.close()

    await asyncio.gather(*(sender(i) for i in range(8)), probe())
    rec.rows(f"trace flood: 8 clients sending {len(TRACE_BIG)} B bodies", seconds)


async def serve(
    env: dict[str, str], workers: int, scenario: Callable[[int, int], Awaitable[None]]
) -> None:
    port = free_port()
    with tempfile.NamedTemporaryFile(prefix="chainrule-bench-") as log:
        server = start_server(port, workers, log, env)
        try:
            await scenario(port, server.pid)
        finally:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()


async def run_scenarios(args: argparse.Namespace) -> None:
    print(f"machine: {os.cpu_count()} cores; workers={args.workers}; program {PROGRAM!r}")
    if args.mode in ("soak", "all"):
        await serve({}, args.workers, lambda port, pid: soak(port, args.seconds, pid))
    if args.mode in ("abuse", "all"):
        env = {"CHAINRULE_TIME_LIMIT_SECONDS": "2"}
        await serve(env, args.workers, lambda port, pid: abuse(port, args.seconds))
        await serve(env, args.workers, lambda port, pid: pinned(port, args.seconds / 2))
    if args.mode in ("abuse", "trace-flood", "all"):
        await serve({}, args.workers, lambda port, pid: trace_flood(port, args.seconds / 2))
