"""Where the practice server keeps every attempt: a small interface (record, progress, rows) and its
SQLite implementation, one file in WAL mode, so that several worker processes write safely and nothing
committed is lost when the server is stopped or killed. Another database can replace it by
implementing ``AttemptStore``."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class Attempt:
    """One answer a student submitted and what symgrad said about it."""

    student: str
    problem: str
    part: str
    answer: str
    verdict: str
    message: str
    diagnosis: str = ""
    parsed: str = ""
    time: float = 0.0


class AttemptStore(Protocol):
    def record(self, attempt: Attempt) -> int: ...

    def finish(self, row: int, verdict: str, message: str, diagnosis: str, parsed: str) -> None: ...

    def attempts(self) -> Iterator[tuple[int, Attempt]]: ...

    def progress(self) -> dict[str, dict[str, dict[str, int]]]: ...

    def count(self) -> int: ...


SCHEMA = """
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    student TEXT NOT NULL, problem TEXT NOT NULL, part TEXT NOT NULL, answer TEXT NOT NULL,
    verdict TEXT NOT NULL, message TEXT NOT NULL, diagnosis TEXT NOT NULL, parsed TEXT NOT NULL,
    time REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS attempts_by_student ON attempts (student, problem);
"""


class SQLiteStore:
    """Attempts in one SQLite file: WAL journal, writes retried at short intervals while another worker
    holds the lock, one connection per thread, autocommit (each attempt is committed when it arrives,
    marked pending, and its verdict when the check ends)."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        self._local = threading.local()
        db = sqlite3.connect(self.path, timeout=30)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)
        finally:
            db.close()

    def _connect(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            # no busy handler: SQLite's sleeps back off to 100 ms while another worker writes; _write retries
            # every millisecond or two instead
            db = sqlite3.connect(self.path, timeout=0, isolation_level=None, check_same_thread=True)
            db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a committed row survives a killed process
            self._local.db = db
        return db

    def _write(self, sql: str, args: tuple) -> sqlite3.Cursor:
        """One statement, retried at short intervals while another process holds the write lock (30 s at most)."""
        db = self._connect()
        deadline = time.monotonic() + 30
        pause = 0.0005
        while True:
            try:
                return db.execute(sql, args)
            except sqlite3.OperationalError as err:
                if "locked" not in str(err) and "busy" not in str(err) or time.monotonic() > deadline:
                    raise
                time.sleep(pause)
                pause = min(pause * 2, 0.004)

    def record(self, attempt: Attempt) -> int:
        cursor = self._write(
            "INSERT INTO attempts (student, problem, part, answer, verdict, message, diagnosis, parsed, time) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (attempt.student, attempt.problem, attempt.part, attempt.answer, attempt.verdict, attempt.message,
             attempt.diagnosis, attempt.parsed, attempt.time or time.time()))
        return int(cursor.lastrowid)

    def finish(self, row: int, verdict: str, message: str, diagnosis: str, parsed: str) -> None:
        """The verdict of an attempt recorded as pending when it arrived (so none is lost mid-check)."""
        self._write("UPDATE attempts SET verdict = ?, message = ?, diagnosis = ?, parsed = ? WHERE id = ?",
                    (verdict, message, diagnosis, parsed, row))

    def attempts(self) -> Iterator[tuple[int, Attempt]]:
        rows = self._connect().execute(
            "SELECT id, student, problem, part, answer, verdict, message, diagnosis, parsed, time FROM attempts "
            "ORDER BY id").fetchall()
        for row in rows:
            yield row[0], Attempt(*row[1:])

    def progress(self) -> dict[str, dict[str, dict[str, int]]]:
        """student -> problem -> {attempts, parts answered correctly, correct answers}."""
        out: dict[str, dict[str, dict[str, int]]] = {}
        rows = self._connect().execute(
            "SELECT student, problem, COUNT(*), COUNT(DISTINCT CASE WHEN verdict = 'correct' THEN part END) "
            "FROM attempts GROUP BY student, problem ORDER BY student, problem").fetchall()
        for student, problem, attempts, solved in rows:
            out.setdefault(student, {})[problem] = {"attempts": attempts, "solved": solved}
        return out

    def count(self) -> int:
        return int(self._connect().execute("SELECT COUNT(*) FROM attempts").fetchone()[0])
