"""Expressions as written: sums and products that keep the order a person or a rule wrote them in.

SymPy evaluates every sum and product into a canonical order, so ``(x + y)z + x`` comes back as
``x + z*(x + y)`` and the product rule's ``f'·g + f·g'`` as whatever order its factors sort in.
A ``WrittenAdd`` or ``WrittenMul`` is built unevaluated and says so by its type: the printers
(printing.py) show its arguments in their order, every other sum or product in SymPy's. The
mathematics is unchanged: SymPy treats them as sums and products, and ``plain`` gives the canonical
expression back. ``put`` substitutes without evaluating, so a derivation's line keeps its order
when the parts' derivatives are put in.
"""

from __future__ import annotations

from collections.abc import Mapping

import sympy
from sympy import Add, Expr, Mul, S
from sympy.matrices import MatrixBase


class WrittenAdd(Add):
    """A sum printed in the order of its terms."""


class WrittenMul(Mul):
    """A product printed in the order of its factors."""


_PLAIN = {WrittenAdd: Add, WrittenMul: Mul}


def plus(*terms: Expr) -> Expr:
    """terms[0] + terms[1] + ..., in this order (one term is itself, none is 0)."""
    if not terms:
        return S.Zero
    return terms[0] if len(terms) == 1 else WrittenAdd(*terms, evaluate=False)


def times(*factors: Expr) -> Expr:
    """factors[0]·factors[1]·..., in this order (one factor is itself, none is 1)."""
    if not factors:
        return S.One
    return factors[0] if len(factors) == 1 else WrittenMul(*factors, evaluate=False)


def is_written(expr: sympy.Basic) -> bool:
    return isinstance(expr, (WrittenAdd, WrittenMul))


def plain(expr: Expr) -> Expr:
    """The same expression evaluated by SymPy: canonical order, numbers and like terms collected."""
    if isinstance(expr, MatrixBase):
        return expr.applyfunc(plain)
    if not isinstance(expr, sympy.Basic) or not expr.has(WrittenAdd, WrittenMul):
        return expr  # nothing written: SymPy's own expression, untouched
    return _PLAIN.get(type(expr), expr.func)(*(plain(a) for a in expr.args))


def put(expr: Expr, parts: Mapping[Expr, Expr]) -> Expr:
    """``expr`` with each key of ``parts`` replaced by its value, keeping the written order; a factor 1
    left by the substitution is dropped and a factor 0 clears its product (2·dx/dx is 2)."""
    if expr in parts:
        return parts[expr]
    if not expr.args or not expr.has(*parts):
        return expr
    if expr.is_Add:
        return plus(*[t for t in (put(a, parts) for a in expr.args) if t != 0])
    if expr.is_Mul:
        factors = [put(a, parts) for a in expr.args]
        if any(f == 0 for f in factors):
            return S.Zero
        return times(*[f for f in factors if f != 1])
    if expr.is_Pow:
        return sympy.Pow(put(expr.base, parts), put(expr.exp, parts), evaluate=False)
    return expr.xreplace(dict(parts))


def negated(term: Expr) -> Expr:
    """-term as written: -(-3 sqrt(x)) is 3 sqrt(x) with its factors in their order."""
    if term.is_Mul and term.args[0].is_Number and term.args[0].is_negative:
        rest = ([-term.args[0]] if term.args[0] != -1 else []) + list(term.args[1:])
        return times(*rest)
    return -term
