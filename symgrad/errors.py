"""The one exception family of symgrad: every message is a sentence a person can act on."""

from __future__ import annotations


class SymgradError(Exception):
    """Base of every error symgrad raises on purpose; the CLI prints its message, no traceback."""


class ParseError(SymgradError):
    """Text that our grammar cannot read; the message names the line, column and the problem."""

    def __init__(self, message: str, column: int | None = None, line: int | None = None):
        self.column = column
        self.line = line
        where = []
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column {column}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)
        self.problem = message


class LimitError(ParseError):
    """Input that is readable but too large to handle safely (length, depth, number size)."""


class ProgramError(SymgradError):
    """A staged program whose lines do not define a computation (use before definition, ...)."""


class StagingError(SymgradError):
    """An expression that cannot be split into gates (a function with no gate row, ...)."""


class EvaluationError(SymgradError):
    """A point at which the computation is undefined or a value is missing."""
