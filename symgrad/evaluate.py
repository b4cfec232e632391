"""Fast, safe numeric evaluation of a SymPy tree with mpmath: one row per node type, no code generation.

Used by answer checking, which evaluates a key and an answer at many points in 40-digit
arithmetic. A point where a value is not a finite real number raises Undefined.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import mpmath
import sympy

from .functions import relu, sigmoid


class Undefined(Exception):
    """The expression has no finite real value at this point."""


def _real(value):
    if isinstance(value, mpmath.mpc):
        if value.imag != 0:
            raise Undefined("not real")
        value = value.real
    if not mpmath.isfinite(value):
        raise Undefined("not finite")
    return value


def _pow(base, exponent):
    if base == 0 and exponent < 0:
        raise Undefined("division by zero")
    if base < 0 and not mpmath.isint(exponent):
        raise Undefined("a negative number to a fractional power")
    return base**exponent


def _log(x):
    if x <= 0:
        raise Undefined("log of a number <= 0")
    return mpmath.log(x)


def _heaviside(u, h0=mpmath.mpf(1) / 2):
    return mpmath.mpf(1) if u > 0 else (mpmath.mpf(0) if u < 0 else h0)


def _sign(u):
    return mpmath.mpf(mpmath.sign(u))


# One row per SymPy node type: how to combine the values of its arguments.
_OPS: dict[type, Callable] = {
    sympy.Add: lambda *a: mpmath.fsum(a),
    sympy.Mul: lambda *a: mpmath.fprod(a),
    sympy.Pow: _pow,
    sympy.exp: mpmath.exp,
    sympy.log: _log,
    sympy.sin: mpmath.sin,
    sympy.cos: mpmath.cos,
    sympy.tan: mpmath.tan,
    sympy.sinh: mpmath.sinh,
    sympy.cosh: mpmath.cosh,
    sympy.tanh: mpmath.tanh,
    sympy.sech: mpmath.sech,
    sigmoid: lambda u: 1 / (1 + mpmath.exp(-u)),
    relu: lambda u: max(mpmath.mpf(0), u),
    sympy.Abs: abs,
    sympy.Max: lambda *a: max(a),
    sympy.Min: lambda *a: min(a),
    sympy.Heaviside: _heaviside,
    sympy.sign: _sign,
}


def evaluate(expr: sympy.Expr, point: Mapping[sympy.Symbol, mpmath.mpf]) -> mpmath.mpf:
    """The value of ``expr`` at ``point`` at the current mpmath precision; Undefined if there is none."""
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
            stack.append((node, True))
            stack.extend((arg, False) for arg in node.args)
        else:
            op = _OPS.get(type(node))
            if op is None:
                raise Undefined(f"cannot evaluate {type(node).__name__}")
            try:
                memo[key] = _real(op(*(memo[id(a)] for a in node.args)))
            except (ZeroDivisionError, ValueError, OverflowError) as err:
                raise Undefined(str(err)) from None
    return memo[id(expr)]
