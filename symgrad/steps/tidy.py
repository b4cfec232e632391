"""The final form of a derivation, as a teacher writes the model answer.

The last line of a derivation is its model answer, chosen by a small policy (TIDY_FORMS): the line
as written (when nothing is left to collect), the evaluated result and what SymPy's factor,
together, cancel, factor_terms and sqf (a square-free factorization, which keeps x^2 - 1 whole)
make of it are the candidates, and the shortest printed one wins (length of the people's text, ties
to the earlier form, so the written order stays when no form is shorter), except that a fraction
within a fraction is chosen only when every form has one: 8(5x^3 - x - 1)(15x^2 - 1) rather than
600x^5 - 160x^3 - ..., -2(x^2 + 1)/(x^2 - 1)^2 rather than (-2x^2 - 2)/(x^4 - 2x^2 + 1), one common
denominator where there is one, common factors taken out, never a double negative (SymPy's
evaluated forms have none). Every candidate is the same function: the step that shows it is checked
like any other.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy
from sympy import Expr, S
from sympy.matrices import MatrixBase

from ..printing import text
from ..written import is_written, plain, plus
from .core import Step

TIDY_FORMS: tuple[tuple[str, Callable[[Expr], Expr]], ...] = (
    ("collect numbers and like terms", lambda e: e),
    ("factor", sympy.factor),
    ("over a common denominator", sympy.together),
    ("cancel", lambda e: sympy.cancel(e) if _has_fraction(e) else sympy.expand(e)),  # a polynomial: the same, faster
    ("take out common factors", sympy.factor_terms),
    ("factor without splitting", lambda e: sympy.sqf(sympy.cancel(e))),  # -2(x^2 + 1)/(x^2 - 1)^2
)


def simplification(result: Expr) -> tuple[list[Step], Expr]:
    """The last step of a derivation, if the tidy form differs from ``result`` as printed, and the answer."""
    final, how = tidy(result)
    if text(final) == text(result):
        return [], result
    return [Step("simplification", result, final, how)], final


def tidy(expr: Expr) -> tuple[Expr, str]:
    """The model answer's form of ``expr`` and the name of the form chosen (see the module doc). A line
    with nothing left to collect stays as written unless a form that is not just a reordering of it is
    shorter."""
    evaluated = plain(expr)
    if collected(expr):
        best, best_name = expr, "as written"
    else:
        best, best_name = evaluated, TIDY_FORMS[0][0]
    best_measure = _measure(best)
    for name, form in TIDY_FORMS[1:]:
        if not _worth_trying(name, evaluated):
            continue
        try:
            candidate = form(evaluated)
        except (sympy.PolynomialError, NotImplementedError, ValueError, TypeError):
            continue
        if plain(candidate) == evaluated and best is expr:
            continue  # the written line in another order
        measure = _measure(candidate)
        if measure < best_measure:
            best, best_name, best_measure = candidate, name, measure
    if best_name == "over a common denominator" and not _has_fraction(best):
        best_name = "take out common factors"  # together() with no denominator to share: sigma(x y)(... + 1(x >= y))
    return (best if best is expr else positive_first(best)), best_name


def _worth_trying(name: str, expr: Expr) -> bool:
    """Whether a form can change ``expr`` at all (each costs a class build dearly where it cannot):
    factoring needs a polynomial or rational function (no sin, exp, sigma: those have common factors
    taken out by factor_terms), a common denominator needs a denominator, cancelling (which expands a
    polynomial) either."""
    rational = not expr.atoms(sympy.Function) and not any(
        p.is_Pow and not p.exp.is_Integer for p in sympy.preorder_traversal(expr))
    fraction = any(_below(f) and f.free_symbols for f in sympy.preorder_traversal(expr))
    return {"factor": rational, "factor without splitting": rational and fraction,
            "over a common denominator": fraction, "cancel": fraction or rational}.get(name, True)


def positive_first(expr: Expr) -> Expr:
    """``expr`` with each sum that SymPy would print starting with a minus started by its first term
    that has none: cos(x)^2 - sin(x)^2, not -sin(x)^2 + cos(x)^2 (the other terms keep their order)."""
    if not expr.args or isinstance(expr, MatrixBase):
        return expr
    args = [positive_first(a) for a in expr.args]
    if expr.is_Add and not is_written(expr):
        terms = [positive_first(t) for t in expr.as_ordered_terms()]
        first = next((i for i, t in enumerate(terms) if not t.could_extract_minus_sign()), 0)
        if first:
            return plus(terms[first], *terms[:first], *terms[first + 1:])
    if args == list(expr.args):
        return expr
    if expr.is_Add or expr.is_Mul or expr.is_Pow:
        return expr.func(*args, evaluate=False)
    return expr.func(*args)


def _measure(expr: Expr) -> tuple[bool, int]:
    """The policy's measure, smaller is better: a fraction within a fraction last, then the length of the
    people's text."""
    return compound(expr), len(text(expr))


def compound(expr: Expr) -> bool:
    """A fraction within a fraction: a quotient whose numerator or denominator is a sum with a fraction
    in it (x(x cos(x) - x e^x sin(x)/(e^x + 1))/(e^x + 1)); a teacher puts it over one denominator."""
    for node in sympy.preorder_traversal(expr):
        if node.is_Mul and any(_below(f) for f in node.args):
            sums = [f.base if f.is_Pow else f for f in node.args]
            if any(s.is_Add and any(_has_fraction(t) for t in s.args) for s in sums):
                return True
    return False


def _below(factor: Expr) -> bool:
    """A factor written below the fraction bar: 1/g, g^(-2), 1/sqrt(x)."""
    return bool(factor.is_Pow and factor.exp.is_number and factor.exp.is_negative) or (
        factor.is_Rational and factor.q != 1)


def _has_fraction(term: Expr) -> bool:
    return any(_below(f) for f in sympy.preorder_traversal(term))


def collected(expr: Expr) -> bool:
    """No work left undone in a written line: in each product (read as printed, nested products in line)
    at most one number and only in front, no factor 1, no base twice (4·2 f1, cos(x^2)·2x, -(-x),
    4x^2 x); no term 0, no power 1."""
    for node in sympy.preorder_traversal(expr):
        if node.is_Mul:
            factors = _in_line(node)
            numbers = [i for i, f in enumerate(factors) if f.is_Number]
            bases = [f.base if f.is_Pow else f for f in factors if not f.is_Number]
            if numbers not in ([], [0]) or S.One in factors or len(set(bases)) < len(bases):
                return False
        elif node.is_Add and S.Zero in node.args:
            return False
        elif node.is_Pow and node.exp == 1:
            return False
    return True


def _in_line(product: Expr) -> list[Expr]:
    """A product's factors as printed one after another: 2x·sin(x) is 2, x, sin(x)."""
    return [f for a in product.args for f in (_in_line(a) if a.is_Mul else [a])]
