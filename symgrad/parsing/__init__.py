"""Reading user input: plain-text expressions and staged programs, through our own grammar."""

from .limits import DEFAULT_LIMITS, Limits
from .program import Assignment, Program, is_program, natural_key, parse_program
from .text import as_written, parse, symbol

__all__ = [
    "DEFAULT_LIMITS", "Assignment", "Limits", "Program", "is_program", "natural_key",
    "as_written", "parse", "parse_program", "symbol",
]
