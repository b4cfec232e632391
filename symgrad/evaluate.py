"""Fast, safe numeric evaluation of a SymPy tree with mpmath: one row per node type, no code generation.

Used by answer checking, which evaluates a key and an answer at many points in 40-digit
arithmetic. A point where a value is not a finite real number raises Undefined, or one of its
kinds: NotReal (sqrt(-2), log(-1), (-8)^(1/3): a complex value), TooLarge (a value that cannot be
computed within the time bound) and Unsupported (a node type with no row in the table).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache

import mpmath
import sympy

from .functions import DerivativeAt
from .gates import FUNCTIONS as FUNCTION_ROWS
from .written import WrittenAdd, WrittenMul


class Undefined(Exception):  # noqa: N818 - reads as a verdict on a point: "undefined"
    """The expression has no finite real value at this point."""


class NotReal(Undefined):
    """The value here is a complex number (``value``, when known), not a real one."""

    def __init__(self, reason: str, value: mpmath.mpc | None = None):
        super().__init__(reason)
        self.value = value


class TooLarge(Undefined):
    """The value here is too large to compute within the time bound (exp of 2^40, ...)."""


class Unsupported(Undefined):
    """A node type the table has no row for: a gap in symgrad, not a property of the point."""


def _real(value):
    if isinstance(value, mpmath.mpc):
        if value.imag != 0:
            raise NotReal("not a real number", value)
        value = value.real
    if not mpmath.isfinite(value):
        raise Undefined("not finite")
    return value


# Past these sizes mpmath would need big-integer arithmetic that no alarm can interrupt:
# a value that large is "undefined" for checking, as an overflow is in floating point.
_HUGE_EXPONENT = 40  # exp(x) for |x| < 2^40
_HUGE_ANGLE = 4096  # sin(x) for |x| < 2^4096
# exp, sin, ... of x magnify x's rounding error (relative 2^-prec) by |x|: past 2^(prec - 90) the
# value has fewer than 27 correct digits, too few to compare at 1e-25 (sin(10^20) at 40 digits).
_GUARD_BITS = 90


def _bounded(function, limit):
    def call(x):
        bound = min(limit, mpmath.mp.prec - _GUARD_BITS)
        if mpmath.mag(x) > bound:
            raise TooLarge(f"a function of a number above 2^{bound} cannot be evaluated to enough digits")
        return function(x)

    return call


def _pow(base, exponent):
    if base == 0 and exponent < 0:
        raise Undefined("division by zero")
    if mpmath.isint(exponent) and abs(exponent) <= 64 and (base == 0 or abs(mpmath.mag(base)) <= 2**20):
        return base**exponent  # a small whole power of a number of moderate size: far below the bound
    if base < 0 and not mpmath.isint(exponent):
        raise NotReal("a negative number to a fractional power", mpmath.power(mpmath.mpc(base), exponent))
    if base != 0 and mpmath.mag(exponent) + mpmath.mag(mpmath.log(abs(base)) if abs(base) != 1 else 0) > \
            _HUGE_EXPONENT:
        raise TooLarge("a power too large to evaluate")
    return base**exponent


def _log(x):
    if x < 0:
        raise NotReal("the logarithm of a negative number", mpmath.log(mpmath.mpc(x)))
    if x == 0:
        raise Undefined("the logarithm of 0")
    return mpmath.log(x)


def _heaviside(u, h0=None):
    h0 = mpmath.mpf(1) / 2 if h0 is None else h0
    return mpmath.mpf(1) if u > 0 else (mpmath.mpf(0) if u < 0 else h0)


# How to combine the values of a node's arguments: the operators here, every function from its row in
# gates.FUNCTIONS (its mpmath evaluator, guarded by the size of its argument where the row says it grows),
# and the few functions whose evaluation needs more than a formula (log's message, the indicator's jump).
_GUARDS: dict[str, Callable] = {
    "exponential": lambda f: _bounded(f, _HUGE_EXPONENT),
    "periodic": lambda f: _bounded(f, _HUGE_ANGLE),
    "": lambda f: f,
}
_OPS: dict[type, Callable] = {
    sympy.Add: lambda *a: mpmath.fsum(a),
    sympy.Mul: lambda *a: mpmath.fprod(a),
    WrittenAdd: lambda *a: mpmath.fsum(a),  # a sum or product kept in its written order
    WrittenMul: lambda *a: mpmath.fprod(a),
    sympy.Pow: _pow,
    **{f.cls: _GUARDS[f.growth](f.mp) for f in FUNCTION_ROWS if f.gate},
    sympy.log: _log,
    sympy.Max: lambda *a: max(a),
    sympy.Min: lambda *a: min(a),
    sympy.Heaviside: _heaviside,
}


def _piecewise(node: sympy.Piecewise, point: Mapping[sympy.Symbol, mpmath.mpf]) -> mpmath.mpf:
    """The value of the first branch whose condition holds (elu'(u) is exp(u) for u <= 0, else 1)."""
    for expr, condition in node.args:
        if _holds(condition, point):
            return evaluate(expr, point)
    raise Undefined("no branch of the piecewise function holds")


_RELATIONS: dict[type, Callable] = {
    sympy.LessThan: lambda a, b: a <= b, sympy.StrictLessThan: lambda a, b: a < b,
    sympy.GreaterThan: lambda a, b: a >= b, sympy.StrictGreaterThan: lambda a, b: a > b,
    sympy.Eq: lambda a, b: a == b, sympy.Ne: lambda a, b: a != b,
}


def _derivative_at(node: DerivativeAt, point: Mapping[sympy.Symbol, mpmath.mpf]) -> mpmath.mpf:
    """d/dt g(t) at t = a: a central difference whose step h = 2^-(p/2 + 10) for p bits (times |a| from
    1 on) makes the truncation error (h^2 g'''/6) 2^-(p + 20) relative, evaluated with p/2 + 30 more
    bits so that rounding (2^-(3p/2 + 30)/h) stays as far below the working precision's last digit."""
    g, t, a = node.args
    at = evaluate(a, point)
    bits = mpmath.mp.prec
    with mpmath.workprec(bits + bits // 2 + 30):
        h = mpmath.ldexp(max(1, abs(at)), -(bits // 2 + 10))
        ahead, behind = (evaluate(g, {**point, t: at + step}) for step in (h, -h))
        slope = (ahead - behind) / (2 * h)
    return +slope


def _holds(condition: sympy.Basic, point: Mapping[sympy.Symbol, mpmath.mpf]) -> bool:
    if condition is sympy.true or condition is sympy.false:
        return bool(condition)
    if type(condition) in _RELATIONS:
        return _RELATIONS[type(condition)](*(evaluate(side, point) for side in condition.args))
    if isinstance(condition, (sympy.And, sympy.Or, sympy.Not)):
        combine = {sympy.And: all, sympy.Or: any, sympy.Not: lambda c: not next(iter(c))}[type(condition)]
        return combine(_holds(c, point) for c in condition.args)
    raise Unsupported(f"symgrad cannot evaluate the condition {type(condition).__name__}")


def _no_row(node: sympy.Basic, args: list[mpmath.mpf]) -> mpmath.mpf:
    """A node with no row: the derivative of a jump (DiracDelta, 0 but at the jump) or a constant."""
    if type(node) is sympy.DiracDelta:
        if args[0] == 0:
            raise Undefined("the derivative of a jump, at the jump")
        return mpmath.mpf(0)
    return _constant(node)


def _constant(node: sympy.Basic) -> mpmath.mpf:
    """A node with no row: a constant other than pi and e, or a gap in the table (Unsupported)."""
    if node is sympy.I:
        raise NotReal("the imaginary unit", mpmath.mpc(0, 1))
    if node in (sympy.zoo, sympy.oo, sympy.nan, sympy.S.NegativeInfinity):
        raise Undefined("infinite or undefined")
    if isinstance(node, sympy.NumberSymbol):  # EulerGamma, GoldenRatio, Catalan, ...
        return mpmath.mpf(node.evalf(mpmath.mp.dps + 5)._mpf_)
    raise Unsupported(f"symgrad cannot evaluate {type(node).__name__} (it has no row in the evaluation table)")


def evaluate(expr: sympy.Expr, point: Mapping[sympy.Symbol, mpmath.mpf]) -> mpmath.mpf:
    """The value of ``expr`` at ``point`` at the current mpmath precision; Undefined if there is none."""
    return _program(expr).run(point)[-1]


def evaluate_scaled(expr: sympy.Expr, point: Mapping[sympy.Symbol, mpmath.mpf]) -> tuple[mpmath.mpf, mpmath.mpf]:
    """(the value, the largest magnitude among the values of its parts): rounding errors are of the
    order of 2^-prec times the latter, so a value below it by that factor cannot be told from 0."""
    values = _program(expr).run(point)
    return values[-1], max(abs(v) for v in values)


# An expression is evaluated at many points (a check's 8, a derivation's 4, a central difference's 2):
# its tree is walked once into a program, one instruction per distinct node with its arguments before
# it, and each point runs the program's list.
_SYMBOL, _CONSTANT, _OP, _WHOLE, _NO_ROW = range(5)


class _Program:
    """One expression as instructions (kind, what, argument positions), run in order at a point."""

    def __init__(self, expr: sympy.Expr):
        self.code: list[tuple[int, object, tuple[int, ...]]] = []
        self.constants: dict[int, list] = {}  # by precision: each constant's value, in order
        self._numbers: list[tuple[int, sympy.Basic]] = []
        where: dict[int, int] = {}
        stack: list[tuple[sympy.Basic, bool]] = [(expr, False)]
        while stack:  # iterative post-order (last argument first): deep trees do not hit the recursion limit
            node, ready = stack.pop()
            if id(node) in where:
                continue
            if node.is_Symbol:
                self._emit(where, node, _SYMBOL, node)
            elif node.is_Rational or node.is_Float or node is sympy.E or node is sympy.pi:
                self._numbers.append((len(self.code), node))
                self._emit(where, node, _CONSTANT, len(self._numbers) - 1)
            elif type(node) is sympy.Piecewise:  # only the branch that holds is evaluated
                self._emit(where, node, _WHOLE, lambda point, node=node: _piecewise(node, point))
            elif type(node) is DerivativeAt:  # by a central difference
                self._emit(where, node, _WHOLE, lambda point, node=node: _derivative_at(node, point))
            elif not ready:
                stack.append((node, True))
                stack.extend((arg, False) for arg in node.args)
            else:
                args = tuple(where[id(a)] for a in node.args)
                op = _OPS.get(type(node))
                self._emit(where, node, _OP if op else _NO_ROW, op or node, args)
        self.last = where[id(expr)]

    def _emit(self, where: dict, node: sympy.Basic, kind: int, what: object, args: tuple[int, ...] = ()) -> None:
        where[id(node)] = len(self.code)
        self.code.append((kind, what, args))

    def _constants(self) -> list:
        prec = mpmath.mp.prec
        if prec not in self.constants:
            self.constants[prec] = [_number(n) for _, n in self._numbers]
        return self.constants[prec]

    def run(self, point: Mapping[sympy.Symbol, mpmath.mpf]) -> list[mpmath.mpf]:
        """Every instruction's value at the point (the expression's is at ``last``, also the end)."""
        constants = self._constants() if self._numbers else ()
        values: list = []
        put = values.append
        for kind, what, args in self.code:
            if kind == _OP:
                try:
                    put(_real(what(*[values[i] for i in args])))
                except ZeroDivisionError:
                    raise Undefined("division by zero") from None
                except OverflowError:
                    raise TooLarge("a value too large to evaluate") from None
                except ValueError as err:
                    raise Undefined(str(err)) from None
            elif kind == _SYMBOL:
                if what not in point:
                    raise Undefined(f"no value for {what}")
                put(point[what])
            elif kind == _CONSTANT:
                put(constants[what])
            elif kind == _WHOLE:
                put(what(point))
            else:
                put(_no_row(what, [values[i] for i in args]))
        return values


def _number(node: sympy.Basic) -> mpmath.mpf:
    if node.is_Rational:
        return mpmath.mpf(node.p) / node.q
    if node.is_Float:
        return mpmath.mpf(node._mpf_)
    if node is sympy.E:
        return +mpmath.e
    return +mpmath.pi


@lru_cache(maxsize=4096)
def _program(expr: sympy.Expr) -> _Program:
    return _Program(expr)
