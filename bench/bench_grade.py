"""Benchmark: `symgrad grade --workers 2` on 20,000 distinct answers, against the grading path before
issue 15 (the same answers, the same machine, the same run), and through a local Dask cluster.

The answers are made from the seed bank's keys (formula, number and network keys) with distinct
coefficients: correct ones written otherwise than the key, wrong ones (a constant factor, a constant
term, another term, a sign, a number off), and invalid ones (unknown names, unreadable text). Students
send them in their own order, as a class does (not grouped by key).

The baseline is symgrad as of commit BASELINE (the grading path before this change), extracted with
`git archive` into a temporary directory and run with the same command; `--baseline-rev` picks
another, `--no-baseline` skips it. Reported: seconds, answers per second, the ratio, and whether both
runs gave the same verdict on every row (the rows that differ are shown). CPU seconds (the command
and its workers) are printed beside the wall time: on a machine others use, they say more.

    python bench/bench_grade.py [--count 20000] [--workers 2] [--no-dask]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BASELINE = "45a5a7e"  # the last commit before issue 15's grading work

# (problem, part, key as the student would write it); formula keys get variations, number keys offsets
FORMULAS = [
    ("chain-composition", "derivative.x", "8(5x^3 - x - 1)(15x^2 - 1)", "x"),
    ("chain-multivariate", "derivative.u", "v e^(u v) + 6(sin u + cos v)^2 cos u", "u"),
    ("chain-multivariate", "derivative.v", "u e^(u v) - 6(sin u + cos v)^2 sin v", "v"),
    ("chain-two-paths", "derivative.x", "4x^3 + 2x", "x"),
    ("chain-many-paths", "derivative.w", "w^2 e^w sin w + w^2 e^w cos w + 2w e^w sin w", "w"),
    ("tanh-sigmoid", "derivative", "4 sigmoid(2x)(1 - sigmoid(2x))", "x"),
    ("sigmoid-derivative", "derivative", "sigmoid(x)(1 - sigmoid(x))", "x"),
    ("grad-xy", "partial.x", "y", "y"),
    ("grad-xy", "partial.y", "x", "x"),
    ("neuron", "gradient.w0", "x0 sigmoid(w0 x0 + w1 x1 + w2)(1 - sigmoid(w0 x0 + w1 x1 + w2))", "x0"),
    ("neuron-code", "gradient.x1", "w1 sigmoid(w0 x0 + w1 x1 + w2)(1 - sigmoid(w0 x0 + w1 x1 + w2))", "w1"),
    ("staged-xyz", "gradient.x", "z + 1", "z"),
    ("jacobian-chain", "jacobian.2.1", "x2 cos(x1 x2)", "x2"),
    ("graph-tanh-units", "gradient.w11",
     "x1 (1 - tanh(b1 + w11 x1 + w12 x2)^2)(2 tanh(b1 + w11 x1 + w12 x2) + 2 tanh(b2 + w21 x1 + w22 x2) - 2y)", "x1"),
]
NUMBERS = [
    ("staged-xyz", "value.f", -14.0), ("staged-xyz", "grad.x", -3.0), ("staged-xyz", "grad.y", -4.0),
    ("staged-xyz", "grad.z", 3.0), ("neuron", "grad.x0", 0.393223866), ("neuron", "grad.w1", -0.393223866),
    ("neuron", "value.f", 0.731058579), ("neuron-code", "grad.dot", 0.196611933),
    ("sigmoid-ratio", "value.f", 1.549597), ("param-count", "with-biases", 233.0),
]
NETWORK = [("net-one-hidden", "value.loss", "{:.4f}", 0.618413219), ("net-one-hidden", "grad.W2", None, None)]


def _formula(key: str, var: str, kind: str, c: int) -> str:
    if kind == "correct":
        return random.choice([f"({key}) + {c} sin({var})^2 + {c} cos({var})^2 - {c}",
                              f"({key}) ({c} + {var}^2)/({c} + {var}^2)",
                              f"{c}({key})/{c} + ({c} - {c})"]) if var else key
    if kind == "wrong":
        return random.choice([f"{c}({key})", f"({key}) + {c}", f"({key}) + {var}/{c}", f"-({key}) ({c}/{c})",
                              f"({key}) - {c} {var}^2", f"({key})^{c % 3 + 2}"])
    return random.choice([f"({key}) + {c} q", f"({key}) + {c} *", f"{c} ({key}", f"import os; {c}"])


def _number(k: float, kind: str, c: int) -> str:
    if kind == "correct":
        return f"{k + (c % 400 - 200) * 1e-5:.{5 + c % 3}f}"  # within two decimals
    if kind == "wrong":
        return random.choice([f"{k + 0.01 * (1 + c % 900):.2f}", f"{-k:.2f}" if abs(k) > 0.01 else "1",
                              f"{k * (2 + c % 5):.3f}", f"{k + c / 7:.4f}"])
    return random.choice([f"{k:.2f} x{c}", f"{c}..5", f"{k:.2f} +"])


def make_answers(count: int, seed: int = 15) -> list[tuple[str, str, str, str]]:
    """(student, problem, part, answer) rows: ``count`` distinct (problem, part, answer), about 55%
    correct, 35% wrong, 10% invalid, spread over students in no order of key."""
    random.seed(seed)
    seen: set[tuple[str, str, str]] = set()
    rows: list[tuple[str, str, str, str]] = []
    c = 1
    while len(rows) < count:
        c += 1
        kind = random.choices(("correct", "wrong", "invalid"), (55, 35, 10))[0]
        pick = random.random()
        if pick < 0.55:
            problem, part, key, var = random.choice(FORMULAS)
            answer = _formula(key, var, kind, c)
        elif pick < 0.95:
            problem, part, k = random.choice(NUMBERS)
            answer = _number(k, kind, c)
        else:
            problem, part, fmt, k = random.choice(NETWORK)
            if fmt is None:
                answer = random.choice([f"d2 a1^T + {c} d2 a1^T - {c} d2 a1^T", f"{c} d2 a1^T", "a1 d2^T"])
            else:
                answer = f"{k * (1 + (c % 200 - 100) * 1e-5 if kind == 'correct' else 1.1 + c / 1e4):.6f}"
        if (problem, part, answer) in seen:
            continue
        seen.add((problem, part, answer))
        rows.append((f"s{len(rows) % 1000:04d}", problem, part, answer))
    random.shuffle(rows)
    return rows


def write_submissions(rows, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("student", "problem", "part", "answer"))
        writer.writerows(rows)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_cli(subs: Path, out: Path, workers: int, pythonpath: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command and its workers)."""
    env = dict(os.environ, PYTHONPATH=str(pythonpath))
    cpu = _children_cpu()
    start = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "symgrad", "grade", str(subs), "--out", str(out),
                        "--workers", str(workers)], capture_output=True, text=True, env=env, cwd=out.parent)
    elapsed = time.perf_counter() - start
    if r.returncode != 0:
        raise SystemExit(f"symgrad grade failed ({pythonpath}):\n{r.stderr}")
    return elapsed, _children_cpu() - cpu


def verdict_rows(path: Path) -> list[tuple[str, ...]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [tuple(r) for r in csv.reader(handle)][1:]


def _differences(old: list[tuple[str, ...]], new: list[tuple[str, ...]], show: int = 5) -> None:
    """The rows whose verdict or diagnosis differ between two runs (the first few shown), and how many
    differ in their message alone (a key written in another form is confirmed at points, not as written)."""
    verdicts = [(a, b) for a, b in zip(old, new) if (a[5], a[7]) != (b[5], b[7])]
    messages = [(a, b) for a, b in zip(old, new) if (a[5], a[7]) == (b[5], b[7]) and a[6] != b[6]]
    if len(old) != len(new):
        print(f"  {len(old)} rows before, {len(new)} now")
    print(f"  verdict and diagnosis: {len(verdicts)} of {len(old)} rows differ; the message alone: {len(messages)}")
    for a, b in (verdicts or messages)[:show]:
        print(f"  row {a[0]} {a[2]} {a[3]} {a[4]!r}:\n    before {a[5:8]}\n    now    {b[5:8]}")


def extract(rev: str, into: Path) -> Path:
    """symgrad as of ``rev``, in ``into`` (for PYTHONPATH)."""
    data = subprocess.run(["git", "archive", rev, "symgrad"], cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into


def run_dask(subs: Path, out: Path, workers: int) -> float:
    from distributed import Client, LocalCluster

    from symgrad.grade import grade, read_submissions

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            start = time.perf_counter()
            grade(read_submissions(subs), out, executor=client.get_executor(), progress=False)
            return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--baseline-rev", default=BASELINE)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--no-dask", action="store_true")
    args = parser.parse_args()
    rows = make_answers(args.count)
    print(f"{len(rows)} distinct answers, {len({(p, q) for _, p, q, _ in rows})} keys, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} before the runs")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        subs = tmp / "subs.csv"
        write_submissions(rows, subs)
        new, new_cpu = run_cli(subs, tmp / "new.csv", args.workers, ROOT)
        print(f"now:      {new:6.1f} s  {len(rows) / new:6.0f} answers/s  (symgrad grade --workers {args.workers}, "
              f"including start-up); CPU {new_cpu:.1f} s")
        if not args.no_baseline:
            old_tree = extract(args.baseline_rev, tmp / "old")
            old, old_cpu = run_cli(subs, tmp / "old.csv", args.workers, old_tree)
            same = verdict_rows(tmp / "old.csv") == verdict_rows(tmp / "new.csv")
            print(f"baseline: {old:6.1f} s  {len(rows) / old:6.0f} answers/s  (symgrad at {args.baseline_rev}); "
                  f"CPU {old_cpu:.1f} s")
            print(f"ratio:    {old / new:6.2f}x in time, {old_cpu / new_cpu:.2f}x in CPU; same verdict rows: {same}"
                  " (a check that reaches its 1 s time limit on a loaded machine is undecided)")
            _differences(verdict_rows(tmp / "old.csv"), verdict_rows(tmp / "new.csv"))
        if not args.no_dask:
            dask = run_dask(subs, tmp / "dask.csv", args.workers)
            same = verdict_rows(tmp / "dask.csv") == verdict_rows(tmp / "new.csv")
            print(f"dask:     {dask:6.1f} s  {len(rows) / dask:6.0f} answers/s  (LocalCluster, {args.workers} worker "
                  f"processes, client.get_executor(); cluster start-up not counted)  same verdict rows: {same}")
        print(f"load average {os.getloadavg()[0]:.1f} after the runs (the machine may be shared)")


if __name__ == "__main__":
    main()
