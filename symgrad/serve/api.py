"""What the practice server answers, as plain functions over JSON-ready data (the web layer in app.py
only routes, limits and stores): the problems and their parts, a student's own variant, the check of
an answer (the same object ``symgrad check --batch`` reads and prints), the preview of how an answer
is read, and the verified solution."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..check import Tolerance, Verdict, read_answer
from ..errors import ParseError, SymgradError
from ..keyfile import Key, find_key, verdict_for
from ..matrix_check import MatrixContext, preview_matrix
from ..numbers_check import NumbersContext, read_array

MAX_ANSWER = 2000  # characters: longer answers are refused before they are read


class ApiError(SymgradError):
    """A request the API refuses, with the HTTP status to send."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass(eq=False)
class Practice:
    """A bank served for practice; with a class key (``worksheet --variants/--roster``), each student's
    own variant and key."""

    bank: tuple[str, ...] = ()
    key_file: str | None = None
    problems: dict = field(default_factory=dict)
    seed: int | str = 0
    keys: dict | None = None

    @classmethod
    def load(cls, bank: Iterable[str] = (), key_file: str | None = None) -> Practice:
        from ..documents.bank import load_bank
        from ..documents.keys import load_keys

        practice = cls(tuple(bank), key_file)
        practice.problems = {p.id: p for p in load_bank(list(bank))}
        if key_file:
            practice.keys = load_keys(key_file)
            practice.seed = _class_seed(key_file)
        return practice

    # -- problems -----------------------------------------------------------------------------------

    def _problem(self, pid: str, student: str = ""):
        from ..documents.bank import variant

        problem = self.problems.get(pid)
        if problem is None:
            raise ApiError(f"no problem '{pid}'", 404)
        if self.keys is not None and student:
            if not any(s == student for s, _ in self.keys):
                raise ApiError(f"no student '{student}' in this class: enter the id on your worksheet", 404)
            return variant(problem, self.seed, student)
        return problem

    def _keys(self, pid: str, student: str) -> Mapping[str, Key]:
        if self.keys is not None:
            if not student:
                raise ApiError("enter your student id first: each student has their own numbers", 400)
            keys = self.keys.get((student, pid))
            if keys is None:
                raise ApiError(f"no problem '{pid}' for student '{student}' in this class", 404)
            return keys
        return self._bank_keys(pid)

    @functools.cache  # noqa: B019 - one Practice per process, alive as long as the process
    def _bank_keys(self, pid: str) -> Mapping[str, Key]:
        from ..documents.keys import problem_keys

        return problem_keys(self._problem(pid))

    def warm(self) -> None:
        """Work out every key's side of a check before the first student waits for it: each problem's keys,
        and for a matrix key its instances and the values of its named mistakes (checked against a
        deliberately wrong answer)."""
        for p in self.list():
            for key in self._bank_keys(p["id"]).values():
                if isinstance(key.context, MatrixContext):
                    verdict_for(key, f"2 ({key.expected})")

    @functools.cache  # noqa: B019
    def list(self) -> list[dict[str, Any]]:
        shown = [(p, len(self.problem(p.id)["parts"])) for p in self.problems.values()]
        return [{"id": p.id, "title": p.title, "kind": p.kind, "parts": parts} for p, parts in shown if parts]

    @functools.lru_cache(maxsize=512)  # noqa: B019 - a problem page is the same for every visit of a student
    def problem(self, pid: str, student: str = "") -> dict[str, Any]:
        """The statement (LaTeX prose), the question's graph (no values), and one field per part."""
        from ..documents.questions import questions

        problem = self._problem(pid, student)
        asked, _ = questions(problem, matrix_formulas=True)
        parts = [{"part": q.item, "ask": q.ask, "kind": q.kind,
                  "shape": list(q.numbers.shape) if q.kind == "array" else None,
                  "names": list(q.variables)} for q in asked]
        return {"id": problem.id, "title": problem.title, "given": asked[0].given if asked else "",
                "graph": _graph(problem, values=False), "parts": parts, "student": student}

    @functools.lru_cache(maxsize=512)  # noqa: B019
    def solution(self, pid: str, student: str = "") -> dict[str, Any]:
        """The verified solution of every part, as blocks the page typesets, and the graph with values."""
        from ..documents.views import view

        problem = self._problem(pid, student)
        v = view(problem)
        parts = [{"label": p.label, "question": p.question, "blocks": [_block(b) for b in p.solution]}
                 for p in v.parts]
        return {"id": problem.id, "parts": parts, "graph": _graph(problem, values=True)}

    # -- answers ------------------------------------------------------------------------------------

    def check(self, item: Any) -> dict[str, Any]:
        """A check: ``{problem, part, answer, student}`` against the server's key, or a ``check --batch``
        object ``{id, expected, answer, vars, ...}``; the verdict as ``check --batch`` prints it."""
        answer = _answer(item)
        if "expected" in item:
            from ..batch import batch_item

            return batch_item(item, item.get("id", 1), Tolerance())
        pid, part, student = _text(item, "problem"), _text(item, "part"), _text(item, "student", "")
        key = find_key(self._keys(pid, student), part)
        if key is None:
            raise ApiError(f"problem '{pid}' has no part '{part}'", 404)
        return {"id": item.get("id", f"{pid}/{part}"), **self._verdict(pid, part, student if self.keys else "", answer)}

    @functools.lru_cache(maxsize=20_000)  # noqa: B019 - a class types the same answers: each is checked once
    def _verdict(self, pid: str, part: str, student: str, answer: str) -> dict[str, Any]:
        try:
            verdict = verdict_for(find_key(self._keys(pid, student), part), answer)
        except SymgradError as err:
            verdict = Verdict("invalid", str(err))
        return verdict.to_dict()

    def preview(self, item: Any) -> dict[str, Any]:
        """How an answer is read: ``{ok, latex, notes}``, or ``{ok: false, error, column}``."""
        answer = _answer(item)
        if not answer.strip():
            return {"ok": True, "latex": "", "notes": []}
        if "problem" in item:
            key = find_key(self._keys(_text(item, "problem"), _text(item, "student", "")), _text(item, "part"))
            if key is None:
                raise ApiError(f"problem '{item['problem']}' has no part '{item['part']}'", 404)
        else:
            from ..check import Context

            names = tuple(n.strip() for n in str(item.get("vars", "")).split(",") if n.strip())
            key = Key("0", Context(names))
        return preview_answer(key, answer)


def preview_answer(key: Key, answer: str) -> dict[str, Any]:
    """The reading of ``answer`` in the names ``key`` allows (a formula, a matrix formula or numbers)."""
    from ..numbers_check import looks_numeric

    try:
        if key.array is not None and (isinstance(key.context, NumbersContext) or looks_numeric(answer)):
            from ..printing import latex

            return {"ok": True, "latex": latex(read_array(answer)), "notes": []}
        if isinstance(key.context, MatrixContext):
            tex, notes = preview_matrix(answer, key.context)
            return {"ok": True, "latex": tex, "notes": list(notes)}
        _, reading = read_answer(answer, key.context)
        split = any("is not a name here" in n for n in reading.notes)  # xy read as x*y: show SymPy's reading
        return {"ok": True, "latex": reading.latex if split else _as_typed(answer, reading.latex),
                "notes": list(reading.notes)}
    except ParseError as err:
        return {"ok": False, "error": str(err), "column": err.column}
    except SymgradError as err:
        return {"ok": False, "error": str(err), "column": None}
    except RecursionError:
        return {"ok": False, "error": "the answer is nested too deeply to read", "column": None}


def _as_typed(answer: str, fallback: str) -> str:
    """The answer's LaTeX in the order it was typed (from our parse tree), or SymPy's reading."""
    from ..check import _is_latex
    from ..parsing.tex import text_to_latex

    if _is_latex(answer):
        return fallback
    try:
        return text_to_latex(answer)
    except SymgradError:
        return fallback


def _answer(item: Any) -> str:
    """The answer of a check or preview request, refused (ApiError) unless the request is an object with a
    string answer of at most MAX_ANSWER characters."""
    if not isinstance(item, dict):
        raise ApiError("send a JSON object")
    answer = item.get("answer")
    if not isinstance(answer, str):
        raise ApiError("'answer' must be a string")
    if len(answer) > MAX_ANSWER:
        raise ApiError(f"the answer is longer than {MAX_ANSWER} characters", 413)
    return answer


def _text(item: Mapping, name: str, default: str | None = None) -> str:
    value = item.get(name, default)
    if not isinstance(value, str):
        raise ApiError(f"'{name}' must be a string")
    return value.strip()


def _class_seed(key_file: str) -> int | str:
    """The seed the class was built with (written on every key line by ``worksheet``)."""
    with open(key_file, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                return json.loads(line).get("seed", 0)
    return 0


def _graph(problem, values: bool) -> str | None:
    """The computation graph of a staged problem as SVG (values and gradients on it when asked)."""
    if problem.kind != "staged":
        return None
    from ..draw import graph_svg
    from ..solve import solve

    data = problem.data
    if values:
        return graph_svg(problem.solution())
    return graph_svg(solve(data.get("program") or data["expression"], None, names=data.get("names", "letters"),
                           granularity=data.get("granularity")))


def _block(block) -> dict[str, Any]:
    """A solution block for the page: math rows, prose, a table, code or a derivation (LaTeX for KaTeX)."""
    if block.kind == "table":
        return {"kind": "table", "head": list(block.content["head"]),
                "rows": [list(r) for r in block.content["rows"]]}
    if block.kind == "graph":
        return {"kind": "graph"}  # the page shows the graph with values once, beside the solution
    if block.kind in ("math", "text"):
        return {"kind": block.kind, "rows": [str(r) for r in block.content]}
    return {"kind": block.kind, "text": str(block.content)}
