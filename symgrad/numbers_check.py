"""Numeric answers about one instance of a network: a number, a vector ``[0.25, -0.5]`` or a matrix
``[[1, 2], [3, 4]]`` (or LaTeX's bmatrix), checked entry by entry against the key's numbers within a
tolerance. The brackets only shape the answer; every entry is read by symgrad's grammar and must be
a number, so nothing a student types is evaluated as code."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy

from .check import Reading, Tolerance, Verdict
from .errors import SymgradError
from .parsing import parse
from .printing import format_number

NETWORK_TOLERANCE = Tolerance(rel=0.01, abs=1e-4)  # 1 %: a student carries four digits through both passes
MAX_CHARS = 4000
MAX_ENTRIES = 400
_LATEX_MATRIX = re.compile(r"^\\begin\{([bpv]?matrix)\}(.*)\\end\{\1\}$", re.S)


@dataclass(frozen=True)
class NumbersContext:
    """A key that is numbers only (z, a, the loss of one instance): how close an answer must be."""

    tolerance: Tolerance = NETWORK_TOLERANCE


def looks_numeric(answer: str) -> bool:
    """An answer that is a bracketed array or reads as a number with no names in it (then a formula
    key does not apply)."""
    text = answer.strip()
    if text.startswith(("[", r"\begin{")):
        return True
    try:
        return parse(text, names=[], latex="\\" in text).is_number
    except (SymgradError, RecursionError):
        return False


def _split(text: str) -> list[str]:
    """The top-level comma-separated pieces of a bracket's inside."""
    pieces, depth, start = [], 0, 0
    for i, c in enumerate(text):
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == "," and depth == 0:
            pieces.append(text[start:i])
            start = i + 1
    pieces.append(text[start:])
    return pieces


def _entry(text: str, where: str) -> sympy.Expr:
    text = text.strip()
    if not text:
        raise SymgradError(f"{where} is empty")
    try:
        value = parse(text, names=[], latex="\\" in text)
    except SymgradError as err:
        raise SymgradError(f"{where} ('{text}'): {err}") from None
    if not value.is_number:
        raise SymgradError(f"{where} ('{text}') is not a number")
    return value


def read_array(answer: str) -> sympy.Matrix:
    """A number, a vector (a column) or a matrix (row by row) as a SymPy Matrix, or a one-line
    SymgradError that says what to fix."""
    text = answer.strip()
    if len(text) > MAX_CHARS:
        raise SymgradError(f"the answer is longer than {MAX_CHARS} characters")
    latex = _LATEX_MATRIX.match(text)
    if latex:
        rows = [r for r in re.split(r"\\\\", latex.group(2)) if r.strip()]
        text = "[" + ", ".join("[" + ", ".join(r.split("&")) + "]" for r in rows) + "]"
    if not text.startswith("["):
        return sympy.Matrix([[_entry(text, "the answer")]])
    if not text.endswith("]"):
        raise SymgradError("a '[' is not closed: write a vector as [0.25, -0.5] and a matrix as [[1, 2], [3, 4]]")
    items = _split(text[1:-1])
    if all(i.strip().startswith("[") for i in items):
        rows = []
        for r, item in enumerate(items, start=1):
            item = item.strip()
            if not item.endswith("]"):
                raise SymgradError(f"row {r} is not closed by ']'")
            rows.append([_entry(e, f"entry ({r}, {c})") for c, e in enumerate(_split(item[1:-1]), start=1)])
        if len({len(r) for r in rows}) > 1:
            raise SymgradError("the rows have different lengths: " + ", ".join(str(len(r)) for r in rows))
        if sum(map(len, rows)) > MAX_ENTRIES:
            raise SymgradError(f"more than {MAX_ENTRIES} entries")
        return sympy.Matrix(rows)
    if any(i.strip().startswith("[") for i in items):
        raise SymgradError("mixing numbers and rows: write a matrix as [[1, 2], [3, 4]]")
    if len(items) > MAX_ENTRIES:
        raise SymgradError(f"more than {MAX_ENTRIES} entries")
    return sympy.Matrix([_entry(e, f"entry {i}") for i, e in enumerate(items, start=1)])


def describe(tolerance: Tolerance) -> str:
    """The tolerance in a student's words: 'within 1% of the key (or 0.0001)'."""
    if tolerance.rel is not None and tolerance.decimals is None and tolerance.sigfigs is None:
        return f"within {tolerance.rel:.0%} of the key" + \
            (f" (or {format_number(tolerance.abs)})" if tolerance.abs is not None else "")
    return tolerance.describe()


def _show(m: sympy.Matrix) -> str:
    if m.shape == (1, 1):
        return format_number(m[0, 0])
    if m.cols == 1:
        return "[" + ", ".join(format_number(e) for e in m) + "]"
    return "[" + ", ".join("[" + ", ".join(format_number(e) for e in m.row(i)) + "]" for i in range(m.rows)) + "]"


def _off(answer: sympy.Matrix, key: sympy.Matrix, tolerance: Tolerance) -> list[tuple[int, int]]:
    return [(i, j) for i in range(key.rows) for j in range(key.cols)
            if abs(float(answer[i, j]) - float(key[i, j])) > tolerance.allows(float(key[i, j]))]


def _where(i: int, j: int, key: sympy.Matrix) -> str:
    return f"entry {i + 1}" if key.cols == 1 else f"entry ({i + 1}, {j + 1})"


def check_numbers(expected: sympy.Matrix, answer: str, tolerance: Tolerance = NETWORK_TOLERANCE) -> Verdict:
    """A numeric answer against the key's numbers: every entry within the tolerance; a transposed,
    sign-flipped or misshapen answer is named, and so are the entries that are off."""
    try:
        value = read_array(answer)
    except SymgradError as err:
        return Verdict("invalid", str(err))
    except RecursionError:
        return Verdict("invalid", "the answer is nested too deeply to read")
    key = sympy.Matrix(expected)
    reading = Reading(sympy.Symbol(_show(value)))
    size = lambda m: "a number" if m.shape == (1, 1) else f"{m.rows}×{m.cols}"  # noqa: E731
    if value.shape != key.shape:
        if value.rows * value.cols == key.rows * key.cols and value.shape == key.shape[::-1] and \
                not _off(value.T, key, tolerance):
            return Verdict("incorrect", f"your answer is {size(value)} but the key is {size(key)}: it is transposed",
                           "transposed", reading)
        return Verdict("incorrect", f"your answer is {size(value)} but the key is {size(key)}", "shape mismatch",
                       reading)
    off = _off(value, key, tolerance)
    if not off:
        return Verdict("correct", f"correct ({describe(tolerance)})", None, reading)
    if not _off(-value, key, tolerance) and any(float(e) for e in key):
        return Verdict("incorrect", "the sign is wrong", "sign error", reading)
    if key.shape == (1, 1):
        return Verdict("incorrect", f"{answer.strip()} is not the key ({describe(tolerance)})",
                       "differs", reading)
    shown = ", ".join(_where(i, j, key) for i, j in off[:4]) + (", ..." if len(off) > 4 else "")
    return Verdict("incorrect", f"{len(off)} of {key.rows * key.cols} entries are off ({shown}; "
                   f"{describe(tolerance)})", "wrong entries", reading)
