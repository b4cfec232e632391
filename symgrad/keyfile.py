"""Answer keys without the problem bank: a Key, how a key.jsonl line becomes one, and the verdict on an
answer against it. This is all grading needs (SymPy, mpmath and lark; no YAML, Jinja2 or documents), so
a key file can be checked where symgrad's documents layer is absent (a PrairieLearn course's
serverFilesCourse). ``symgrad.documents.keys`` builds keys from the bank and writes the lines."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import sympy

from .check import ONE_AT_A_TIME, Context, Tolerance, Verdict, check, prepare
from .errors import SymgradError
from .matrix_check import MatrixContext, check_matrix
from .numbers_check import NETWORK_TOLERANCE, NumbersContext, check_numbers, looks_numeric
from .parsing import parse


@dataclass(frozen=True)
class Key:
    expected: sympy.Expr | str | sympy.Matrix  # a matrix key is text in the problem's names, checked on random
    # instances; a numbers key (NumbersContext) is the instance's vector or matrix
    context: Context | MatrixContext | NumbersContext
    origin: tuple | None = None  # (function, variable, point) a numeric gradient comes from, for distractors
    numbers: sympy.Matrix | None = None  # a matrix key's value on the problem's own instance

    @property
    def array(self) -> sympy.Matrix | None:
        """The numbers a numeric answer is checked against, if this key has them."""
        return self.expected if isinstance(self.context, NumbersContext) else self.numbers


_ENTRY = re.compile(r"^(?P<item>.+?)\[\s*(?P<row>\d+)\s*(?:,\s*(?P<col>\d+)\s*)?\]$")


def find_key(keys: Mapping[str, Key], part: str) -> Key | None:
    """The key of a part, or of one entry of a numeric one: grad.W1[2,1] (row 2, column 1) or
    value.z1[2] (1-based); None when there is no such part or entry."""
    part = part.strip()
    if part in keys:
        return keys[part]
    m = _ENTRY.match(part)
    key = keys.get(m.group("item").strip()) if m else None
    if key is None or key.array is None:
        return None
    row, col = int(m.group("row")), int(m.group("col") or 1)
    inside = 1 <= row <= key.array.rows and 1 <= col <= key.array.cols
    if not inside or (m.group("col") is None and key.array.cols > 1):
        return None
    return Key(sympy.Matrix([[key.array[row - 1, col - 1]]]), NumbersContext())


def verdict_for(key: Key, answer: str) -> Verdict:
    """The verdict on an answer against one key: a scalar one, a matrix formula, or the numbers of a
    network's instance (a numeric answer to a formula key that has numbers is checked against them).
    Checks in threads of one process take turns (see check.ONE_AT_A_TIME)."""
    with ONE_AT_A_TIME:
        return _verdict_for(key, answer)


def prepare_key(key: Key, *, mistakes: bool = True) -> None:
    """Work out a key's side of a check (see check.prepare) before its answers, outside their time
    limits: for a matrix key its instances and the key's value on each, and with ``mistakes`` the
    values of its named mistakes there."""
    if isinstance(key.context, NumbersContext):
        return
    if not isinstance(key.context, MatrixContext):
        prepare(key.expected, key.context, mistakes=mistakes)
        return
    from .check import PREPARE_LIMIT, _OutOfTime, _time_limit
    from .matrix_check import _mistakes, _prepared

    try:
        with ONE_AT_A_TIME, _time_limit(PREPARE_LIMIT):
            for ident, _sizes, base, values, _value in _prepared(key.expected, key.context):
                if mistakes:
                    _mistakes(ident, key.expected, key.context, base, values)
    except (_OutOfTime, Exception):  # noqa: BLE001 - the checks will meet it and say so
        pass


def _verdict_for(key: Key, answer: str) -> Verdict:
    if key.array is not None and (isinstance(key.context, NumbersContext) or looks_numeric(answer)):
        return check_numbers(key.array, answer, getattr(key.context, "tolerance", NETWORK_TOLERANCE))
    if isinstance(key.context, MatrixContext):
        return check_matrix(key.expected, answer, key.context)
    return check(key.expected, answer, key.context)


def key_from_line(line: Mapping[str, Any]) -> Key:
    """The Key a key.jsonl line describes (the inverse of ``symgrad.documents.keys.key_line``)."""
    from .nets import Network, matrix_context

    numbers = sympy.Matrix([[sympy.Float(e) for e in row] for row in line["numbers"]]) if "numbers" in line else None
    if "network" in line:
        n = line["network"]
        net = Network(tuple(n["sizes"]), tuple(n["activations"]), n["loss"], tuple(n["biases"]))
        return Key(line["expected"], matrix_context(net), numbers=numbers)
    if numbers is not None:
        return Key(numbers, NumbersContext(Tolerance(rel=line.get("rtol"), abs=line.get("atol"))))
    names = tuple(v for v in line.get("vars", "").split(",") if v)
    definitions = {k: parse(v, variables=names) for k, v in line.get("definitions", {}).items()}
    function = parse(line["function"], variables=names) if line.get("function") else None
    tolerance = Tolerance(decimals=line["decimals"]) if "decimals" in line else Tolerance()
    return Key(line["expected"], Context(names, definitions, function=function, wrt=line.get("wrt"),
                                         tolerance=tolerance))


@lru_cache(maxsize=4)
def load_keys(path: str) -> dict[tuple[str, str], dict[str, Key]]:
    """(student, problem) -> part -> Key, from a key.jsonl (cached per process)."""
    keys: dict[tuple[str, str], dict[str, Key]] = {}
    for number, text in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            line = json.loads(text)
            keys.setdefault((line["student"], line["problem"]), {})[line["part"]] = key_from_line(line)
        except (json.JSONDecodeError, KeyError, TypeError, SymgradError) as err:
            raise SymgradError(f"{path}: line {number} is not a key line: {err}") from None
    return keys
