"""A class: one variant of the bank per student, their documents, and one key file for all of them.

``DIR/<id>/worksheet.tex`` (and solutions, answer key; PDFs with --pdf) per student, and
``DIR/key.jsonl``: one line per (student, problem, part) with the expected answer and what is
needed to check it, so ``symgrad grade --key`` grades each student against their own variant.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import sympy

from .check import Context, Tolerance
from .errors import SymgradError
from .keys import Key, problem_keys
from .matrix_check import MatrixContext
from .printing import grammar_syntax
from .problems import Problem, network_of, variant
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


def key_line(student: str, problem: Problem, item: str, key: Key) -> dict[str, Any]:
    """One line of key.jsonl: enough to check an answer without the bank."""
    line: dict[str, Any] = {"student": student, "problem": problem.id, "part": item}
    if isinstance(key.context, MatrixContext):
        net = network_of(problem.data)
        line.update(expected=key.expected, vars="",
                    network={"sizes": list(net.sizes), "activations": list(net.activations), "loss": net.loss,
                             "biases": list(net.biases)})
        return line
    ctx = key.context
    line.update(expected=key.expected if isinstance(key.expected, str) else grammar_syntax(key.expected),
                vars=",".join(ctx.variables))
    if ctx.definitions:
        line["definitions"] = {k: grammar_syntax(v) for k, v in ctx.definitions.items()}
    if ctx.function is not None:
        line["function"], line["wrt"] = grammar_syntax(ctx.function), ctx.wrt
    if ctx.tolerance.decimals is not None:
        line["decimals"] = ctx.tolerance.decimals
    return line


def key_from_line(line: Mapping[str, Any]) -> Key:
    """The Key a key.jsonl line describes (the inverse of key_line)."""
    from .nets import Network, matrix_context
    from .parsing import parse

    if "network" in line:
        n = line["network"]
        net = Network(tuple(n["sizes"]), tuple(n["activations"]), n["loss"], tuple(n["biases"]))
        return Key(line["expected"], matrix_context(net))
    names = tuple(v for v in line.get("vars", "").split(",") if v)
    definitions = {k: parse(v, variables=names) for k, v in line.get("definitions", {}).items()}
    function = parse(line["function"], variables=names) if line.get("function") else None
    tolerance = Tolerance(decimals=line["decimals"]) if "decimals" in line else Tolerance()
    return Key(line["expected"], Context(names, definitions, function=function, wrt=line.get("wrt"),
                                         tolerance=tolerance))


@lru_cache(maxsize=4)
def load_keys(path: str) -> dict[tuple[str, str, str], Key]:
    """(student, problem, part) -> Key, from a key.jsonl (cached per process)."""
    keys = {}
    for number, text in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            line = json.loads(text)
            keys[(line["student"], line["problem"], line["part"])] = key_from_line(line)
        except (json.JSONDecodeError, KeyError, TypeError, SymgradError) as err:
            raise SymgradError(f"{path}: line {number} is not a key line: {err}") from None
    return keys


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
                lines.append(json.dumps(key_line(student, p, item, key), ensure_ascii=False))
    key_file = out / "key.jsonl"
    key_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    written.append(key_file)
    return written


def key_value(key: Key) -> sympy.Expr | None:
    """The expected answer as a number, for reports (None for expressions)."""
    if isinstance(key.expected, sympy.Expr) and key.expected.is_number:
        return key.expected
    return None
