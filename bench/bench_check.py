"""Benchmark: symgrad check against plain sympy.simplify(expected - answer) == 0 on a labelled corpus.

bench/check_corpus.jsonl holds (expected, answer, truth) pairs from derivative exercises (built by
bench/make_corpus.py). Both methods read the pairs through symgrad's grammar; the baseline gets a
per-pair timeout. Reported: accuracy, false accepts and rejects, undecided, timeouts, median and
99th-percentile time per check, and throughput of `symgrad check --batch` and
`symgrad grade --workers 2`.

    python bench/bench_check.py [--timeout 5] [--limit N]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sympy

from symgrad.check import Context, check, read_answer

HERE = Path(__file__).parent
CORPUS = HERE / "check_corpus.jsonl"


class BaselineTimeoutError(Exception):
    pass


def _alarm(signum, frame):
    raise BaselineTimeoutError()


def baseline(expected: str, answer: str, names: tuple[str, ...], timeout: float) -> str:
    """correct / incorrect / timeout / invalid, as sympy.simplify(expected - answer) == 0 decides."""
    ctx = Context(names)
    try:
        key, _ = read_answer(expected, ctx)
        value, _ = read_answer(answer, ctx)
    except Exception:  # noqa: BLE001
        return "invalid"
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        return "correct" if sympy.simplify(key - value) == 0 else "incorrect"
    except BaselineTimeoutError:
        return "timeout"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def score(name: str, results: list[tuple[dict, str, float]]) -> dict:
    times = sorted(t for _, _, t in results)
    fa = sum(1 for row, v, _ in results if v == "correct" and not row["truth"])
    fr = sum(1 for row, v, _ in results if v != "correct" and row["truth"])
    right = sum(1 for row, v, _ in results if (v == "correct") == row["truth"] and v in ("correct", "incorrect"))
    return {
        "method": name, "pairs": len(results), "accuracy": right / len(results), "false accepts": fa,
        "false rejects": fr, "undecided": sum(1 for _, v, _ in results if v == "undecided"),
        "invalid": sum(1 for _, v, _ in results if v == "invalid"),
        "timeouts": sum(1 for _, v, _ in results if v == "timeout"),
        "median ms": 1000 * statistics.median(times), "p99 ms": 1000 * times[int(0.99 * (len(times) - 1))],
    }


def throughput_batch(rows: list[dict]) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "batch.jsonl"
        path.write_text("".join(json.dumps({k: r[k] for k in ("id", "expected", "answer", "vars")}) + "\n"
                                for r in rows))
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "symgrad", "check", "--batch", str(path)],
                             capture_output=True, text=True, check=True).stdout
        elapsed = time.perf_counter() - start
        assert len(out.splitlines()) == len(rows)
        return len(rows) / elapsed


def throughput_grade(count: int) -> float:
    answers = [("staged-xyz", "value.f", "-14"), ("staged-xyz", "grad.x", "-3"), ("neuron", "grad.x0", "0.39"),
               ("chain-composition", "derivative.x", "8(5x^3 - x - 1)(15x^2 - 1)"),
               ("chain-multivariate", "derivative.u", "6(sin u + cos v)^2 cos u"),
               ("tanh-sigmoid", "derivative", r"1 - \tanh^2 x"), ("grad-xy", "partial.x", "y"),
               ("sigmoid-derivative", "derivative", "s(x)(1 - s(x))")]
    with tempfile.TemporaryDirectory() as tmp:
        subs = Path(tmp) / "subs.csv"
        with subs.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(("student", "problem", "part", "answer"))
            for i in range(count):
                problem, part, answer = answers[i % len(answers)]
                writer.writerow((f"s{i // len(answers)}", problem, part, answer))
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "symgrad", "grade", str(subs), "--out", str(Path(tmp) / "r.csv"),
                        "--workers", "2"], capture_output=True, text=True, check=True)
        return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per pair for the baseline")
    parser.add_argument("--limit", type=int, default=0, help="only the first N pairs")
    args = parser.parse_args()
    rows = [json.loads(line) for line in CORPUS.read_text().splitlines()]
    if args.limit:
        rows = rows[: args.limit]
    ours, theirs = [], []
    check("x", "x", Context(("x",)))  # load the grammars once, as a long-running grader would
    for row in rows:
        names = tuple(v for v in row["vars"].split(",") if v)
        start = time.perf_counter()
        verdict = check(row["expected"], row["answer"], Context(names)).verdict
        ours.append((row, verdict, time.perf_counter() - start))
        start = time.perf_counter()
        verdict = baseline(row["expected"], row["answer"], names, args.timeout)
        theirs.append((row, verdict, time.perf_counter() - start))
    table = [score("symgrad check", ours), score(f"simplify (timeout {args.timeout:g} s)", theirs)]
    keys = list(table[0])
    print("  ".join(f"{k:>14}" for k in keys))
    for line in table:
        print("  ".join(f"{v:>14.3f}" if isinstance(v, float) else f"{v!s:>14}" for v in line.values()))
    print(f"median speed-up: {table[1]['median ms'] / table[0]['median ms']:.0f}x")
    for row, verdict, _ in ours:
        if (verdict == "correct") != row["truth"]:
            print(f"  symgrad {verdict} on truth={row['truth']}: {row['expected']!r} vs {row['answer']!r}")
    print(f"symgrad check --batch: {throughput_batch(rows):.0f} checks/s (including start-up)")
    print(f"symgrad grade --workers 2: {throughput_grade(400):.0f} answers/s (400 rows, including start-up)")
    print(f"cores: {os.cpu_count()}")


if __name__ == "__main__":
    main()
