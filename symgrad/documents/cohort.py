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
from .render import BEGIN, DEFAULT_TITLE, END, build_pdf, preamble, preamble_format, remove_format, render_views, warn
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

    Students are built in ``jobs`` processes (default: one per core; the first student here, so that
    the workers start with what it cached), then their PDFs (``pdf``), TeX starting from a format of
    the documents' shared preamble (``precompile``). ``combined`` writes one class PDF per document
    (``COMBINED``: every student's in order, each from a new page numbered 1), whether or not the
    students' own PDFs are built. ``times``, when given, gets each stage's seconds: draw, views and
    tex summed over the students; students, format, pdf and combined as they took on the clock.
    """
    ids = list(ids)
    if combined and not shutil.which("pdfunite"):
        raise SymgradError(f"--combined needs pdfunite: {UNITE_INSTALL}")
    out.mkdir(parents=True, exist_ok=True)
    times = {} if times is None else times
    for stage in ("draw", "views", "tex", "students", "format", "pdf", "combined"):
        times[stage] = 0.0
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(ids) or 1))
    with _workers(jobs, problems) as run:
        start = time.perf_counter()
        tasks = [(student, seed, title, out) for student in ids]
        students = run(_student, tasks[:1], here=True) + run(_student, tasks[1:])
        times["students"] = time.perf_counter() - start
        for _, _, spent in students:
            for stage, seconds in spent.items():
                times[stage] += seconds
        tex = [path for paths, _, _ in students for path in paths]
        pdfs: dict[Path, Path] = {}
        fmt = None
        if (pdf or combined) and tex:
            start = time.perf_counter()
            first = tex[0].read_text(encoding="utf-8")
            fmt = preamble_format(out, first) if precompile else None
            times["format"] = time.perf_counter() - start
        try:
            if pdf:
                start = time.perf_counter()
                shared = preamble(first) if tex else None
                tasks = [(path, fmt if fmt and preamble(path.read_text(encoding="utf-8")) == shared else None)
                         for path in tex]
                for path, (made, problems_found) in zip(tex, run(_pdf, tasks)):
                    pdfs[path] = made
                    for problem in problems_found:
                        warn(problem)
                times["pdf"] = time.perf_counter() - start
            written: list[Path] = []
            for path in tex:
                written += [path, pdfs[path]] if path in pdfs else [path]
            key_file = out / "key.jsonl"
            key_file.write_text("\n".join(line for _, lines, _ in students for line in lines) + "\n",
                                encoding="utf-8")
            written.append(key_file)
            if combined:
                start = time.perf_counter()
                written += _combine(out, ids, fmt, jobs, run, report=not pdf)
                times["combined"] = time.perf_counter() - start
        finally:
            if fmt is not None:
                remove_format(fmt)
    return written


_PROBLEMS: list[Problem] = []  # the bank, set in each worker process (inherited when forked)


def _set_problems(problems: list[Problem]) -> None:
    global _PROBLEMS
    _PROBLEMS = problems


@contextmanager
def _workers(jobs: int, problems: list[Problem]):
    """run(function, argument tuples, here=False) -> their results in order: in this process (jobs=1,
    or here) or in a pool of jobs processes, forked where the system can on the first use, so each
    starts with the bank, the modules and what this process has cached."""
    previous = _PROBLEMS
    _set_problems(problems)
    try:
        if jobs == 1:
            yield lambda function, tasks, here=False: [function(*task) for task in tasks]
            return
        pool = None

        def run(function, tasks, here=False):
            nonlocal pool
            if here or not tasks:
                return [function(*task) for task in tasks]
            if pool is None:  # forked now, with what the work here has cached
                methods = multiprocessing.get_all_start_methods()
                context = multiprocessing.get_context("fork" if "fork" in methods else None)
                pool = context.Pool(jobs, initializer=_set_problems, initargs=(problems,))
            return pool.starmap(function, tasks, chunksize=1)

        try:
            yield run
        finally:
            if pool is not None:
                pool.terminate()
                pool.join()
    finally:
        _set_problems(previous)


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


CHUNK = 50  # students in one TeX run of a class PDF
# between two students of a class PDF: a new page, numbered 1, and footnotes numbered from 1 again
NEXT_STUDENT = "\\clearpage\n\\setcounter{page}{1}\\setcounter{footnote}{0}\n"


def _combine(out: Path, ids: list[str], fmt: Path | None, jobs: int, run, report: bool) -> list[Path]:
    """The class PDFs (COMBINED): each document's students in chunks of at most CHUNK, every chunk one
    .tex (the shared preamble, then each student's document from a new page) compiled in parallel,
    and the chunks joined with pdfunite. ``report``: print the layout problems TeX finds."""
    folder = out / ".combined"
    folder.mkdir(exist_ok=True)
    size = max(1, min(CHUNK, -(-len(ids) // (2 * jobs))))
    chunks = [ids[i:i + size] for i in range(0, len(ids), size)]
    tasks, parts = [], {}
    for name in ("solutions", "worksheet", "answers"):  # the longest first, so the cores finish together
        parts[name] = []
        for number, chunk in enumerate(chunks, start=1):
            texts = [(out / student / f"{name}.tex").read_text(encoding="utf-8") for student in chunk]
            head = preamble(texts[0])
            bodies = []
            for student, text in zip(chunk, texts):
                if head is None or preamble(text) != head or text.count(END) != 1:
                    raise SymgradError(f"{out / student / name}.tex: cannot join it to the class's {name}")
                bodies.append(text[len(head) + len(BEGIN):text.index(END)].lstrip("\n"))
            path = folder / f"{name}-{number:03d}.tex"
            path.write_text(f"{head}{BEGIN}\n{NEXT_STUDENT.join(bodies)}{END}\n", encoding="utf-8")
            tasks.append((path, fmt))
            parts[name].append(path.with_suffix(".pdf"))
    try:
        for _, problems_found in run(_pdf, tasks):
            for problem in problems_found if report else ():
                warn(problem)
        return run(_unite, [(parts[name], out / target) for name, target in COMBINED.items()])
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _unite(pdfs: list[Path], target: Path) -> Path:
    """One PDF of ``pdfs`` in order, each starting on a new page as it did."""
    if len(pdfs) == 1:
        shutil.copyfile(pdfs[0], target)
        return target
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
