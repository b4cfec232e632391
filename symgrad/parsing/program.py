"""Staged programs: lines ``name = expression`` as the seeds write them, the last line the output."""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field

import sympy

from ..errors import ParseError, ProgramError
from .limits import DEFAULT_LIMITS, Limits
from .text import CONSTANTS, RESERVED, parse, read

_ASSIGN = re.compile(r"^(\s*)([^\s=+\-*/]+)(\s*)=(?!=)(.*)$")
_IDENT = re.compile(r"^[A-Za-zα-ωΑ-Ω_][A-Za-z0-9α-ωΑ-Ω_]*$")


@dataclass(frozen=True)
class Assignment:
    """One line of a staged program: ``name = expr``, with its 1-based line number and the expression as
    written (sums and products in the order typed, for echoing it)."""

    name: str
    expr: sympy.Expr
    line: int
    shown: sympy.Expr | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Program:
    """A staged program: assignments in order, the inputs (free names) in order of first use."""

    assignments: tuple[Assignment, ...]
    inputs: tuple[str, ...]

    @property
    def output(self) -> str:
        return self.assignments[-1].name


def is_program(text: str) -> bool:
    """Whether text is a staged program (has an assignment) rather than one expression."""
    return any(_ASSIGN.match(line.split("#", 1)[0]) for line in text.splitlines())


def check_name(name: str, *, line: int | None = None, column: int | None = None) -> None:
    """A name must be usable as a variable in the generated Python code and not shadow a function."""
    if not _IDENT.match(name):
        raise ParseError(f"'{name}' is not a valid name (letters, digits and _)", column, line)
    if keyword.iskeyword(name) or name in RESERVED or name in CONSTANTS:
        raise ParseError(f"'{name}' is a reserved word and cannot be a variable name", column, line)


def parse_program(text: str, *, limits: Limits = DEFAULT_LIMITS) -> Program:
    """Read a staged program; comments (#...) and blank lines are skipped, ``math.`` is accepted."""
    lines = text.splitlines()
    if len(lines) > limits.max_lines:
        raise ParseError(f"the program is longer than {limits.max_lines} lines")
    assignments: list[Assignment] = []
    defined: dict[str, int] = {}
    used: dict[str, int] = {}  # name -> first line that reads it
    for number, raw in enumerate(lines, start=1):
        code = raw.split("#", 1)[0]
        if not code.strip():
            continue
        match = _ASSIGN.match(code)
        if not match:
            if re.match(r"^\s*\S+\s*[-+*/]=", code):
                raise ParseError("augmented assignment (+=) is not allowed: write name = expression", 1, number)
            raise ParseError("expected 'name = expression'", 1, number)
        lead, name, _, rhs = match.groups()
        check_name(name, line=number, column=len(lead) + 1)
        if name in defined:
            raise ProgramError(f"line {number}: '{name}' is already defined on line {defined[name]}")
        if name in used:
            raise ProgramError(
                f"line {used[name]}: '{name}' is used before it is defined on line {number}"
            )
        offset = len(code) - len(rhs)
        try:
            expr = parse(rhs, limits=limits, variables=defined)  # out(1 - out): a stage's name, not a function
        except ParseError as err:
            column = None if err.column is None else err.column + offset
            raise type(err)(err.problem, column, number) from None
        for sym in sorted(expr.free_symbols, key=lambda s: s.name):
            if sym.name not in defined:
                check_name(sym.name, line=number)
                used.setdefault(sym.name, number)
        shown = read(rhs, limits=limits, variables=defined, written=True)[0]
        assignments.append(Assignment(name, expr, number, shown))
        defined[name] = number
    if not assignments:
        raise ParseError("the program has no lines of the form 'name = expression'")
    inputs = tuple(sorted((n for n in used if n not in defined), key=natural_key))
    return Program(tuple(assignments), inputs)


def natural_key(name: str) -> tuple:
    """Sort key that puts x2 before x10, so inputs are listed the way a person numbers them."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))
