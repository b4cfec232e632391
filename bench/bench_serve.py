"""Benchmark: the practice server under a class. `symgrad serve --workers 2` on loopback; 50 concurrent
clients, each a student who posts checks (a mix of correct, wrong and hostile answers, and previews as
they type) with a short think time between requests; then the same requests from one client with no
think time (the baseline: one request at a time, nothing queued). Reported: p50/p99 latency,
throughput, errors, and the attempts counted in the database after the run against the checks sent.

    python bench/bench_serve.py [--clients 50] [--requests 20] [--think 0.3]

Bounded: clients x requests requests (1,000 by default), a 120 s ceiling, loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
ANSWERS = [  # (path, body): what students send; {k} is a number of the student's own (most answers are new)
    ("/api/check", {"problem": "chain-composition", "part": "derivative.x", "answer": "8(15x^2 - 1)(5x^3 - x - 1)"}),
    ("/api/check", {"problem": "chain-composition", "part": "derivative.x", "answer": "8(5x^3 - x - 1)"}),
    ("/api/check", {"problem": "chain-composition", "part": "derivative.x", "answer": "{k}(15x^2 - 1)(5x^3 - x - 1)"}),
    ("/api/check", {"problem": "staged-xyz", "part": "grad.y", "answer": "-{k}"}),
    ("/api/check", {"problem": "staged-xyz", "part": "gradient.z", "answer": "x + {k}y"}),
    ("/api/check", {"problem": "net-one-hidden", "part": "grad.W1", "answer": "{k} d1 x^T"}),
    ("/api/check", {"problem": "staged-xyz", "part": "grad.x", "answer": "-3"}),
    ("/api/check", {"problem": "staged-xyz", "part": "gradient.x", "answer": "z"}),
    ("/api/check", {"problem": "net-one-hidden", "part": "grad.W2", "answer": "a1 d2^T"}),
    ("/api/check", {"problem": "net-one-hidden", "part": "delta.1", "answer": "(W2^T d2) o a1 o (1 - a1)"}),
    ("/api/check", {"problem": "staged-xyz", "part": "grad.x", "answer": "__import__('os').system('id')"}),
    ("/api/check", {"problem": "staged-xyz", "part": "grad.x", "answer": "9^9^9^9^9"}),
    ("/api/preview", {"problem": "chain-composition", "part": "derivative.x", "answer": "8(15x^2 - 1"}),
    ("/api/preview", {"problem": "chain-composition", "part": "derivative.x", "answer": "sin x^2"}),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Connection:
    """A keep-alive HTTP/1.1 connection written by hand on asyncio streams: a Python HTTP client costs more
    CPU per request than the server, and on two cores it would measure itself."""

    def __init__(self, port: int):
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: dict) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            self.writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        data = json.dumps(body).encode()
        self.writer.write(f"POST {path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
                          f"content-length: {len(data)}\r\n\r\n".encode() + data)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def _student(port: int, name: str, requests: int, think: float, rng: random.Random, latencies: list[float],
                   errors: list[str], sent: list[int], slowest: dict[str, float] | None = None) -> None:
    connection = _Connection(port)
    if think:  # students do not start in the same millisecond: each begins within the first think time
        await asyncio.sleep(think * rng.random())
    try:
        for _ in range(requests):
            path, template = ANSWERS[rng.randrange(len(ANSWERS))]
            body = {**template, "answer": template["answer"].replace("{k}", str(rng.randrange(2, 10**6)))}
            start = time.perf_counter()
            try:
                status, _ = await connection.post(path, {**body, "student": name})
                if status != 200:
                    errors.append(f"{path} {status}")
            except (OSError, asyncio.IncompleteReadError, ValueError, StopIteration) as err:
                errors.append(f"{path} {type(err).__name__}")
                connection.close()
                connection = _Connection(port)
            latencies.append(time.perf_counter() - start)
            if slowest is not None:
                what = f"{path} {template['part']} {template['answer']}"
                slowest[what] = max(slowest.get(what, 0.0), latencies[-1])
            if path == "/api/check":
                sent.append(1)
            if think:
                await asyncio.sleep(think * (0.5 + rng.random()))
    finally:
        connection.close()


async def _run(port: int, clients: int, requests: int, think: float, seed: int) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    sent: list[int] = []
    slowest: dict[str, float] = {}
    start = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(
        _student(port, f"s{c:03d}-{seed}", requests, think, random.Random(seed * 1000 + c), latencies, errors, sent,
                 slowest) for c in range(clients))), 120)
    seconds = time.perf_counter() - start
    latencies.sort()
    return {"n": len(latencies), "p50": statistics.median(latencies) * 1000,
            "p99": latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000, "rps": len(latencies) / seconds,
            "errors": errors, "checks": len(sent), "slowest": sorted(slowest.items(), key=lambda x: -x[1])[:3]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=20, help="requests per client")
    parser.add_argument("--think", type=float, default=0.3, help="mean seconds a student waits between requests")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db, port = Path(tmp) / "attempts.sqlite", _free_port()
        server = subprocess.Popen([sys.executable, "-m", "symgrad", "serve", "--workers", "2", "--port", str(port),
                                   "--db", str(db), "--rate", "1000"], cwd=ROOT, stdout=subprocess.DEVNULL,
                                  env={**os.environ, "PYTHONUNBUFFERED": "1"})
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    httpx.get(base + "/api/problems", timeout=2)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            asyncio.run(_run(port, 4, 5, 0, 99))  # warm every checker process of both workers
            with sqlite3.connect(db) as con:
                warm = con.execute("SELECT COUNT(*) FROM attempts").fetchone()[0]
            baseline = asyncio.run(_run(port, 1, len(ANSWERS) * 5, 0, 1))
            load = asyncio.run(_run(port, args.clients, args.requests, args.think, 2))
        finally:
            server.terminate()
            server.wait(20)
        with sqlite3.connect(db) as con:
            stored = con.execute("SELECT COUNT(*) FROM attempts").fetchone()[0] - warm
            pending = con.execute("SELECT COUNT(*) FROM attempts WHERE verdict = 'pending'").fetchone()[0]
    sent = baseline["checks"] + load["checks"]
    print(f"baseline, 1 client, no think time: {baseline['n']} requests, p50 {baseline['p50']:.1f} ms, "
          f"p99 {baseline['p99']:.1f} ms, {baseline['rps']:.0f} requests/s, {len(baseline['errors'])} errors")
    print(f"{args.clients} clients x {args.requests} requests, think {args.think} s, 2 workers: "
          f"p50 {load['p50']:.1f} ms, p99 {load['p99']:.1f} ms, {load['rps']:.0f} requests/s, "
          f"{len(load['errors'])} errors")
    print("slowest under load: " + "; ".join(f"{what} {t * 1000:.0f} ms" for what, t in load["slowest"]))
    print(f"p99 under load / p50 of one client: {load['p99'] / baseline['p50']:.1f}x")
    print(f"attempts: {sent} checks sent, {stored} stored, {pending} left pending, {sent - stored} lost")
    target = load["p99"] < 100 and not load["errors"] and stored == sent and not pending
    print("target (p99 < 100 ms, 0 errors, 0 lost):", "met" if target else "NOT met")
    return 0 if target else 1


if __name__ == "__main__":
    sys.exit(main())
