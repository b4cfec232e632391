"""Benchmark: building a class's variants and stress-testing a randomized bank.

Times `symgrad worksheet problems/variants.yaml --variants 300` (.tex only), the same with --pdf
for a few variants (reported per variant), and the stress test's variants per second.

    python bench/bench_variants.py [--variants 300] [--pdf-variants 3] [--stress 100]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from symgrad.documents.bank import load_bank
from symgrad.documents.stress import stress

BANK = Path(__file__).resolve().parent.parent / "problems" / "variants.yaml"


def build(count: int, pdf: bool) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        args = [sys.executable, "-m", "symgrad", "worksheet", str(BANK), "--variants", str(count), "--seed", "1",
                "--out", tmp] + (["--pdf"] if pdf else [])
        start = time.perf_counter()
        subprocess.run(args, capture_output=True, text=True, check=True)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=300)
    parser.add_argument("--pdf-variants", type=int, default=3)
    parser.add_argument("--stress", type=int, default=100)
    args = parser.parse_args()
    problems = load_bank([BANK])
    seconds = build(args.variants, False)
    print(f"{args.variants} variants of {len(problems)} problems, .tex only: {seconds:.1f} s "
          f"({1000 * seconds / args.variants:.0f} ms a student; target 10 s for 300)")
    if shutil.which("latexmk") and args.pdf_variants:
        seconds = build(args.pdf_variants, True)
        each = seconds / args.pdf_variants
        print(f"{args.pdf_variants} variants with --pdf: {seconds:.1f} s ({each:.1f} s a student, "
              f"so about {each * args.variants / 60:.0f} min for {args.variants})")
    start = time.perf_counter()
    reports = stress(problems, args.stress, seed=1)
    elapsed = time.perf_counter() - start
    total = sum(r.variants for r in reports)
    print(f"stress: {total} variants solved and checked in {elapsed:.1f} s: {total / elapsed:.0f} variants/s")
    for r in reports:
        print("  " + r.line())


if __name__ == "__main__":
    main()
