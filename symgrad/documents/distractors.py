"""Multiple-choice distractors made from the mistakes the answer checker names: a sign error, a
missing chain factor, an activation left where its derivative belongs, a fan-out path left out,
the wrong variable, the function itself. Each is really wrong (the checker says ``incorrect``
against the key) and differs from every other."""

from __future__ import annotations

import sympy

from ..check import Context, _activation_slips, _chain_slips, _path_slips, check
from ..parsing import symbol
from .keys import Key

# What a student reads when they pick a distractor: one sentence per mistake.
FEEDBACK = {
    "sign error": "the sign is wrong",
    "missing chain factor": "an inner derivative of the chain rule is missing",
    "activation left in place of its derivative": "an activation is left where its derivative belongs",
    "fan-out path left out": "a path through a value that is used twice is left out of the sum",
    "the function itself": "this is the function itself, not its derivative",
    "off by a factor of 2": "this is off by a factor of 2",
    "activation derivative left out": "an activation's derivative is left out",
    "off by one": "this is off by one",
}


def feedback(mistake: str) -> str:
    """The sentence for a distractor's mistake: "Not quite: the sign is wrong."."""
    if mistake.startswith("derivative with respect to "):
        return f"this is the {mistake}, not the one asked for"
    return FEEDBACK[mistake]


def _candidates(function: sympy.Expr, wrt: str, key: sympy.Expr) -> list[tuple[str, sympy.Expr]]:
    x = symbol(wrt)
    out = [("sign error", -key)]
    out += [("missing chain factor", s) for s in _chain_slips(function, x)]
    slips = _activation_slips(function, x)  # the activation left where its derivative belongs, then left out
    out += [("activation left in place of its derivative", s) for d, _, s in slips if d.startswith("activation")]
    out += [("fan-out path left out", s) for s, _ in _path_slips(function, x)]
    out += [(f"derivative with respect to {v}", sympy.diff(function, v))
            for v in sorted(function.free_symbols - {x}, key=str)]
    out += [("the function itself", function), ("off by a factor of 2", 2 * key)]
    out += [("activation derivative left out", s) for d, _, s in slips if d.startswith("missing")]
    return out


def distractors(key: Key, count: int = 3) -> list[tuple[str, sympy.Expr]]:
    """Up to ``count`` (mistake, wrong answer) pairs, in a fixed order, each checked wrong and distinct."""
    if isinstance(key.expected, (str, sympy.MatrixBase)):
        return []  # a matrix formula or an instance's numbers: graded as typed, not chosen from a list
    ctx = key.context
    if key.origin is not None:  # a number: the mistakes made on the function, at the point
        function, wrt, point = key.origin
        subs = {symbol(n): v for n, v in point.items()}
        raw = [(m, e.xreplace(subs)) for m, e in _candidates(function, wrt, sympy.diff(function, symbol(wrt)))]
    elif ctx.function is not None and ctx.wrt is not None:
        raw = _candidates(ctx.function, ctx.wrt, key.expected)
    elif key.expected.is_number:
        raw = [("sign error", -key.expected), ("off by a factor of 2", 2 * key.expected),
               ("off by one", key.expected + 1)]
    else:
        raw = [("sign error", -key.expected), ("off by a factor of 2", 2 * key.expected)]
    chosen: list[tuple[str, sympy.Expr]] = []
    for mistake, wrong in raw:
        if wrong.has(sympy.zoo, sympy.nan) or check(key.expected, wrong, ctx).verdict != "incorrect":
            continue
        if any(check(other, wrong, Context(ctx.variables)).verdict == "correct" for _, other in chosen):
            continue
        chosen.append((mistake, wrong))
        if len(chosen) == count:
            break
    return chosen
