"""Names for intermediate variables: letters (g, h, k), indexed (x^(1), x^(2)), descriptive (xpy, invden)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from .errors import StagingError
from .gates import gate

STYLES = ("letters", "indexed", "descriptive")

# Letters in the order a worksheet uses them (004 §2: g, h); e, f, i, j, l, o, s, x, y, z are
# skipped because they read as Euler's number, the output, indices, loss, zero, sigmoid, inputs.
LETTERS = "g h k m n p q r t u v w a b c d".split()

_IDENT = re.compile(r"^[A-Za-zα-ωΑ-Ω_][A-Za-z0-9α-ωΑ-Ω_]*$")
MAX_WORD = 10


def _letters(count: int, used: set[str]) -> list[str]:
    out: list[str] = []
    chosen: set[str] = set()  # out as a set: a network has thousands of stages
    round_ = 0
    while len(out) < count:
        for letter in LETTERS:
            name = letter if round_ == 0 else f"{letter}{round_}"
            if name not in used and name not in chosen:
                out.append(name)
                chosen.add(name)
                if len(out) == count:
                    break
        round_ += 1
    return out


def _indexed(count: int, used: set[str], base: str = "x") -> list[str]:
    out: list[str] = []
    k = 1
    while len(out) < count:
        name = f"{base}_{k}"
        if name not in used:
            out.append(name)
        k += 1
    return out


def _hints(raw: Sequence) -> dict[int, str]:
    """Context names: what a reciprocal reads is a denominator, what multiplies it a numerator."""
    hints: dict[int, str] = {}
    reciprocals = {i for i, r in enumerate(raw) if r.op == "reciprocal"}
    for i in reciprocals:
        (arg,) = raw[i].args
        if isinstance(arg, int):
            hints.setdefault(arg, "den")
    for r in raw:
        if r.op == "mul" and any(isinstance(a, int) and a in reciprocals for a in r.args):
            others = [a for a in r.args if isinstance(a, int) and a not in reciprocals]
            if len(others) == 1:
                hints.setdefault(others[0], "num")
    return hints


def _descriptive(raw: Sequence, fixed: Mapping[int, str], used: set[str]) -> dict[int, str]:
    hints = _hints(raw)
    names: dict[int, str] = dict(fixed)
    taken = set(used)
    counters: dict[str, int] = {}
    for i, r in enumerate(raw):
        if i in names:
            continue
        arg_names = [a if isinstance(a, str) else names[a] for a in r.args]
        word = hints.get(i) or gate(r.op).word(arg_names, r.params)
        if len(word) > MAX_WORD or not _IDENT.match(word):
            counters[r.op] = counters.get(r.op, 0) + 1
            word = f"{r.op}{counters[r.op]}"
        name, k = word, 2
        while name in taken:
            name, k = f"{word}{k}", k + 1
        names[i] = name
        taken.add(name)
    return names


def assign_names(
    raw: Sequence, inputs: Sequence[str], fixed: Mapping[int, str], *, style: str = "letters"
) -> list[str]:
    """One name per raw stage; ``fixed`` names (given by the user, or the output) are kept."""
    if style not in STYLES:
        raise StagingError(f"naming style must be one of {', '.join(STYLES)}, not '{style}'")
    used = set(inputs) | set(fixed.values())
    free = [i for i in range(len(raw)) if i not in fixed]
    if style == "descriptive":
        named = _descriptive(raw, fixed, used)
        return [named[i] for i in range(len(raw))]
    fresh = _letters(len(free), used) if style == "letters" else _indexed(len(free), used)
    named = dict(fixed)
    named.update(zip(free, fresh))
    return [named[i] for i in range(len(raw))]
