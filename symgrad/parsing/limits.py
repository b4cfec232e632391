"""Input limits: what keeps a hostile or mistyped string from costing unbounded time or memory."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Bounds checked while reading text; every breach is a LimitError naming the column."""

    max_length: int = 2000  # characters in one expression (one line of a program)
    max_lines: int = 500  # lines in one staged program
    max_depth: int = 60  # nesting of parentheses, function calls, powers and signs
    max_digits: int = 30  # digits in one number literal
    max_exponent: int = 1000  # the decimal exponent of a number written 1e-3
    max_power: int = 1000  # |n| for the numeric exponent of a power (what it would compute is bounded by max_bits)
    max_bits: int = 20000  # size of an exact number produced while reading (2^20000 at most)


DEFAULT_LIMITS = Limits()
