"""Fast, safe numeric evaluation of a SymPy tree with mpmath: one row per node type, no code generation.

Used by answer checking, which evaluates a key and an answer at many points in 40-digit
arithmetic. A point where a value is not a finite real number raises Undefined, or one of its
kinds: NotReal (sqrt(-2), log(-1), (-8)^(1/3): a complex value), TooLarge (a value that cannot be
computed within the time bound) and Unsupported (a node type with no row in the table).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import mpmath
import sympy

from .gates import FUNCTIONS as FUNCTION_ROWS


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
    return _values(expr, point)[id(expr)]


def evaluate_scaled(expr: sympy.Expr, point: Mapping[sympy.Symbol, mpmath.mpf]) -> tuple[mpmath.mpf, mpmath.mpf]:
    """(the value, the largest magnitude among the values of its parts): rounding errors are of the
    order of 2^-prec times the latter, so a value below it by that factor cannot be told from 0."""
    memo = _values(expr, point)
    return memo[id(expr)], max(abs(v) for v in memo.values())


def _values(expr: sympy.Expr, point: Mapping[sympy.Symbol, mpmath.mpf]) -> dict[int, mpmath.mpf]:
    """The value of every node of ``expr``, by id."""
    memo: dict[int, mpmath.mpf] = {}
    stack: list[tuple[sympy.Basic, bool]] = [(expr, False)]
    while stack:  # iterative post-order: deep trees do not hit Python's recursion limit
        node, ready = stack.pop()
        key = id(node)
        if key in memo:
            continue
        if node.is_Symbol:
            if node not in point:
                raise Undefined(f"no value for {node}")
            memo[key] = point[node]
        elif node.is_Rational:
            memo[key] = mpmath.mpf(node.p) / node.q
        elif node.is_Float:
            memo[key] = mpmath.mpf(node._mpf_)
        elif node is sympy.E:
            memo[key] = mpmath.e
        elif node is sympy.pi:
            memo[key] = +mpmath.pi
        elif not ready:
            if type(node) is sympy.Piecewise:  # only the branch that holds is evaluated
                memo[key] = _piecewise(node, point)
                continue
            stack.append((node, True))
            stack.extend((arg, False) for arg in node.args)
        else:
            op = _OPS.get(type(node))
            if op is None:
                memo[key] = _no_row(node, [memo[id(a)] for a in node.args])
                continue
            try:
                memo[key] = _real(op(*(memo[id(a)] for a in node.args)))
            except ZeroDivisionError:
                raise Undefined("division by zero") from None
            except OverflowError:
                raise TooLarge("a value too large to evaluate") from None
            except ValueError as err:
                raise Undefined(str(err)) from None
    return memo
