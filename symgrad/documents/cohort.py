"""A class: one variant of the bank per student, their documents, and one key file for all of them.

``DIR/<id>/worksheet.tex`` (and solutions, answer key; PDFs with --pdf) per student, and
``DIR/key.jsonl``: one line per (student, problem, part) with the expected answer and what is
needed to check it, so ``symgrad grade --key`` grades each student against their own variant.
"""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
import shutil
import subprocess
import time
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

import sympy

from ..errors import SymgradError
from ..printing import tex_text
from .bank import Problem, variant
from .keys import Key, key_line, problem_keys
from .render import DEFAULT_TITLE, build_pdf, preamble, preamble_format, remove_format, render_views, warn
from .views import view


def read_roster(path: Path) -> list[str]:
    """Student ids from a CSV with a column ``id`` (and optionally ``name``), in file order."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as err:
        raise SymgradError(f"cannot read {path}: {err.strerror}") from None
    if not rows or "id" not in rows[0]:
        raise SymgradError(f"{path}: expected a CSV with a column 'id'")
    ids = [r["id"].strip() for r in rows]
    bad = [i for i in ids if not i or "/" in i or i.startswith(".")]
    if bad:
        raise SymgradError(f"{path}: ids must be non-empty and usable as folder names, not {bad[0]!r}")
    if len(set(ids)) != len(ids):
        raise SymgradError(f"{path}: an id appears twice")
    return ids


def numbered(count: int) -> list[str]:
    return [f"{i:03d}" for i in range(1, count + 1)]


COMBINED = {"worksheet": "worksheets.pdf", "solutions": "solutions.pdf", "answers": "answers.pdf"}
UNITE_INSTALL = "install poppler-utils (sudo apt-get install poppler-utils) for pdfunite"


def build(problems: list[Problem], ids: Iterable[str], seed: int, out: Path, *, pdf: bool = False,
          title: str | None = None, jobs: int | None = None, combined: bool = False, precompile: bool = True,
          times: dict[str, float] | None = None) -> list[Path]:
    """Each student's documents and the class's key file; the same arguments give byte-identical files,
    whatever ``jobs`` is.

    Students are built in ``jobs`` processes (default: one per core), then their PDFs (``pdf``), TeX
    starting from a format of the documents' shared preamble (``precompile``). ``combined`` also writes
    one class PDF per document (``COMBINED``: every student's in order, each from a new page) and
    implies ``pdf``. ``times``, when given, gets each stage's seconds: draw, views and tex summed
    over the students, students, format, pdf and combined as they took on the clock.
    """
    ids = list(ids)
    pdf = pdf or combined
    if combined and not shutil.which("pdfunite"):
        raise SymgradError(f"--combined needs pdfunite: {UNITE_INSTALL}")
    out.mkdir(parents=True, exist_ok=True)
    times = {} if times is None else times
    for stage in ("draw", "views", "tex", "students", "format", "pdf", "combined"):
        times[stage] = 0.0
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(ids) or 1))
    with _workers(jobs, problems) as run:
        start = time.perf_counter()
        students = run(_student, [(student, seed, title, out) for student in ids])
        times["students"] = time.perf_counter() - start
        for _, _, spent in students:
            for stage, seconds in spent.items():
                times[stage] += seconds
        tex = [path for paths, _, _ in students for path in paths]
        pdfs: dict[Path, Path] = {}
        if pdf and tex:
            start = time.perf_counter()
            first = tex[0].read_text(encoding="utf-8")
            fmt = preamble_format(out, first) if precompile else None
            times["format"] = time.perf_counter() - start
            try:
                start = time.perf_counter()
                shared = preamble(first)
                tasks = [(path, fmt if fmt and preamble(path.read_text(encoding="utf-8")) == shared else None)
                         for path in tex]
                for path, (made, problems_found) in zip(tex, run(_pdf, tasks)):
                    pdfs[path] = made
                    for problem in problems_found:
                        warn(problem)
                times["pdf"] = time.perf_counter() - start
            finally:
                if fmt is not None:
                    remove_format(fmt)
        written: list[Path] = []
        for path in tex:
            written += [path, pdfs[path]] if path in pdfs else [path]
        key_file = out / "key.jsonl"
        key_file.write_text("\n".join(line for _, lines, _ in students for line in lines) + "\n", encoding="utf-8")
        written.append(key_file)
        if combined:
            start = time.perf_counter()
            tasks = [([out / student / f"{name}.pdf" for student in ids], out / target)
                     for name, target in COMBINED.items()]
            written += run(_unite, tasks)
            times["combined"] = time.perf_counter() - start
    return written


_PROBLEMS: list[Problem] = []  # the bank, set in each worker process (inherited when forked)


def _set_problems(problems: list[Problem]) -> None:
    global _PROBLEMS
    _PROBLEMS = problems


@contextmanager
def _workers(jobs: int, problems: list[Problem]):
    """run(function, argument tuples) -> their results in order: here (jobs=1) or in a pool of jobs
    processes (forked where the system can, so each starts with the bank and the modules loaded)."""
    if jobs == 1:
        previous = _PROBLEMS
        _set_problems(problems)
        try:
            yield lambda function, tasks: [function(*task) for task in tasks]
        finally:
            _set_problems(previous)
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    with context.Pool(jobs, initializer=_set_problems, initargs=(problems,)) as pool:
        yield lambda function, tasks: pool.starmap(function, tasks, chunksize=1)


def _student(student: str, seed: int, title: str | None, out: Path) -> tuple[list[Path], list[str], dict]:
    """One student's .tex files (written) and key lines, with the seconds of each stage."""
    start = time.perf_counter()
    mine = [variant(p, seed, student) for p in _PROBLEMS]
    drawn = time.perf_counter()
    views = [view(p) for p in mine]
    viewed = time.perf_counter()
    folder = out / student
    folder.mkdir(exist_ok=True)
    paths = []
    for name, text in render_views(views, tex_text(title or DEFAULT_TITLE)).items():
        path = folder / f"{name}.tex"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    lines = []
    for p in mine:
        for item, key in problem_keys(p).items():
            line = {**key_line(student, p, item, key), "seed": seed}  # the practice server redraws the variant
            lines.append(json.dumps(line, ensure_ascii=False))
    done = time.perf_counter()
    return paths, lines, {"draw": drawn - start, "views": viewed - drawn, "tex": done - viewed}


def _pdf(tex: Path, fmt: Path | None) -> tuple[Path, list[str]]:
    """A document's PDF, and the layout problems found in its log (printed by the parent, in order)."""
    found: list[str] = []
    return build_pdf(tex, found.append, fmt), found


def _unite(pdfs: list[Path], target: Path) -> Path:
    """One PDF of ``pdfs`` in order, each starting on a new page as it did."""
    result = subprocess.run(["pdfunite", *map(str, pdfs), str(target)], capture_output=True, text=True,
                            errors="replace", stdin=subprocess.DEVNULL, timeout=600)
    if result.returncode != 0:
        raise SymgradError(f"cannot write {target}: pdfunite: {result.stderr.strip() or result.returncode}")
    return target


def key_value(key: Key) -> sympy.Expr | None:
    """The expected answer as a number, for reports (None for expressions)."""
    if isinstance(key.expected, sympy.Expr) and key.expected.is_number:
        return key.expected
    return None
