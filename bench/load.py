"""Load benchmark of the HTTP service: throughput, p50 and p99 of /v1/derive.

Starts ``chainrule serve`` on 127.0.0.1 (never another interface) in a subprocess, then drives it
with a minimal keep-alive HTTP/1.1 client on asyncio streams (a full client library would spend
more CPU than the server on this 2-core machine and measure itself). Cached = the same request
repeated; uncached = distinct requests (a fresh dimension name each time). The service overhead
is the p50 of an uncached request at one client minus the p50 of the same library call made
in-process. Bounded request counts; the script stops the server and exits by itself.

    .venv/bin/python bench/load.py [--workers 2] [--requests 2000]
    .venv/bin/python bench/load.py --mode soak|abuse|trace-flood|all [--seconds 60]

CHAINRULE_BENCH_ROOT=/path/to/another/checkout serves that checkout instead (for comparisons).

Each simulated client connects from its own loopback address (127.0.1.x), since the service
caps uncached work per client address.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO

ROOT = Path(os.environ.get("CHAINRULE_BENCH_ROOT") or Path(__file__).resolve().parents[1])
HOST = "127.0.0.1"
PROGRAM = "z = W @ x + b; h = tanh(z); s = u.T @ h"


def variables(dim: str) -> dict[str, list[str]]:
    return {"W": [dim, "m"], "x": ["m"], "b": [dim], "u": [dim]}


def body(dim: str, verify: bool) -> bytes:
    return json.dumps(
        {"expression": PROGRAM, "variables": variables(dim), "verify": verify}
    ).encode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_server(
    port: int, workers: int, log: IO[bytes], env_extra: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CHAINRULE_CACHE_SIZE": "100000", "PYTHONPATH": str(ROOT)}
    env.update(env_extra or {})
    cmd = [sys.executable, "-m", "service.cli", "serve", "--host", HOST, "--port", str(port)]
    cmd += ["--workers", str(workers)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stderr=log, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=1) as r:
                if json.load(r)["status"] == "ok":
                    return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not become healthy within 120 s")


def source(i: int) -> str:
    """A loopback address per simulated client (the service caps uncached work per address)."""
    return f"127.0.{1 + i // 250}.{2 + i % 250}"


class Connection:
    """One keep-alive HTTP/1.1 connection; enough protocol for JSON POSTs and GETs."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int, client: int = 0) -> Connection:
        return cls(*await asyncio.open_connection(HOST, port, local_addr=(source(client), 0)))

    async def get(self, path: str) -> int:
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
        return await self._response()

    async def post(self, path: str, payload: bytes) -> int:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n"
        ).encode()
        self.writer.write(head + payload)
        return await self._response()

    async def _response(self) -> int:
        status_line = await self.reader.readline()
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        self.last_body = await self.reader.readexactly(length)
        return int(status_line.split()[1])

    def close(self) -> None:
        self.writer.close()


async def drive(port: int, clients: int, total: int, make_body: Callable[[int], bytes]) -> dict:
    """``clients`` connections share ``total`` requests; returns throughput and percentiles."""
    latencies: list[float] = []
    errors = 0
    counter = iter(range(total))

    async def client(who: int) -> None:
        nonlocal errors
        conn = await Connection.open(port, who)
        try:
            for i in counter:
                payload = make_body(i)
                start = time.perf_counter()
                status = await conn.post("/v1/derive", payload)
                latencies.append(time.perf_counter() - start)
                errors += status != 200
        finally:
            conn.close()

    start = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "clients": clients,
        "requests": len(latencies),
        "errors": errors,
        "req_s": len(latencies) / elapsed,
        "p50_ms": 1000 * latencies[len(latencies) // 2],
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
    }


class ServerLog:
    """Reads the server's JSON request log: ``total_ms - worker_ms`` is the service's own cost."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.offset = 0

    def overhead_p50(self) -> float | None:
        self.handle.flush()
        with open(self.handle.name, "rb") as f:
            f.seek(self.offset)
            data = f.read()
            self.offset += len(data)
        costs = []
        for line in data.splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if record.get("msg") == "request" and "worker_ms" in record:
                costs.append(record["total_ms"] - record["worker_ms"])
        return statistics.median(costs) if costs else None


def library_p50(n: int, verify: bool) -> float:
    """p50 in ms of the in-process library call for the same distinct requests."""
    from derivations.api import derive
    from derivations.limits import Limits

    derive(PROGRAM, variables("warm"), verify=verify)
    times = []
    for i in range(n):
        start = time.perf_counter()
        derive(PROGRAM, variables(f"lib{i}"), verify=verify, limits=Limits()).to_dict()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def table(title: str, rows: list[dict]) -> None:
    print(f"\n{title}")
    print(
        f"| {'clients':>7} | {'requests':>8} | {'errors':>6} | {'req/s':>8} | {'p50 ms':>8} | {'p99 ms':>8} |"
    )
    print(f"|{'-' * 9}|{'-' * 10}|{'-' * 8}|{'-' * 10}|{'-' * 10}|{'-' * 10}|")
    for r in rows:
        print(
            f"| {r['clients']:>7} | {r['requests']:>8} | {r['errors']:>6} | {r['req_s']:>8.1f} "
            f"| {r['p50_ms']:>8.2f} | {r['p99_ms']:>8.2f} |"
        )


async def run(args: argparse.Namespace) -> None:
    port = free_port()
    log_file = tempfile.NamedTemporaryFile(prefix="chainrule-bench-", suffix=".log")  # noqa: SIM115 - closed in finally
    server = start_server(port, args.workers, log_file)
    log = ServerLog(log_file)
    try:
        counter = iter(range(10**9))
        cached = [
            await drive(port, c, args.requests, lambda i: body("n", False)) for c in (1, 8, 32)
        ]
        uncached: dict[bool, list[dict]] = {}
        overhead: dict[bool, float | None] = {}
        for verify in (False, True):
            n = args.uncached if not verify else max(8, args.uncached // 4)
            log.overhead_p50()  # skip the lines of earlier runs (queueing is not overhead)
            first = await drive(port, 1, n, lambda i, v=verify: body(f"d{next(counter)}", v))
            overhead[verify] = log.overhead_p50()
            uncached[verify] = [first] + [
                await drive(port, c, max(n, c), lambda i, v=verify: body(f"d{next(counter)}", v))
                for c in (8, 32)
            ]
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        log_file.close()
    print(
        f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, workers={args.workers}"
    )
    table("cached /v1/derive (identical requests, answered from the LRU)", cached)
    table("uncached /v1/derive, verify=false (distinct dimension names)", uncached[False])
    table("uncached /v1/derive, verify=true", uncached[True])
    print("\nservice overhead on uncached requests at 1 client (p50, ms)")
    print(
        "| verify | library in-process | service end-to-end | difference | server log: total - in-worker |"
    )
    print(
        "|--------|--------------------|--------------------|------------|-------------------------------|"
    )
    for verify in (False, True):
        lib = library_p50(args.library_samples, verify)
        svc = uncached[verify][0]["p50_ms"]
        logged = overhead[verify]
        logged_text = f"{logged:.2f}" if logged is not None else "n/a"
        print(
            f"| {str(verify).lower():<6} | {lib:>18.2f} | {svc:>18.2f} | {svc - lib:>10.2f} "
            f"| {logged_text:>29} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--mode",
        choices=("throughput", "soak", "abuse", "trace-flood", "all"),
        default="throughput",
        help="throughput tables (default), a soak run, abuse runs (see bench/scenarios.py)",
    )
    parser.add_argument("--seconds", type=float, default=60, help="per soak or abuse phase")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--requests", type=int, default=3000, help="per cached run")
    parser.add_argument("--uncached", type=int, default=120, help="per uncached run")
    parser.add_argument("--library-samples", type=int, default=60)
    args = parser.parse_args()
    if args.mode in ("throughput", "all"):
        asyncio.run(run(args))
    if args.mode in ("soak", "abuse", "trace-flood", "all"):
        from scenarios import run_scenarios

        asyncio.run(run_scenarios(args))


if __name__ == "__main__":
    main()
