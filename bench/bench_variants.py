"""Benchmark: building a class's variants, stage by stage, serial baseline against --jobs in one run.

Each build runs in a fresh process (nothing cached from another) and reports its stages:
draw (the students' variants), views (solving and the derivations' checks), tex (templates, files,
key lines) summed over the students, and on the clock: students (all of the above), format (the
preamble's), pdf (each student's PDFs) and combined (the class PDFs of --combined).

- .tex: ``--variants`` students of problems/variants.yaml, serial (--jobs 1) then with --jobs.
- PDFs: the old way (serial, one latexmk run per document, no format) for ``--pdf-baseline``
  students, extrapolated to the class; the students' own PDFs with --jobs and the format for
  the same students; and the whole class printed as --combined writes it (.tex included).
- stress: the stress test's variants per second (``--stress 0`` skips it).

Other work on the machine slows both sides alike; the load average is printed before and after.

    python bench/bench_variants.py [--variants 300] [--jobs N] [--pdf-baseline 10] [--stress 100]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BANK = Path(__file__).resolve().parent.parent / "problems" / "variants.yaml"
STAGES = ("draw", "views", "tex", "students", "format", "pdf", "combined")


def child(spec: dict) -> None:
    """One build in this process; prints its stages' seconds and the whole as JSON."""
    from symgrad.documents.bank import load_bank
    from symgrad.documents.cohort import build, numbered

    problems = load_bank([BANK])
    times: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        start, cpu = time.perf_counter(), cpu_seconds()
        build(problems, numbered(spec["students"]), 1, Path(tmp) / "class", pdf=spec["pdf"], jobs=spec["jobs"],
              combined=spec["combined"], precompile=spec["precompile"], times=times)
        times["total"], times["cpu"] = time.perf_counter() - start, cpu_seconds() - cpu
    print(json.dumps(times))


def cpu_seconds() -> float:
    """CPU time of this process and its ended children (the pool's workers, TeX): unlike the clock,
    hardly changed by other work on the machine."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def run(students: int, jobs: int, *, pdf: bool = False, combined: bool = False, precompile: bool = True) -> dict:
    spec = {"students": students, "jobs": jobs, "pdf": pdf, "combined": combined, "precompile": precompile}
    result = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)], capture_output=True, text=True,
                            check=True)
    return json.loads(result.stdout.splitlines()[-1])


def table(title: str, rows: list[tuple[str, str]], columns: list[tuple[str, dict]]) -> None:
    print(f"\n{title}")
    print(f"  {'stage':34s}" + "".join(f"{name:>20s}" for name, _ in columns) + f"{'ratio':>8s}")
    for key, label in rows:
        cells = [times.get(key, 0.0) for _, times in columns]
        ratio = f"{cells[0] / cells[-1]:.1f}x" if min(cells) > 0.005 and len(cells) > 1 else ""
        print(f"  {label:34s}" + "".join(f"{c:19.1f}s" for c in cells) + f"{ratio:>8s}")


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=300)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--pdf-baseline", type=int, default=10, help="students whose PDFs are built the old way")
    parser.add_argument("--stress", type=int, default=100)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(json.loads(args.child))
        return
    n, jobs = args.variants, args.jobs
    print(f"{n} students of {BANK.name}, {os.cpu_count()} cores, --jobs {jobs}; load average {load()} "
          f"(other work on the machine counts against both sides)")

    serial, parallel = run(n, 1), run(n, jobs)
    table(f".tex and key.jsonl for {n} students (target: under 10 s)",
          [("draw", "draw (summed over students)"), ("views", "solve, views, checks (summed)"),
           ("tex", "render .tex, keys (summed)"), ("students", "all students, on the clock"),
           ("cpu", "CPU seconds, all processes")],
          [("serial", serial), (f"--jobs {jobs}", parallel)])

    if not (shutil.which("latexmk") and shutil.which("pdfunite")) or not args.pdf_baseline:
        print("\nPDFs not measured (" + ("--pdf-baseline 0" if shutil.which("latexmk") and shutil.which("pdfunite")
                                          else "no latexmk or pdfunite") + ")")
    else:
        k = args.pdf_baseline
        old = run(k, 1, pdf=True, precompile=False)
        new = run(k, jobs, pdf=True)
        table(f"each student's PDFs, {k} students (target: the class's documents in under 3 min)",
              [("format", "preamble format"), ("pdf", "PDFs, on the clock"), ("cpu", "CPU seconds, all processes")],
              [("serial, no format", old), (f"--jobs {jobs}, format", new)])
        each_old, each_new = old["pdf"] / k, (new["pdf"] + new["format"]) / k
        print(f"  a student's PDFs: {each_old:.2f} s the old way, {each_new:.2f} s now: {n} students' PDFs "
              f"about {each_old * n / 60:.1f} min the old way, {each_new * n / 60:.1f} min now")
        whole = run(n, jobs, combined=True)
        print(f"\n{n} students ready to print (--combined, --jobs {jobs}: worksheets.pdf, solutions.pdf, answers.pdf)")
        for key in ("students", "format", "combined", "total", "cpu"):
            print(f"  {key:34s}{whole[key]:15.1f}s")
        print(f"  {'the old way (serial .tex + PDFs)':34s}{serial['students'] + each_old * n:15.1f}s"
              f"   ratio {(serial['students'] + each_old * n) / whole['total']:.1f}x")

    if args.stress:
        from symgrad.documents.bank import load_bank
        from symgrad.documents.stress import stress

        start = time.perf_counter()
        reports = stress(load_bank([BANK]), args.stress, seed=1)
        elapsed = time.perf_counter() - start
        total = sum(r.variants for r in reports)
        print(f"\nstress: {total} variants solved and checked in {elapsed:.1f} s: {total / elapsed:.0f} variants/s")
        for r in reports:
            print("  " + r.line())
    print(f"\nload average at the end {load()}")


if __name__ == "__main__":
    main()
