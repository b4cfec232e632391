"""Is an answer right? Read it safely, compare it with the key soundly and fast, and name the mistake.

The comparison: an exact test where one decides at once; otherwise the key and the answer are
evaluated in 40-digit arithmetic at points drawn from a fixed sequence seeded by the key (so the
same input always gets the same verdict), only where the key is real and finite, searching wider
ranges when it is not, and on both sides of every kink (max, abs, relu, Heaviside). A relative
tolerance of 1e-25 is far below any real mistake and far above 40-digit rounding. Every check runs
under a time bound; one that reaches it is ``undecided``, never ``incorrect``.

Two numbers are compared exactly: a rational difference is decided in exact arithmetic, any other
at 60 and 120 digits (a difference must be the same at both). A decimal the student types is an
approximation and is compared within the tolerance, and the verdict says so. A value that is not
real is never an error: an answer that is not real where the key is real is ``incorrect`` (with
the point), a key that is nowhere real is ``invalid``.
"""

from __future__ import annotations

import hashlib
import random
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache, cached_property, lru_cache, partial
from typing import Any

import mpmath
import sympy
from sympy import Expr, Symbol

from .errors import SymgradError
from .evaluate import NotReal, TooLarge, Undefined, Unsupported, evaluate, evaluate_scaled
from .functions import sigmoid
from .gates import FUNCTIONS as FUNCTION_ROWS
from .parsing import symbol
from .parsing.limits import Limits
from .parsing.text import read
from .printing import TexPrinter, TextPrinter, format_number, latex, text
from .written import plain

DIGITS = 40
RELATIVE = mpmath.mpf("1e-25")
POINTS = 8  # agreeing points needed for "correct"
TIME_LIMIT = 1.0  # seconds per check
VERDICTS = ("correct", "incorrect", "invalid", "undecided")
# A number is evaluated at rising precision until two agree (sin(10^300) needs 300 digits).
EXACT_DIGITS = (60, 120, 240, 480, 960)
# Reading an answer: a power such as (x - a)^6000 costs a few multiplications to evaluate, so the
# check puts no practical limit on a power's exponent; an exact number a power would make stays bounded
# by the grammar's bit limit, and evaluation says what it cannot compute within the time bound.
READ_LIMITS = Limits(max_power=10**9)


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


TWO_DECIMALS = Tolerance(decimals=2)  # how a staged problem's values and gradients are graded, as the seeds round


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


def _printable(expr: Expr) -> Expr:
    """expr with every exact number too long to print in full shown as a 15-digit decimal."""
    with mpmath.workdps(20):
        return expr.xreplace({n: sympy.Float(mpmath.mpf(n.p) / n.q, 15) for n in expr.atoms(sympy.Rational)
                              if max(abs(n.p), n.q).bit_length() > 10_000})


def _text(expr: Expr) -> str:
    """printing.text, which fails on an integer past Python's 4300-digit limit (ValueError) and on
    a constant SymPy's term order cannot evaluate, such as sech(sinh(10^300)) (OverflowError);
    then the expression is printed in the order it has, long numbers as decimals."""
    try:
        return text(expr)
    except (ValueError, OverflowError):
        return TextPrinter({"order": "none"}).doprint(_printable(expr))


class Reading:
    """How an answer was read: the expression as text and LaTeX (printed when first asked for,
    since printing costs more than checking), and the reading rules applied."""

    def __init__(self, expr: Expr, notes: tuple[str, ...] = (), written: Callable[[], tuple] | None = None):
        self.expr = expr
        self.notes = notes
        self._written = written  # the answer as typed (its order and brackets), read again when printed

    @cached_property
    def shown(self) -> Expr:
        """The expression to echo: the answer in the order it was typed, else the expression read."""
        if self._written is not None:
            try:
                return self._written()[0]
            except SymgradError:
                pass
        return self.expr

    @cached_property
    def text(self) -> str:
        return _text(self.shown)

    @cached_property
    def latex(self) -> str:
        try:
            return latex(self.shown)
        except (ValueError, OverflowError):  # see _text
            return TexPrinter({"order": "none", "inv_trig_style": "full"}).doprint(_printable(self.expr))

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
        expr, notes = read(answer, names=names, variables=context.names, latex=_is_latex(answer), keep_shape=False,
                           limits=READ_LIMITS)
    typed = None if isinstance(answer, sympy.Basic) else partial(
        read, answer, names=names, variables=context.names, latex=_is_latex(answer), keep_shape=False,
        limits=READ_LIMITS, written=True)  # keep_shape as the check read it: that reading is cached
    shown = Reading(expr, tuple(notes), typed)
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


# A function's kinks, from its row: abs, sign, relu, elu, leaky_relu (each at 0).
KINKS: dict[type, tuple[Expr, ...]] = {f.cls: f.kinks for f in FUNCTION_ROWS if f.kinks}


def _kinks(exprs: Sequence[Expr]) -> list[Expr]:
    """The expressions whose sign changes where a function has a kink (its row's kinks), where max or min
    switch arguments, where Heaviside jumps, or where a Piecewise changes branch."""
    return list(dict.fromkeys(k for e in exprs for k in _kinks_of(e)))


def _kinks_of(e: Expr) -> list[Expr]:
    """_kinks of one expression, before duplicates are dropped."""
    found: list[Expr] = []
    for node in sympy.preorder_traversal(e):
        if type(node) in KINKS:
            found += [node.args[0] - k for k in KINKS[type(node)]]
        elif isinstance(node, sympy.Heaviside):
            found.append(node.args[0])
        elif isinstance(node, (sympy.Max, sympy.Min)):
            args = node.args
            found += [args[i] - args[j] for i in range(len(args)) for j in range(i + 1, len(args))]
        elif isinstance(node, sympy.Piecewise):  # elu'(u), leaky_relu'(u): a jump where a condition turns
            found += [c.lhs - c.rhs for _, c in node.args if isinstance(c, sympy.core.relational.Relational)]
    return [k for k in found if k.free_symbols]


@lru_cache(maxsize=1024)
def _key_kinks(key: Expr) -> tuple[Expr, ...]:
    """_kinks_of the key, worked out once per key."""
    return tuple(_kinks_of(key))


@dataclass(frozen=True)
class _Misses:
    """Why the key had no value at the points tried: the first point of each kind, and how many."""

    not_real: int = 0
    first_not_real: dict | None = None
    too_large: int = 0
    first_too_large: str | None = None
    unsupported: str | None = None


class _Sampler:
    """Deterministic points where the key is real and finite, plus points beside every kink."""

    def __init__(self, key: Expr, variables: Sequence[Symbol], positive: bool, seed: int):
        self.key, self.variables, self.positive = key, list(variables), positive
        self.rng = random.Random(seed)
        self.misses = _Misses()

    def _value(self, point) -> mpmath.mpf | None:
        try:
            return evaluate(self.key, point)
        except Undefined as err:
            m = self.misses
            if isinstance(err, NotReal):
                self.misses = _Misses(m.not_real + 1, m.first_not_real or point, m.too_large, m.first_too_large,
                                      m.unsupported)
            elif isinstance(err, TooLarge):
                self.misses = _Misses(m.not_real, m.first_not_real, m.too_large + 1, m.first_too_large or str(err),
                                      m.unsupported)
            elif isinstance(err, Unsupported):
                self.misses = _Misses(m.not_real, m.first_not_real, m.too_large, m.first_too_large, str(err))
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
    return abs(a - k) <= RELATIVE * max(abs(a), abs(k)) + _tiny(mpmath.mp.prec)


@cache
def _tiny(prec: int) -> mpmath.mpf:
    """10^-32 as mpmath.mpf("1e-32") reads it at a working precision: read once per precision, not at
    every comparison (reading the text costs a third of _agrees)."""
    with mpmath.workprec(prec):
        return mpmath.mpf("1e-32")


def _show_point(point: dict) -> str:
    return ", ".join(f"{v} = {_show(x, 6)}" for v, x in sorted(point.items(), key=lambda kv: str(kv[0])))


def _show(x: mpmath.mpf | mpmath.mpc, digits: int = 8) -> str:
    """A value in a message: printing.format_number's form, or mpmath's where a double cannot hold it."""
    if isinstance(x, mpmath.mpc):
        re_, im = _show(x.real, digits), _show(abs(x.imag), digits)
        return (f"{im}i" if x.real == 0 else f"{re_} {'-' if x.imag < 0 else '+'} {im}i") if x.imag else re_
    if x != 0 and not mpmath.mpf("1e-300") < abs(x) < mpmath.mpf("1e300"):
        return mpmath.nstr(x, digits)
    return format_number(x, digits=digits)


def _complex_value(expr: Expr, point: Mapping[Symbol, mpmath.mpf]) -> mpmath.mpc | None:
    """The value where ``evaluate`` found no real one, by SymPy's complex arithmetic: a product such as
    (1 + i)(1 - i) is real though a factor is not. None when SymPy has no finite value either."""
    digits = max(30, mpmath.mp.dps)
    try:
        value = expr.evalf(digits, subs={v: sympy.Float(x, digits) for v, x in point.items()})
        re_, im = (sympy.Float(part, digits) for part in value.as_real_imag())
    except (TypeError, ValueError, ArithmeticError):
        return None
    if not (re_.is_finite and im.is_finite):
        return None
    return mpmath.mpc(re_._mpf_, im._mpf_)


def _not_real(expr: Expr, point: Mapping[Symbol, mpmath.mpf]) -> tuple[bool, mpmath.mpf | mpmath.mpc | None]:
    """(truly not real, the value) where ``evaluate`` raised NotReal: confirmed in complex arithmetic."""
    z = _complex_value(expr, point)
    if z is None:
        return True, None
    if abs(z.imag) <= mpmath.mpf("1e-25") * max(abs(z.real), 1):
        return False, z.real
    return True, z


# -- diagnosis --------------------------------------------------------------------------------------


def _constant_ratio(values: list[tuple[mpmath.mpf, mpmath.mpf]]) -> mpmath.mpf | None:
    ratios = [a / k for a, k in values if k != 0]
    if len(ratios) < 2 or any(not _agrees(r, ratios[0]) for r in ratios):
        return None
    return ratios[0]


def _pretty_number(x: mpmath.mpf) -> str:
    """A factor or a shift in a message: a small fraction when it is one, else printing.format_number's decimal."""
    if not mpmath.mpf("1e-300") < abs(x) < mpmath.mpf("1e300"):
        return _show(x)
    guess = sympy.nsimplify(float(x), rational=True, tolerance=1e-12)
    return format_number(guess if guess.is_Rational and guess.q < 1000 else x)


def _two_numbers(a: mpmath.mpf, k: mpmath.mpf) -> tuple[str, str]:
    """a and k with enough digits to see where they differ."""
    gap = abs(a - k) / max(abs(a), abs(k), mpmath.mpf("1e-30"))
    digits = 8 if gap == 0 else int(min(38, max(8, 3 - mpmath.log10(gap))))
    return _show(a, digits), _show(k, digits)


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

    return [plain(result(tree, c)) for c in chains] + ([plain(result(tree, "all"))] if len(chains) > 1 else [])


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


# Each activation's derivative, as a diagnosis names it.
ACTIVATION_DERIVATIVES: dict[type, Callable[[Expr], Expr]] = {f.cls: f.prime for f in FUNCTION_ROWS if f.activation}
"""Each activation's derivative, from its function row (gates.FUNCTIONS): tanh'(u) = 1 - tanh(u)^2, ..."""


@cache
def _stand_in(activation: type, kept: bool) -> type:
    """A function like ``activation`` whose derivative is the activation itself (``kept``: the function
    left where its derivative belongs) or 1 (the derivative left out)."""

    def fdiff(self, argindex=1):
        return activation(*self.args) if kept else sympy.S.One

    return type(f"_{activation.__name__}_{'kept' if kept else 'dropped'}", (sympy.Function,),
                {"nargs": 1, "fdiff": fdiff})


def _activation_slips(function: Expr, x: Symbol) -> list[tuple[str, str, Expr]]:
    """(diagnosis, message, wrong derivative) for the activations in ``function`` (at most 6, each
    alone, then all together): their derivative factor replaced by the activation itself (tanh(u)
    where 1 - tanh(u)^2 belongs, the commonest backprop mistake), then left out."""
    u = Symbol("u", real=True)
    nodes = [n for n in dict.fromkeys(sympy.preorder_traversal(function))
             if type(n) in ACTIVATION_DERIVATIVES and n.has(x)][:6]
    out: list[tuple[str, str, Expr]] = []
    for kept in (True, False):
        for group in [[n] for n in nodes] + ([nodes] if len(nodes) > 1 else []):
            if len(group) == 1:
                slip = function.xreplace({group[0]: _stand_in(type(group[0]), kept)(*group[0].args)})
            else:  # by type, bottom-up, so that an activation inside another is replaced too
                slip = function
                for activation in {type(n) for n in group}:
                    slip = slip.replace(activation, _stand_in(activation, kept))
            slip = sympy.diff(slip, x)
            for activation in {type(n) for n in group}:
                slip = slip.replace(_stand_in(activation, kept), activation)
            if slip == function:  # f = tanh(x): "the function itself" says it
                continue
            said = [(text(a(u)), text(ACTIVATION_DERIVATIVES[a](u))) for a in dict.fromkeys(type(n) for n in group)]
            rule = "; ".join(f"the derivative of {name} is {derivative}" for name, derivative in said)
            if kept and len(group) == 1:
                out.append(("activation in place of its derivative",
                            f"{rule}, not {said[0][0]}: the function was left where its derivative belongs "
                            f"(at {_text(group[0])})", slip))
            elif kept:
                out.append(("activation in place of its derivative",
                            f"{rule}: at every activation the function was left where its derivative belongs", slip))
            else:
                where = _text(group[0]) if len(group) == 1 else "every activation"
                out.append(("missing activation derivative",
                            f"{rule}, and {'that factor is' if len(said) == 1 else 'those factors are'} missing "
                            f"at {where}", slip))
    return out


def _at(expr: Expr, point: Mapping[Symbol, mpmath.mpf]) -> mpmath.mpf:
    """evaluate(), where a NotReal is confirmed in complex arithmetic (and a real value after all returned)."""
    try:
        return evaluate(expr, point)
    except NotReal as err:
        really, z = _not_real(expr, point)
        if really:
            raise NotReal(str(err), z) from None
        return z


def _no_value(err: Undefined, point: dict, k: mpmath.mpf) -> tuple[str, str]:
    """(diagnosis, message) for an answer with no real value where the key has one."""
    where = f" at {_show_point(point)}" if point else ""
    if isinstance(err, NotReal):
        it = "" if err.value is None else f" (it is {_show(err.value)})"
        return ("not real where the key is real",
                f"your answer is not a real number{where}{it}, where the key is {_show(k)}")
    return ("undefined where the key is defined",
            f"your answer is undefined{where} ({err}), where the key is {_show(k)}")


@lru_cache(maxsize=1024)
def _mistakes(f: Expr, x: Symbol) -> tuple[tuple[str, str, Expr], ...]:
    """(diagnosis, message, the derivative with that mistake made) for the function f and variable x, the
    most specific first. They depend on the key alone, so a class's answers to one key share them."""
    candidates: list[tuple[str, str, Expr]] = []
    try:
        chain_slips = _chain_slips(f, x)
    except SymgradError:  # a function without a derivation rule: no chain-rule slips to name
        chain_slips = []
    for slip in chain_slips:
        candidates.append(("missing inner derivative",
                           "the chain rule's inner derivative is missing: multiply by the derivative "
                           "of the inside function", slip))
    candidates += _activation_slips(f, x)
    for slip, _partly in _path_slips(f, x):
        candidates.append(("missing path",
                           f"a path is missing from the sum: {x} reaches the output along several paths "
                           "and every path's contribution must be added", slip))
    candidates.append(("function instead of derivative", "this is the function itself, not its derivative", f))
    for v in sorted(f.free_symbols - {x}, key=str):
        candidates.append(("wrong variable", f"this is the derivative with respect to {v}, not {x}",
                           sympy.diff(f, v)))
    return tuple(candidates)


# Functions smooth wherever they have a real value: an answer made of these alone has a derivative
# that a central difference approximates (see _slope_differs).
_SMOOTH = (sympy.Add, sympy.Mul, sympy.Pow, sympy.exp, sympy.log, sympy.sin, sympy.cos, sympy.tan, sympy.sinh,
           sympy.cosh, sympy.tanh, sigmoid)


def _slope_differs(answer: Expr, x: Symbol, point: dict, f: mpmath.mpf) -> bool:
    """Whether the answer's derivative along x at ``point`` surely differs from ``f`` (the function's
    value there), by a central difference at 100 digits with a step of 10^-30 (error about 10^-60), so
    that the symbolic derivative of the antiderivative test is taken only for an answer that may be
    one. False (take it) for an answer with a kink or a jump, or one with no value beside the point,
    or where the difference is within 10^-6 of f or lost in rounding."""
    if x not in point or any(not isinstance(node, _SMOOTH) for node in sympy.preorder_traversal(answer)
                             if node.args):
        return False
    with mpmath.workdps(100):
        step = mpmath.mpf("1e-30")
        try:
            high, big_high = evaluate_scaled(answer, {**point, x: point[x] + step})
            low, big_low = evaluate_scaled(answer, {**point, x: point[x] - step})
        except Undefined:
            return False
        slope = (high - low) / (2 * step)
        noise = max(big_high, big_low) * mpmath.mpf("1e-80") / step
        gap = abs(slope - f)
        return gap > mpmath.mpf("1e-6") * (abs(slope) + abs(f)) + mpmath.mpf("1e-20") and gap > 1e6 * noise


def _diagnose(answer: Expr, key: Expr, context: Context, samples: list[tuple[dict, mpmath.mpf]],
              at: _KeyPoints | None = None, known: Mapping[int, mpmath.mpf] | None = None) -> tuple[str, str]:
    """(diagnosis, message) for an answer that differs from the key. The key side's values at the
    points (``at``, whose points ``samples`` are) are shared by every answer to the key; ``known`` holds
    the answer's values at the points the check has already evaluated it, by index."""
    at = at or _KeyPoints(tuple(samples), _Misses())
    known = known or {}
    values, where = [], []
    for index, (point, k) in enumerate(samples):
        try:
            values.append((point, known[index] if index in known else _at(answer, point), k))
            where.append(index)
        except (TooLarge, Unsupported):
            continue
        except Undefined as err:
            return _no_value(err, point, k)
    pairs = [(a, k) for _, a, k in values]
    if all(_agrees(a, -k) for a, k in pairs) and any(k != 0 for _, k in pairs):
        return "sign error", "the sign is wrong: your answer is the negative of the key"
    # (diagnosis, message, what the answer would be if this were the mistake); the most specific first
    candidates: tuple[tuple[str, str, Expr], ...] = ()
    if context.function is not None and context.wrt is not None:
        candidates = _mistakes(context.function, symbol(context.wrt))
    for name, message, candidate in candidates:
        try:
            if all(_agrees(a, at.value(candidate, i)) for i, (_, a, _) in zip(where, values)):
                return name, message
        except Undefined:
            continue
    ratio = _constant_ratio(pairs)  # before the antiderivative: no symbolic derivative of the answer needed
    if ratio is not None and ratio != 0:
        return ("constant factor", f"off by a constant factor: your answer is {_pretty_number(ratio)} times the key")
    if context.function is not None and context.wrt is not None:
        f, x = context.function, symbol(context.wrt)
        try:  # an antiderivative: the answer's derivative is the function
            if values and not _slope_differs(answer, x, values[0][0], at.value(f, where[0])):
                slope = sympy.diff(answer, x)
                if all(_agrees(evaluate(slope, point), at.value(f, i)) for i, (point, _, _) in zip(where, values)):
                    return "antiderivative", "this is an antiderivative: differentiate, do not integrate"
        except Undefined:
            pass
    differences = [(p, a, k) for p, a, k in values if not _agrees(a, k)]
    if not differences:  # every point where the answer could be evaluated agrees
        return "differs", "your answer differs from the key where it can be evaluated"
    point, a, k = differences[0]
    shift = [a - k for _, a, k in values]
    if all(_agrees(s, shift[0]) for s in shift):
        return "constant term", f"off by a constant: your answer is the key plus {_pretty_number(shift[0])}"
    shown_a, shown_k = _two_numbers(a, k)
    return "differs", f"at {_show_point(point)} your answer is {shown_a} but the key is {shown_k}"


# -- the check --------------------------------------------------------------------------------------


# A number literal with a decimal point or an exponent: what the student typed is an approximation.
_DECIMAL = re.compile(r"(?<![\w.])(\d+\.\d*|\.\d+|\d+[eE][-+]?\d+)")


def _typed_a_decimal(answer: str | Expr) -> bool:
    return bool(_DECIMAL.search(answer)) if isinstance(answer, str) else answer.has(sympy.Float)


def _at_scaled(expr: Expr) -> tuple[mpmath.mpf, mpmath.mpf]:
    """A number's value and the largest magnitude among its parts' (see evaluate_scaled)."""
    try:
        return evaluate_scaled(expr, {})
    except NotReal:
        value = _at(expr, {})  # real after all (in SymPy's complex arithmetic), or NotReal confirmed
        return value, max(abs(value), 1)


def _settled(history: list[tuple[int, mpmath.mpf, mpmath.mpf]]) -> mpmath.mpf | None:
    """The value that evaluations at rising precision, (digits, value, largest part), have settled
    on: the last when the last two agree to 30 digits; 0 when both are below the rounding noise of
    their parts (10^(20 - digits) of the largest); None while neither."""
    if len(history) < 2:
        return None
    (_, old, _), (_, new, _) = history[-2:]
    if abs(new - old) <= mpmath.mpf("1e-30") * abs(new):
        return new
    if all(abs(v) <= mpmath.mpf(10) ** (20 - d) * m for d, v, m in history[-2:]):
        return mpmath.mpf(0)
    return None


def _ladder(exprs: Sequence[Expr]) -> tuple[int, list[mpmath.mpf]]:
    """(digits, the values of exprs) once each has settled along EXACT_DIGITS (see _settled): rounding
    noise shrinks as the precision grows and a real value stays, so a value hidden at 60 digits
    (tan(10^300) needs 300) still shows. TooLarge when one never settles."""
    histories: list[list[tuple[int, mpmath.mpf, mpmath.mpf]]] = [[] for _ in exprs]
    for digits in EXACT_DIGITS:
        with mpmath.workdps(digits):
            try:
                values = [_at_scaled(e) for e in exprs]
            except TooLarge:
                histories = [[] for _ in exprs]
                continue
        settled = []
        for history, (value, largest) in zip(histories, values):
            history.append((digits, value, largest))
            settled.append(_settled(history))
        if all(v is not None for v in settled):
            return digits, settled
    raise TooLarge(f"it cannot be evaluated to enough digits (tried up to {EXACT_DIGITS[-1]})")


def _shown_key(key: Expr, key_text: str) -> str:
    shown = key_text if len(key_text) <= 40 else _text(key)
    return f" {shown}" if len(shown) <= 40 else ""


@lru_cache(maxsize=1024)
def _key_number(key: Expr) -> mpmath.mpf | Undefined:
    """A number key's value (see _ladder), or why it has none: worked out once per key."""
    try:
        return _ladder([key])[1][0]
    except Undefined as err:
        return err


def _number_key(key: Expr, key_text: str, reading: Reading) -> mpmath.mpf | Verdict:
    """A number key's value, or the verdict when it has none: not real or undefined is the key's fault."""
    try:
        value = _key_number(key)
        if isinstance(value, Undefined):
            raise value
        return value
    except NotReal as err:
        it = "" if err.value is None else f" (it is {_show(err.value)})"
        return Verdict("invalid", f"the key{_shown_key(key, key_text)} is not a real number{it}", None, reading)
    except (TooLarge, Unsupported) as err:
        return Verdict("undecided", f"the key cannot be evaluated: {err}", None, reading)
    except Undefined as err:
        return Verdict("invalid", f"the key{_shown_key(key, key_text)} is undefined ({err})", None, reading)


def _numeric(answer: Expr, key: Expr, context: Context, reading: Reading, decimal: bool, key_text: str) -> Verdict:
    """A number against a number key: exactly when both are exact, else within the tolerance. A
    rational difference is decided in exact arithmetic; any other is evaluated at rising precision
    until it settles on a value or on 0 (see _ladder)."""
    k = _number_key(key, key_text, reading)
    if isinstance(k, Verdict):
        return k
    tolerance = context.tolerance
    approximate = decimal or tolerance != Tolerance() or _has_float(key)
    difference = key - answer  # SymPy cancels the terms the two share: the difference is evaluated as such
    if approximate and (answer.is_Float or answer.is_Rational):
        # a number typed as such, compared within the tolerance: its value is exact, the key's is known
        with mpmath.workdps(EXACT_DIGITS[1]):
            a = mpmath.mpf(answer._mpf_) if answer.is_Float else mpmath.mpf(answer.p) / answer.q
        return _within(a, k, answer, key, tolerance, reading, decimal)
    try:
        digits, (k, a, gap) = _ladder([key, answer, difference])
    except (TooLarge, Unsupported) as err:
        return Verdict("undecided", f"your answer cannot be evaluated: {err}", None, reading)
    except Undefined as err:
        diagnosis, message = _no_value(err, {}, k)
        return Verdict("incorrect", message, diagnosis, reading)
    if approximate:
        return _within(a, k, answer, key, tolerance, reading, decimal)
    if difference == 0 if difference.is_Rational else gap == 0:
        return Verdict("correct", "correct" if difference == 0 else
                       f"correct (equal to the key in {digits}-digit arithmetic)", None, reading)
    wrong = _sign_or_factor(a, k, mpmath.mpf(10) ** (20 - digits) * abs(k), reading)
    if wrong is not None:
        return wrong
    shown_a, shown_k = _text(answer), _text(key)
    if max(len(shown_a), len(shown_k)) > 30:
        shown_a, shown_k = _two_numbers(a, k)
    near = abs(a - k) <= mpmath.mpf("1e-6") * max(abs(a), abs(k))
    by = _text(abs(difference)) if difference.is_Rational and len(_text(difference)) <= 30 else _show(abs(gap), 3)
    return Verdict("incorrect", f"your answer is {shown_a} but the key is {shown_k}"
                   + (f": they differ by {by}" if near else ""), "differs", reading)


def _sign_or_factor(a: mpmath.mpf, k: mpmath.mpf, close: mpmath.mpf, reading: Reading) -> Verdict | None:
    """The verdict on a number that is the key's negative (within ``close``) or a whole multiple of it."""
    if k != 0 and abs(a + k) <= close:
        return Verdict("incorrect", "the sign is wrong", "sign error", reading)
    if k != 0 and a != 0 and abs(a / k - mpmath.nint(a / k)) < 1e-9 and mpmath.nint(a / k) not in (0, 1):
        return Verdict("incorrect", f"off by a factor of {_show(mpmath.nint(a / k))}", "constant factor", reading)
    return None


def _within(a: mpmath.mpf, k: mpmath.mpf, answer: Expr, key: Expr, tolerance: Tolerance, reading: Reading,
            decimal: bool) -> Verdict:
    """The verdict on a number compared with a number key within the tolerance."""
    if abs(a - k) <= tolerance.allows(k):
        return Verdict("correct", _close_enough(a, k, key, tolerance, decimal), None, reading)
    wrong = _sign_or_factor(a, k, tolerance.allows(k), reading)
    if wrong is not None:
        return wrong
    hint = "" if tolerance.decimals or tolerance.sigfigs else \
        " (no rounding is allowed here; a problem can allow decimals or significant figures)"
    return Verdict("incorrect", f"your answer is {_show(a, 10)} but the key is {_show(k, 10)}{hint}",
                   "differs", reading)


@lru_cache(maxsize=1024)
def _has_float(key: Expr) -> bool:
    return key.has(sympy.Float)


def _close_enough(a: mpmath.mpf, k: mpmath.mpf, key: Expr, tolerance: Tolerance, decimal: bool) -> str:
    """The message for a number accepted within the tolerance: how close, and the exact value."""
    if a == k:
        return "correct"
    if tolerance != Tolerance() or not decimal:
        return f"correct to {tolerance.describe()}"
    exact = _text(key)
    exact = exact if len(exact) <= 40 else _show(k, 20)
    if k == 0:
        return f"correct to within {_show(abs(a), 3)}; the exact value is 0 (your answer was taken as a decimal)"
    digits = int(mpmath.floor(-mpmath.log10(abs(a - k) / abs(k))))
    return f"correct to {digits} significant digits; the exact value is {exact} (your answer was taken as a decimal)"


def _read_key(expected: str | Expr, context: Context) -> Expr:
    """A key is read once however many answers are checked against it (a SymPy key has its
    intermediate names replaced by their definitions once)."""
    if not isinstance(expected, str):
        return _key_expr(expected, tuple(context.definitions.items())) if context.definitions else expected
    return _read_key_cached(expected, context.variables, tuple(context.definitions.items()))


@lru_cache(maxsize=1024)
def _key_expr(expected: Expr, definitions: tuple) -> Expr:
    return read_answer(expected, Context((), dict(definitions)))[0]


@lru_cache(maxsize=1024)
def _key_text(expected: str | Expr) -> str:
    """The key as text, for its seed and messages: printed once per key."""
    return str(expected)


@lru_cache(maxsize=1024)
def _read_key_cached(expected: str, variables: tuple[str, ...], definitions: tuple) -> Expr:
    return read_answer(expected, Context(variables, dict(definitions)))[0]


class _KeyPoints:
    """A key's points (with the key's value at each), why the key had no value where it had none, and
    the values there of what the key side evaluates for a diagnosis (each named mistake, the function
    differentiated): each worked out when first needed and kept, so the answers to one key share them."""

    def __init__(self, points: tuple[tuple[dict, mpmath.mpf], ...], misses: _Misses):
        self.points, self.misses = points, misses
        self._values: dict[tuple[Expr, int], mpmath.mpf | Undefined] = {}

    def value(self, expr: Expr, index: int) -> mpmath.mpf:
        """evaluate(expr, the index-th point), at DIGITS; raises its Undefined (every time) as evaluate does."""
        known = self._values.get((expr, index))
        if known is None:
            try:
                with mpmath.workdps(DIGITS):
                    known = evaluate(expr, self.points[index][0])
            except Undefined as err:
                known = err
            self._values[(expr, index)] = known
        if isinstance(known, Undefined):
            raise type(known)(*known.args)
        return known


@lru_cache(maxsize=1024)
def _samples(key: Expr, variables: tuple[Symbol, ...], positive: bool, kinks: tuple[Expr, ...],
             seed: int) -> _KeyPoints:
    """The points for a key (and the kinks in play), computed once per key, and why the key had no
    value where it had none. The sampler's work is bounded by its fixed number of draws; the
    caller's alarm bounds the rest."""
    with mpmath.workdps(DIGITS):
        sampler = _Sampler(key, variables, positive, seed)
        points = tuple(sampler.points(POINTS, kinks))
        return _KeyPoints(points, sampler.misses)


# mpmath's working precision is one setting for the whole process: checks in threads of one process
# take turns (under the GIL they would anyway), so that none changes it under another.
ONE_AT_A_TIME = threading.RLock()


def clear_key_caches() -> None:
    """Forget every key side worked out so far (keys read, points, values, named mistakes): for tests
    that compare a cold check with a warm one."""
    for cached in (_read_key_cached, _key_expr, _key_text, _key_kinks, _samples, _key_number, _has_float, _mistakes):
        cached.cache_clear()


PREPARE_LIMIT = 10.0  # seconds to work out a key's side before its answers (the bank's or teacher's key)


def prepare(expected: str | Expr, context: Context | None = None, *, mistakes: bool = True) -> None:
    """Work out the key side of a check before any answer waits for it, outside the answers' time
    limits: the key read, its text, its points and values there (or a number key's value), and with
    ``mistakes`` its named mistakes. What is not done within PREPARE_LIMIT is left to the checks."""
    context = context or Context()
    try:
        with ONE_AT_A_TIME, _time_limit(PREPARE_LIMIT):
            key = _read_key(expected, context)
            text = _key_text(expected)
            names = context.variables or tuple(sorted(s.name for s in key.free_symbols))
            if not key.free_symbols:
                _key_number(key)
                _has_float(key)
            else:
                kinks = tuple(dict.fromkeys(_key_kinks(key)))  # an answer's own kinks add to these
                _samples(key, tuple(symbol(v) for v in names), context.positive, kinks, _seed(text, ",".join(names)))
            if mistakes and context.function is not None and context.wrt is not None:
                _mistakes(context.function, symbol(context.wrt))
    except (_OutOfTime, Exception):  # noqa: BLE001 - the checks will meet it and say so
        pass


def check(
    expected: str | Expr, answer: str | Expr, context: Context | None = None, *, time_limit: float = TIME_LIMIT
) -> Verdict:
    """The verdict on ``answer`` against the key ``expected``; never raises for a bad answer (a key
    that cannot be read raises SymgradError)."""
    context = context or Context()
    unreadable: SymgradError | None = None
    try:
        with ONE_AT_A_TIME, _time_limit(time_limit) as deadline:
            try:
                key = _read_key(expected, context)
            except SymgradError as err:
                unreadable = err
            else:
                if not context.variables:  # infer the variables from the key
                    context = Context(tuple(sorted(s.name for s in key.free_symbols)), context.definitions,
                                      context.positive, context.function, context.wrt, context.tolerance)
                return _check(key, answer, context, deadline, _key_text(expected))
    except _OutOfTime:
        return Verdict("undecided", f"the check reached its time limit ({time_limit:g} s)")
    except SymgradError as err:
        return Verdict("invalid", str(err))
    except RecursionError:
        return Verdict("invalid", "the answer is nested too deeply to read")
    except Exception as err:  # noqa: BLE001 - the last guard: a verdict, never a traceback
        return Verdict("undecided", f"symgrad could not finish this check (an internal error: "
                       f"{type(err).__name__}: {err}); please report it")
    raise SymgradError(f"the key cannot be read: {unreadable}") from None


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
    if value == key and not key.has(sympy.I, sympy.zoo, sympy.nan, sympy.oo):
        return Verdict("correct", "correct", None, reading)
    variables = [symbol(v) for v in context.variables]
    if not key.free_symbols and not value.free_symbols:
        return _numeric(value, key, context, reading, _typed_a_decimal(answer), key_text)
    with mpmath.workdps(DIGITS):
        seed = _seed(key_text, ",".join(context.variables))
        kinks = tuple(dict.fromkeys((*_key_kinks(key), *_kinks_of(value))))
        at = _samples(key, tuple(variables), context.positive, kinks, seed)
        samples, misses = list(at.points), at.misses
        if len(samples) < 3:
            return _too_few_points(key, samples, misses, deadline, reading, key_text)
        compared, skipped, known = 0, None, {}
        for index, (point, k) in enumerate(samples):
            try:
                a = known[index] = _at(value, point)
            except (TooLarge, Unsupported) as err:
                skipped = skipped or (point, err)
                continue
            except Undefined as err:
                diagnosis, message = _no_value(err, point, k)
                return Verdict("incorrect", message, diagnosis, reading)
            compared += 1
            if not _agrees(a, k):
                diagnosis, message = _diagnose(value, key, context, samples, at, known)
                return Verdict("incorrect", message, diagnosis, reading)
        if skipped is not None:
            point, err = skipped
            agrees = f"; it agrees with the key at the {compared} other points" if compared else ""
            return Verdict("undecided", f"your answer cannot be evaluated at {_show_point(point)}: {err}{agrees}",
                           None, reading)
    return Verdict("correct", f"correct (agrees with the key at {len(samples)} points)", None, reading)


def _too_few_points(key: Expr, samples: list, misses: _Misses, deadline: float, reading: Reading,
                    key_text: str) -> Verdict:
    """The verdict when the key had a real value at fewer than 3 of the points tried: say why."""
    if time.monotonic() > deadline:
        return Verdict("undecided", "the check reached its time limit before finding enough points", None, reading)
    if misses.unsupported:
        return Verdict("undecided", f"the key cannot be evaluated: {misses.unsupported}", None, reading)
    if not samples and misses.not_real and not misses.too_large:
        k = _number_key(key, key_text, reading) if not key.free_symbols else None
        if isinstance(k, Verdict):
            return k
        point = misses.first_not_real
        with mpmath.workdps(DIGITS):
            _, z = _not_real(key, point)
        it = f" (at {_show_point(point)} it is {_show(z)})" if isinstance(z, mpmath.mpc) else \
            f" (for instance at {_show_point(point)})"
        return Verdict("invalid", f"the key is not a real number at any point tried{it}", None, reading)
    if misses.too_large and not samples:
        return Verdict("undecided", f"the key cannot be evaluated at the points tried: {misses.first_too_large}",
                       None, reading)
    return Verdict("undecided", "the key is undefined at almost every point tried, so no comparison can be made",
                   None, reading)
