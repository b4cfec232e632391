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
    """terms[0] + terms[1] + ..., in this order (one term is itself, none is 0); a term that is itself a
    sum is written out in line, as a sum added needs no brackets: (g·f' − f·g') with f' = 1 and
    g = x^2 + 1 is x^2 + 1 − f·g', not (x^2 + 1) − f·g'."""
    if not terms:
        return S.Zero
    if len(terms) == 1:
        return terms[0]
    in_line = [t for term in terms for t in (terms_of(term) if term.is_Add else [term])]
    return WrittenAdd(*in_line, evaluate=False)


def terms_of(total: Expr) -> list[Expr]:
    """A sum's terms in the order they are printed: as written, else in SymPy's order."""
    return list(total.args) if is_written(total) else list(total.as_ordered_terms())


def below_bar(factor: Expr) -> Expr | None:
    """What a factor puts below a fraction bar (x^2 + 1 for 1/(x^2 + 1), x^2 for x^(-2)), or None for
    a factor above it."""
    if not (factor.is_Pow and factor.is_commutative and factor.exp.is_Number and factor.exp.is_negative):
        return None
    return factor.base if factor.exp == -1 else sympy.Pow(factor.base, -factor.exp, evaluate=False)


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
    if not isinstance(expr, sympy.Basic) or not (expr.has(WrittenAdd, WrittenMul) or _written_power(expr)):
        return expr  # nothing written: SymPy's own expression, untouched
    return _PLAIN.get(type(expr), expr.func)(*(plain(a) for a in expr.args))


def _written_power(expr: sympy.Basic) -> bool:
    """e^x as typed (Pow(E, x) unevaluated), which SymPy evaluates to exp(x)."""
    return any(p.base is S.Exp1 for p in expr.atoms(sympy.Pow))


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
        return _signed([f for f in factors if f != 1])
    if expr.is_Pow:
        return sympy.Pow(put(expr.base, parts), put(expr.exp, parts), evaluate=False)
    return expr.xreplace(dict(parts))


def _signed(factors: list[Expr]) -> Expr:
    """The product of ``factors`` with its signs in front: the minus of a factor put in (x·(-sin(x)),
    -3·(-sin(x)), -(x)·(-2)) goes to the front and two minuses cancel, so a line reads
    cos(x) + x sin(x), never cos(x) - x(-sin(x)) (no double negatives)."""
    signs = [f for f in factors if _minus(f)]
    if not signs or (len(signs) == 1 and factors[0] is signs[0]):
        return times(*factors)  # no sign, or only one in front already
    unsigned = [negated(f) if _minus(f) else f for f in factors]
    unsigned = [f for f in unsigned if f != 1]
    if len(signs) % 2 == 0:
        return times(*unsigned)
    first = unsigned[0] if unsigned else S.One
    if first.is_Number:
        return times(-first, *unsigned[1:])
    if first.is_Mul and first.args[0].is_Number:  # 2 cos(x)·(-sin(x)) is -2 cos(x) sin(x)
        return times(-first.args[0], *first.args[1:], *unsigned[1:])
    return times(S.NegativeOne, *unsigned)


def _minus(factor: Expr) -> bool:
    """A factor written with a minus sign in front: -3, -sin(x), -(x + 1), -sin(x)·1(x > 0)."""
    if factor.is_Number:
        return bool(factor.is_negative)
    return bool(factor.is_Mul and _minus(factor.args[0]))


def negated(term: Expr) -> Expr:
    """-term as written: -(-3 sqrt(x)) is 3 sqrt(x) with its factors in their order."""
    if term.is_Mul and term.args[0].is_Number and term.args[0].is_negative:
        rest = ([-term.args[0]] if term.args[0] != -1 else []) + list(term.args[1:])
        return times(*rest)
    if term.is_Mul and _minus(term.args[0]):  # (-sin(x))·1(x > 0) is sin(x)·1(x > 0)
        return times(negated(term.args[0]), *term.args[1:])
    return -term
