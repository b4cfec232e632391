"""Bulk grading: a CSV of submissions against keys from the problem bank, in any executor.

Every input row gives exactly one output row (a bad row is ``invalid`` with its reason). Rows
are written as their chunk finishes, so a run that stops can be resumed: rows already in the
output file (by their ``row`` number) are skipped; when the run ends the file is put back in input
order. Work is done in chunks by any ``concurrent.futures.Executor`` (a process pool for --workers, a
Dask cluster's executor, ...). Each row's key is looked up once, here, and the work is sent grouped by
key: a chunk carries whole groups of answers to one key with the key itself, so the key side of a
check (reading it, its points and values there, its named mistakes) is worked out once in the process
that gets the group, and no worker builds the problem bank.
"""

from __future__ import annotations

import csv
import os
import sys
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

from .check import Verdict
from .documents.keys import bank_keys
from .errors import SymgradError
from .keyfile import Key, find_key, load_keys, prepare_key, verdict_for

COLUMNS = ("student", "problem", "part", "answer")
OUTPUT = ("row", "student", "problem", "part", "answer", "verdict", "message", "diagnosis", "parsed")
CHUNK = 25  # answers a chunk holds at least (whole key groups are packed up to this)
GROUP = 400  # answers to one key a chunk holds at most (a larger group is split)


@dataclass(frozen=True)
class Submission:
    row: int  # 1-based data row number in the input file
    student: str
    problem: str
    part: str
    answer: str
    error: str = ""  # why the row itself is unusable


def read_submissions(path: Path) -> list[Submission]:
    """Every data row of a submissions CSV, good or bad, in order."""
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as err:
        raise SymgradError(f"cannot read {path}: {err.strerror}") from None
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader)
        except StopIteration:
            raise SymgradError(f"{path} is empty: expected a header {','.join(COLUMNS)}") from None
        except csv.Error as err:
            raise SymgradError(f"{path}: {err}") from None
        header = [h.strip().lower() for h in header]
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise SymgradError(f"{path}: the header lacks {', '.join(missing)} (expected {','.join(COLUMNS)})")
        where = {c: header.index(c) for c in COLUMNS}
        rows = []
        number = 0
        while True:
            number += 1
            try:
                fields = next(reader)
            except StopIteration:
                break
            except csv.Error as err:
                rows.append(Submission(number, "", "", "", "", f"unreadable CSV row: {err}"))
                continue
            if len(fields) != len(header):
                values = {c: fields[i] if i < len(fields) else "" for c, i in where.items()}
                rows.append(Submission(number, *(values[c] for c in COLUMNS),
                                       f"expected {len(header)} fields, found {len(fields)}"))
                continue
            rows.append(Submission(number, *(fields[where[c]] for c in COLUMNS)))
        return rows


def resolve(submission: Submission, bank: tuple[str, ...] = (), key_file: str | None = None) -> Key | Verdict:
    """The key a submission is checked against, or the ``invalid`` verdict when it has none: against
    the bank's key, or with ``key_file`` this student's own variant."""
    if submission.error:
        return Verdict("invalid", submission.error)
    if key_file is not None:
        key = find_key(load_keys(key_file).get((submission.student.strip(), submission.problem.strip()), {}),
                       submission.part)
        if key is None:
            return Verdict("invalid", f"the key has no part '{submission.part}' of problem '{submission.problem}' "
                                      f"for student '{submission.student}'")
        return key
    keys = bank_keys(bank)
    problem = keys.get(submission.problem.strip())
    if problem is None:
        return Verdict("invalid", f"no problem '{submission.problem}' in the bank")
    key = find_key(problem, submission.part)
    if key is None:
        return Verdict("invalid", f"problem '{submission.problem}' has no part '{submission.part}' "
                                  f"(parts: {', '.join(problem)})")
    return key


def grade_one(submission: Submission, bank: tuple[str, ...] = (), key_file: str | None = None) -> Verdict:
    """The verdict on one submission (never raises for a bad row): against the bank's key, or with
    ``key_file`` against this student's own variant."""
    key = resolve(submission, bank, key_file)
    return key if isinstance(key, Verdict) else verdict_for(key, submission.answer)


def _safely(check, *args):
    try:
        return check(*args)
    except Exception as err:  # noqa: BLE001 - one bad row never stops a batch
        return Verdict("undecided", f"the check failed: {type(err).__name__}: {err}")


def grade_chunk(chunk: list[Submission], bank: tuple[str, ...] = (),
                key_file: str | None = None) -> list[tuple[Submission, Verdict]]:
    """Grade a list of submissions in this process, each looked up in the bank or the key file."""
    return [(s, _safely(grade_one, s, bank, key_file)) for s in chunk]


def grade_keyed(chunk: list[tuple[Key, list[Submission]]]) -> list[tuple[Submission, Verdict]]:
    """Grade groups of submissions, each with the key they answer (the unit of work sent to an
    executor: the keys travel with the work, so a worker needs neither the bank nor the key file). A
    key's side of the check is worked out before its answers, outside their time limits (its named
    mistakes too when more than one answer may need them)."""
    out = []
    for key, group in chunk:
        prepare_key(key, mistakes=len(group) > 1)  # never raises: a check meets what it could not do
        out += [(s, _printed(_safely(verdict_for, key, s.answer))) for s in group]
    return out


@dataclass(frozen=True)
class _Printed:
    """How an answer was read, as the results file shows it: printed where it was checked, so that
    no SymPy expression travels back and the writing process prints nothing."""

    text: str


def _printed(v: Verdict) -> Verdict:
    if v.parsed is None:
        return v
    try:
        shown = v.parsed.text
    except Exception:  # noqa: BLE001 - a reading that cannot be printed is left blank, never a lost row
        shown = ""
    return Verdict(v.verdict, v.message, v.diagnosis, _Printed(shown))  # type: ignore[arg-type]


def _key_id(s: Submission, key_file: str | None) -> tuple[str, ...]:
    """What names a key: (problem, part) in the bank, (student, problem, part) in a key file."""
    where = (s.problem.strip(), s.part.strip())
    return where if key_file is None else (s.student.strip(), *where)


def plan(submissions: list[Submission], bank: tuple[str, ...] = (), key_file: str | None = None
         ) -> tuple[list[tuple[Submission, Verdict]], list[list[tuple[Key, list[Submission]]]]]:
    """(the rows decided without a check, the chunks of work): each row's key is looked up once per
    key; the answers to one key go together, in input order, keys in order of first appearance; a
    chunk holds whole groups until it has CHUNK answers, and a group of more than GROUP answers is
    split into pieces of GROUP."""
    decided: list[tuple[Submission, Verdict]] = []
    groups: dict[tuple[str, ...], tuple[Key, list[Submission]]] = {}
    found: dict[tuple[str, ...], Key] = {}
    for s in submissions:
        ident = _key_id(s, key_file)
        key = found.get(ident) if not s.error else None
        if key is None:
            key = _safely(resolve, s, bank, key_file)
            if isinstance(key, Key):  # a verdict is not kept: its message quotes the row as written
                found[ident] = key
        if isinstance(key, Verdict):
            decided.append((s, key))
        else:
            groups.setdefault(ident, (key, []))[1].append(s)
    chunks: list[list[tuple[Key, list[Submission]]]] = []
    current: list[tuple[Key, list[Submission]]] = []
    size = 0
    for key, group in groups.values():
        for start in range(0, len(group), GROUP):
            piece = group[start:start + GROUP]
            if current and size + len(piece) > GROUP:
                chunks.append(current)
                current, size = [], 0
            current.append((key, piece))
            size += len(piece)
            if size >= CHUNK:
                chunks.append(current)
                current, size = [], 0
    if current:
        chunks.append(current)
    return decided, chunks


def _row(s: Submission, v: Verdict) -> list[str]:
    parsed = "" if v.parsed is None else v.parsed.text
    return [str(s.row), s.student, s.problem, s.part, s.answer, v.verdict, v.message, v.diagnosis or "", parsed]


def _done_rows(out: Path) -> set[int]:
    if not out.exists() or out.stat().st_size == 0:
        return set()
    data = out.read_bytes()
    if not data.endswith(b"\n"):  # a run stopped in the middle of a line: drop the partial row
        out.write_bytes(data[: data.rfind(b"\n") + 1])
    with out.open(newline="", encoding="utf-8") as handle:
        return {int(r["row"]) for r in csv.DictReader(handle) if r.get("row", "").isdigit()}


def grade(
    submissions: list[Submission],
    out: Path,
    *,
    bank: Iterable[str] = (),
    executor: Executor | None = None,
    progress: bool | None = None,
    key_file: str | Path | None = None,
    group: bool = True,
) -> Path:
    """Grade into ``out`` (CSV, appended chunk by chunk; rows already there are skipped), put its rows
    in input order, then write totals. ``group=False`` sends the rows in input order, each worker
    looking its keys up (the path before grouping, for comparison).

    Returns the path of the per-student totals CSV written beside ``out``.
    """
    bank = tuple(str(b) for b in bank)
    key_file = None if key_file is None else str(Path(key_file).resolve())
    if key_file is None:
        bank_keys(bank)  # a broken bank fails here, once, with its own message
    else:
        load_keys(key_file)
    done = _done_rows(out)
    todo = [s for s in submissions if s.row not in done]
    decided, chunks = plan(todo, bank, key_file) if group else ([], [])
    if not group:  # the path before grouping: chunks of CHUNK rows in input order, keys found by the worker
        chunks = [todo[i:i + CHUNK] for i in range(0, len(todo), CHUNK)]
    new_file = not out.exists() or out.stat().st_size == 0
    show = sys.stderr.isatty() if progress is None else progress
    bar = _progress(len(todo), show, initial=len(submissions) - len(todo), total=len(submissions))
    with out.open("a", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        if new_file:
            writer.writerow(OUTPUT)
        for s, v in decided:
            writer.writerow(_row(s, v))
        handle.flush()
        bar.update(len(decided))
        work = grade_keyed if group else grade_chunk
        extra = () if group else ([bank] * len(chunks), [key_file] * len(chunks))
        results: Iterator[list[tuple[Submission, Verdict]]]
        if executor is None:
            results = (work(*args) for args in zip(chunks, *extra))
        else:
            results = executor.map(work, chunks, *extra)
        for graded in results:
            for s, v in graded:
                writer.writerow(_row(s, v))
            handle.flush()
            bar.update(len(graded))
    bar.close()
    _in_input_order(out)
    return write_totals(out)


def _in_input_order(out: Path) -> None:
    """Rewrite ``out`` with its rows by row number (they were written as their chunk finished); the
    new file replaces the old in one step, so a stop here loses nothing."""
    with out.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        body = list(reader)
    if header is None:
        return
    number = header.index("row") if "row" in header else 0
    ordered = sorted(body, key=lambda r: int(r[number]) if len(r) > number and r[number].isdigit() else -1)
    if ordered == body:
        return
    temporary = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    with temporary.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(ordered)
    os.replace(temporary, out)


def grade_to_stream(submissions: list[Submission], stream, *, bank: Iterable[str] = (),
                    key_file: str | Path | None = None) -> None:
    """Grade and write the results CSV to ``stream`` (standard output), in input order."""
    bank = tuple(str(b) for b in bank)
    key_file = None if key_file is None else str(Path(key_file).resolve())
    writer = csv.writer(stream)
    writer.writerow(OUTPUT)
    for s, v in grade_chunk(submissions, bank, key_file):
        writer.writerow(_row(s, v))
        stream.flush()


def write_totals(out: Path) -> Path:
    """student, correct, incorrect, invalid, undecided, total: one row per student, from ``out``."""
    totals: dict[str, dict[str, int]] = {}
    with out.open(newline="", encoding="utf-8") as handle:
        for r in csv.DictReader(handle):
            counts = totals.setdefault(r["student"], {v: 0 for v in ("correct", "incorrect", "invalid", "undecided")})
            counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
    path = out.with_name(out.stem + "-totals.csv")
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("student", "correct", "incorrect", "invalid", "undecided", "total"))
        for student in sorted(totals):
            c = totals[student]
            writer.writerow((student, c["correct"], c["incorrect"], c["invalid"], c["undecided"], sum(c.values())))
    return path


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(count: int, show: bool, initial: int, total: int):
    """tqdm's bar on a terminal (the library everyone knows), nothing otherwise."""
    if not show:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit="answer", file=sys.stderr)
