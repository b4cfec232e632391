"""Is an answer right? Read it safely, compare it with the key soundly and fast, and name the mistake.

The comparison: an exact test where one decides at once; otherwise the key and the answer are
evaluated in 40-digit arithmetic at points drawn from a fixed sequence seeded by the key (so the
same input always gets the same verdict), only where the key is real and finite, searching wider
ranges when it is not, and on both sides of every kink (max, abs, relu, Heaviside). A relative
tolerance of 1e-25 is far below any real mistake and far above 40-digit rounding. Every check runs
under a time bound; one that reaches it is ``undecided``, never ``incorrect``.
"""

from __future__ import annotations

import hashlib
import random
import signal
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

import mpmath
import sympy
from sympy import Expr, Symbol

from .errors import SymgradError
from .evaluate import Undefined, evaluate
from .functions import relu
from .parsing import symbol
from .parsing.text import read
from .printing import format_number, latex, text

DIGITS = 40
RELATIVE = mpmath.mpf("1e-25")
POINTS = 8  # agreeing points needed for "correct"
TIME_LIMIT = 1.0  # seconds per check
VERDICTS = ("correct", "incorrect", "invalid", "undecided")


@dataclass(frozen=True)
class Tolerance:
    """How close a numeric answer must be: absolute, relative, significant figures or decimals."""

    abs: float | None = None
    rel: float | None = None
    sigfigs: int | None = None
    decimals: int | None = None

    def allows(self, key: float) -> float:
        """The largest accepted |answer - key|."""
        bounds = [1e-12 * max(1.0, abs(key))]  # an exact key still forgives double rounding
        if self.abs is not None:
            bounds.append(self.abs)
        if self.rel is not None:
            bounds.append(self.rel * abs(key))
        if self.decimals is not None:
            bounds.append(0.5 * 10.0 ** -self.decimals * (1 + 1e-9))
        if self.sigfigs is not None and key != 0:
            exponent = int(mpmath.floor(mpmath.log10(abs(key))))
            bounds.append(0.5 * 10.0 ** (exponent - self.sigfigs + 1) * (1 + 1e-9))
        return max(bounds)

    def describe(self) -> str:
        parts = [f"{self.decimals} decimals" if self.decimals is not None else "",
                 f"{self.sigfigs} significant figures" if self.sigfigs is not None else "",
                 f"absolute {format_number(self.abs)}" if self.abs is not None else "",
                 f"relative {format_number(self.rel)}" if self.rel is not None else ""]
        return ", ".join(p for p in parts if p) or "exact"


@dataclass(frozen=True)
class Context:
    """What an answer may mention: the variables, intermediate names (read through their
    definitions), the domain; and for diagnosis, the function that was differentiated."""

    variables: tuple[str, ...] = ()
    definitions: Mapping[str, Expr] = field(default_factory=dict)
    positive: bool = False
    function: Expr | None = None
    wrt: str | None = None
    tolerance: Tolerance = Tolerance()

    @property
    def names(self) -> list[str]:
        return [*self.variables, *self.definitions]


class Reading:
    """How an answer was read: the expression as text and LaTeX (printed when first asked for,
    since printing costs more than checking), and the reading rules applied."""

    def __init__(self, expr: Expr, notes: tuple[str, ...] = ()):
        self.expr = expr
        self.notes = notes

    @cached_property
    def text(self) -> str:
        return text(self.expr)

    @cached_property
    def latex(self) -> str:
        return latex(self.expr)

    def __repr__(self) -> str:
        return f"Reading({self.text!r}, notes={self.notes!r})"


@dataclass(frozen=True)
class Verdict:
    verdict: str  # correct, incorrect, invalid, undecided
    message: str
    diagnosis: str | None = None  # sign error, constant factor, missing inner derivative, ...
    parsed: Reading | None = None

    def _repr_html_(self) -> str:
        """The verdict, its feedback and how the answer was read, for a notebook."""
        import html

        colour = {"correct": "#1a7f37", "incorrect": "#cf222e", "invalid": "#9a6700", "undecided": "#6e7781"}
        out = (f'<p><b style="color:{colour[self.verdict]}">{self.verdict}</b>: {html.escape(self.message)}'
               + (f" <i>({html.escape(self.diagnosis)})</i>" if self.diagnosis else "") + "</p>")
        if self.parsed is not None:
            out += f"<p>read as ${html.escape(self.parsed.latex)}$</p>"
            out += "".join(f"<p><small>{html.escape(n)}</small></p>" for n in self.parsed.notes)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict, "message": self.message, "diagnosis": self.diagnosis,
            "parsed": None if self.parsed is None else
            {"text": self.parsed.text, "latex": self.parsed.latex, "notes": list(self.parsed.notes)},
        }


class _OutOfTime(BaseException):
    """Raised by the alarm; a BaseException so that no `except Exception` on the way swallows it."""


@contextmanager
def _time_limit(seconds: float) -> Iterator[float]:
    """A hard limit by SIGALRM where we can (the main thread), and a deadline to check everywhere."""
    deadline = time.monotonic() + seconds
    use_signal = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
    if use_signal:
        def alarm(signum, frame):
            raise _OutOfTime()

        previous = signal.signal(signal.SIGALRM, alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield deadline
    finally:
        if use_signal:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


def _is_latex(s: str) -> bool:
    return "\\" in s or "{" in s


def read_answer(answer: str | Expr, context: Context) -> tuple[Expr, Reading]:
    """An answer as SymPy (intermediate names substituted), with how it was read."""
    if isinstance(answer, sympy.Basic):
        expr, notes = answer, []
    else:
        names = context.names or None  # no names given: every word is a variable (reading a key)
        expr, notes = read(answer, names=names, variables=context.names, latex=_is_latex(answer), keep_shape=False)
    shown = Reading(expr, tuple(notes))
    defs = {symbol(n): d for n, d in context.definitions.items()}
    for _ in range(len(defs)):  # definitions may use earlier intermediate names
        if not expr.free_symbols & set(defs):
            break
        expr = expr.xreplace(defs)
    return expr, shown


# -- points -----------------------------------------------------------------------------------------

_RANGES_REAL = ((-2.0, 2.0), (-5.0, 5.0), (0.05, 3.0), (-0.5, 0.5), (-20.0, 20.0))
_RANGES_POSITIVE = ((0.05, 3.0), (0.5, 10.0), (0.001, 0.5), (1.0, 50.0))


def _seed(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("\x00".join(parts).encode()).digest()[:8], "big")


def _kinks(exprs: Sequence[Expr]) -> list[Expr]:
    """The expressions whose sign changes where max, abs, relu, sign or Heaviside has a kink."""
    found: list[Expr] = []
    for e in exprs:
        for node in sympy.preorder_traversal(e):
            if isinstance(node, (sympy.Abs, sympy.sign, relu)):
                found.append(node.args[0])
            elif isinstance(node, sympy.Heaviside):
                found.append(node.args[0])
            elif isinstance(node, (sympy.Max, sympy.Min)):
                args = node.args
                found += [args[i] - args[j] for i in range(len(args)) for j in range(i + 1, len(args))]
    return list(dict.fromkeys(k for k in found if k.free_symbols))


class _Sampler:
    """Deterministic points where the key is real and finite, plus points beside every kink."""

    def __init__(self, key: Expr, variables: Sequence[Symbol], positive: bool, seed: int):
        self.key, self.variables, self.positive = key, list(variables), positive
        self.rng = random.Random(seed)

    def _value(self, point) -> mpmath.mpf | None:
        try:
            return evaluate(self.key, point)
        except Undefined:
            return None

    def _draw(self, low: float, high: float) -> dict:
        return {v: mpmath.mpf(round(self.rng.uniform(low, high), 6)) for v in self.variables}

    def points(self, count: int, extra: Sequence[Expr]) -> list[tuple[dict, mpmath.mpf]]:
        found: list[tuple[dict, mpmath.mpf]] = []
        ranges = _RANGES_POSITIVE if self.positive else _RANGES_REAL
        for low, high in ranges:
            for _ in range(4 * count):
                if len(found) >= count:
                    break
                point = self._draw(low, high)
                value = self._value(point)
                if value is not None:
                    found.append((point, value))
        if found:
            found += self._beside_kinks(extra, found[0][0])
        return found

    def _beside_kinks(self, kinks: Sequence[Expr], base: dict) -> list[tuple[dict, mpmath.mpf]]:
        """For each kink u and variable v, find where u changes sign along v and step to both sides."""
        out = []
        low, high = (0.01, 5.0) if self.positive else (-5.0, 5.0)
        grid = [mpmath.mpf(low) + (high - low) * i / 40 for i in range(41)]
        for u in kinks[:8]:
            for v in sorted(u.free_symbols & set(self.variables), key=str):
                signs = []
                for t in grid:
                    try:
                        signs.append((t, mpmath.sign(evaluate(u, {**base, v: t}))))
                    except Undefined:
                        signs.append((t, None))
                for (a, sa), (b, sb) in zip(signs, signs[1:]):
                    if sa is None or sb is None or sa == sb or sa == 0:
                        continue
                    for _ in range(60):  # bisect to the kink
                        mid = (a + b) / 2
                        try:
                            sm = mpmath.sign(evaluate(u, {**base, v: mid}))
                        except Undefined:
                            break
                        a, b = (mid, b) if sm == sa else (a, mid)
                    for side in (a - mpmath.mpf("1e-4"), b + mpmath.mpf("1e-4")):
                        point = {**base, v: side}
                        value = self._value(point)
                        if value is not None:
                            out.append((point, value))
        return out


def _agrees(a: mpmath.mpf, k: mpmath.mpf) -> bool:
    return abs(a - k) <= RELATIVE * max(abs(a), abs(k)) + mpmath.mpf("1e-32")


def _show_point(point: dict) -> str:
    return ", ".join(f"{v} = {format_number(x, digits=6)}" for v, x in sorted(point.items(), key=lambda kv: str(kv[0])))


# -- diagnosis --------------------------------------------------------------------------------------


def _constant_ratio(values: list[tuple[mpmath.mpf, mpmath.mpf]]) -> mpmath.mpf | None:
    ratios = [a / k for a, k in values if k != 0]
    if len(ratios) < 2 or any(not _agrees(r, ratios[0]) for r in ratios):
        return None
    return ratios[0]


def _pretty_number(x: mpmath.mpf) -> str:
    """A factor or a shift in a message: a small fraction when it is one, else printing.format_number's decimal."""
    guess = sympy.nsimplify(float(x), rational=True, tolerance=1e-12)
    return format_number(guess if guess.is_Rational and guess.q < 1000 else x)


def _two_numbers(a: mpmath.mpf, k: mpmath.mpf) -> tuple[str, str]:
    """a and k with enough digits to see where they differ."""
    gap = abs(a - k) / max(abs(a), abs(k), mpmath.mpf("1e-30"))
    digits = 8 if gap == 0 else int(min(38, max(8, 3 - mpmath.log10(gap))))
    return format_number(a, digits=digits), format_number(k, digits=digits)


def _chain_slips(function: Expr, x: Symbol) -> list[Expr]:
    """The derivative with the inner derivative of one chain-rule step (or of all) left out."""
    from .steps.rules import _pending, derive

    tree = derive(function, x)
    chains: list[Any] = []

    def collect(node):
        if node.rule == "chain rule":
            chains.append(node)
        for p in node.parts:
            collect(p)

    collect(tree)

    def result(node, dropped) -> Expr:
        if node.rule == "chain rule" and (dropped is node or dropped == "all"):
            return node.rewritten.xreplace({_pending(p.expr, x): sympy.S.One for p in node.parts})
        return node.rewritten.xreplace({_pending(p.expr, x): result(p, dropped) for p in node.parts})

    return [result(tree, c) for c in chains] + ([result(tree, "all")] if len(chains) > 1 else [])


def _freeze_nth(expr: Expr, x: Symbol, n: int, frozen: Symbol) -> Expr:
    """expr with its n-th occurrence of x (in tree order) replaced by ``frozen``."""
    seen = 0

    def walk(node):
        nonlocal seen
        if node == x:
            seen += 1
            return frozen if seen - 1 == n else node
        if not node.args:
            return node
        return node.func(*(walk(a) for a in node.args))

    return walk(expr)


def _path_slips(function: Expr, x: Symbol) -> list[tuple[Expr, Expr]]:
    """For each place x occurs, the derivative with the path through that place left out."""
    frozen = Symbol("_frozen", real=True)
    slips = []
    count = sum(1 for node in sympy.preorder_traversal(function) if node == x)
    if count < 2:
        return []
    for n in range(count):
        partly = _freeze_nth(function, x, n, frozen)
        slips.append((sympy.diff(partly, x).xreplace({frozen: x}), partly))
    return slips


def _diagnose(answer: Expr, key: Expr, context: Context, samples: list[tuple[dict, mpmath.mpf]]) -> tuple[str, str]:
    """(diagnosis, message) for an answer that differs from the key."""
    values = []
    for point, k in samples:
        try:
            values.append((point, evaluate(answer, point), k))
        except Undefined:
            return ("undefined where the key is defined",
                    f"your answer is undefined at {_show_point(point)}, where the key is {format_number(k, digits=8)}")
    pairs = [(a, k) for _, a, k in values]
    if all(_agrees(a, -k) for a, k in pairs) and any(k != 0 for _, k in pairs):
        return "sign error", "the sign is wrong: your answer is the negative of the key"
    # (diagnosis, message, what the answer would be if this were the mistake); the most specific first
    candidates: list[tuple[str, str, Expr]] = []
    if context.function is not None and context.wrt is not None:
        f, x = context.function, symbol(context.wrt)
        for slip in _chain_slips(f, x):
            candidates.append(("missing inner derivative",
                               "the chain rule's inner derivative is missing: multiply by the derivative "
                               "of the inside function", slip))
        for slip, _partly in _path_slips(f, x):
            candidates.append(("missing path",
                               f"a path is missing from the sum: {x} reaches the output along several paths "
                               "and every path's contribution must be added", slip))
        candidates.append(("function instead of derivative", "this is the function itself, not its derivative", f))
        for v in sorted(f.free_symbols - {x}, key=str):
            candidates.append(("wrong variable", f"this is the derivative with respect to {v}, not {x}",
                               sympy.diff(f, v)))
    for name, message, candidate in candidates:
        try:
            if all(_agrees(a, evaluate(candidate, point)) for point, a, _ in values):
                return name, message
        except Undefined:
            continue
    if context.function is not None and context.wrt is not None:
        f, x = context.function, symbol(context.wrt)
        try:  # an antiderivative: the answer's derivative is the function
            slope = sympy.diff(answer, x)
            if all(_agrees(evaluate(slope, point), evaluate(f, point)) for point, _, _ in values):
                return "antiderivative", "this is an antiderivative: differentiate, do not integrate"
        except Undefined:
            pass
    ratio = _constant_ratio(pairs)
    if ratio is not None and ratio != 0:
        return ("constant factor", f"off by a constant factor: your answer is {_pretty_number(ratio)} times the key")
    differences = [(p, a, k) for p, a, k in values if not _agrees(a, k)]
    point, a, k = differences[0]
    shift = [a - k for _, a, k in values]
    if all(_agrees(s, shift[0]) for s in shift):
        return "constant term", f"off by a constant: your answer is the key plus {_pretty_number(shift[0])}"
    shown_a, shown_k = _two_numbers(a, k)
    return "differs", f"at {_show_point(point)} your answer is {shown_a} but the key is {shown_k}"


# -- the check --------------------------------------------------------------------------------------


def _numeric(answer: Expr, key: Expr, context: Context, reading: Reading) -> Verdict:
    a, k = float(answer.evalf(30)), float(key.evalf(30))
    tolerance = context.tolerance
    if abs(a - k) <= tolerance.allows(k):
        return Verdict("correct", "correct" if a == k else f"correct to {tolerance.describe()}", None, reading)
    if k != 0 and abs(a + k) <= tolerance.allows(k):
        return Verdict("incorrect", "the sign is wrong", "sign error", reading)
    if k != 0 and a != 0 and abs(a / k - round(a / k)) < 1e-9 and round(a / k) not in (0, 1):
        return Verdict("incorrect", f"off by a factor of {round(a / k)}", "constant factor", reading)
    hint = "" if tolerance.decimals or tolerance.sigfigs else \
        " (no rounding is allowed here; a problem can allow decimals or significant figures)"
    shown_a, shown_k = format_number(a, digits=10), format_number(k, digits=10)
    return Verdict("incorrect", f"your answer is {shown_a} but the key is {shown_k}{hint}", "differs", reading)


def _read_key(expected: str, context: Context) -> Expr:
    """A key is read once however many answers are checked against it."""
    return _read_key_cached(expected, context.variables, tuple(context.definitions.items()))


@lru_cache(maxsize=1024)
def _read_key_cached(expected: str, variables: tuple[str, ...], definitions: tuple) -> Expr:
    return read_answer(expected, Context(variables, dict(definitions)))[0]


@lru_cache(maxsize=1024)
def _samples(key: Expr, variables: tuple[Symbol, ...], positive: bool, kinks: tuple[Expr, ...],
             seed: int) -> tuple[tuple[dict, mpmath.mpf], ...]:
    """The points for a key (and the kinks in play), computed once per key. The sampler's work is
    bounded by its fixed number of draws; the caller's alarm bounds the rest."""
    with mpmath.workdps(DIGITS):
        sampler = _Sampler(key, variables, positive, seed)
        return tuple(sampler.points(POINTS, kinks))


def check(
    expected: str | Expr, answer: str | Expr, context: Context | None = None, *, time_limit: float = TIME_LIMIT
) -> Verdict:
    """The verdict on ``answer`` against the key ``expected``; never raises for a bad answer."""
    context = context or Context()
    try:
        key = _read_key(expected, context) if isinstance(expected, str) else read_answer(expected, context)[0]
    except SymgradError as err:
        raise SymgradError(f"the key cannot be read: {err}") from None
    if not context.variables:  # infer the variables from the key
        context = Context(tuple(sorted(s.name for s in key.free_symbols)), context.definitions, context.positive,
                          context.function, context.wrt, context.tolerance)
    try:
        with _time_limit(time_limit) as deadline:
            return _check(key, answer, context, deadline, str(expected))
    except _OutOfTime:
        return Verdict("undecided", f"the check reached its time limit ({time_limit:g} s)")
    except SymgradError as err:
        return Verdict("invalid", str(err))
    except RecursionError:
        return Verdict("invalid", "the answer is nested too deeply to read")


def _check(key: Expr, answer: str | Expr, context: Context, deadline: float, key_text: str) -> Verdict:
    try:
        value, reading = read_answer(answer, context)
    except SymgradError as err:
        return Verdict("invalid", str(err))
    extra = sorted(value.free_symbols - {symbol(v) for v in context.variables}, key=str)
    if extra and not context.names:
        return Verdict("invalid", f"a number is expected here, but the answer uses the name {extra[0]}",
                       None, reading)
    if extra:
        return Verdict("invalid", f"unknown name {extra[0]}: the names here are {', '.join(context.names)}",
                       None, reading)
    if value == key:
        return Verdict("correct", "correct", None, reading)
    variables = [symbol(v) for v in context.variables]
    if not key.free_symbols and not value.free_symbols:
        return _numeric(value, key, context, reading)
    with mpmath.workdps(DIGITS):
        seed = _seed(key_text, ",".join(context.variables))
        samples = list(_samples(key, tuple(variables), context.positive, tuple(_kinks([key, value])), seed))
        if len(samples) < 3:
            if time.monotonic() > deadline:
                return Verdict("undecided", "the check reached its time limit before finding enough points",
                               None, reading)
            return Verdict("undecided", "the key is undefined at almost every point tried, so no comparison "
                           "can be made", None, reading)
        for point, k in samples:
            try:
                a = evaluate(value, point)
            except Undefined:
                return Verdict("incorrect", f"your answer is undefined at {_show_point(point)}, where the key "
                               f"is {format_number(k, digits=8)}", "undefined where the key is defined", reading)
            if not _agrees(a, k):
                diagnosis, message = _diagnose(value, key, context, samples)
                return Verdict("incorrect", message, diagnosis, reading)
    return Verdict("correct", f"correct (agrees with the key at {len(samples)} points)", None, reading)
