"""A class: one variant of the bank per student, their documents, and one key file for all of them.

``DIR/<id>/worksheet.tex`` (and solutions, answer key; PDFs with --pdf) per student, and
``DIR/key.jsonl``: one line per (student, problem, part) with the expected answer and what is
needed to check it, so ``symgrad grade --key`` grades each student against their own variant.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path

import sympy

from ..errors import SymgradError
from .bank import Problem, variant
from .keys import Key, key_line, problem_keys
from .render import build_pdf, render


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


def build(problems: list[Problem], ids: Iterable[str], seed: int, out: Path, *, pdf: bool = False,
          title: str | None = None) -> list[Path]:
    """Each student's documents and the class's key file; the same arguments give byte-identical files."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    lines: list[str] = []
    for student in ids:
        mine = [variant(p, seed, student) for p in problems]
        folder = out / student
        folder.mkdir(exist_ok=True)
        sources = render(mine, title) if title else render(mine)
        for name, text in sources.items():
            path = folder / f"{name}.tex"
            path.write_text(text, encoding="utf-8")
            written.append(path)
            if pdf:
                written.append(build_pdf(path))
        for p in mine:
            for item, key in problem_keys(p).items():
                line = {**key_line(student, p, item, key), "seed": seed}  # the practice server redraws the variant
                lines.append(json.dumps(line, ensure_ascii=False))
    key_file = out / "key.jsonl"
    key_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    written.append(key_file)
    return written


def key_value(key: Key) -> sympy.Expr | None:
    """The expected answer as a number, for reports (None for expressions)."""
    if isinstance(key.expected, sympy.Expr) and key.expected.is_number:
        return key.expected
    return None
