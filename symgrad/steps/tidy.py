"""The final form of a derivation, as a teacher writes the model answer.

The last line of a derivation is its model answer, chosen by a small policy (TIDY_FORMS): the line
as written (when nothing is left to collect), the evaluated result and what SymPy's factor,
together, cancel and factor_terms make of it are the candidates, and the shortest printed one wins
(length of the people's text, ties to the earlier form, so the written order stays when no form is
shorter): 8(15x^2 - 1)(5x^3 - x - 1) rather than 600x^5 - 160x^3 - ..., one common denominator where
there is one, common factors taken out, never a double negative (SymPy's evaluated forms have
none). Every candidate is the same function: the step that shows it is checked like any other.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy
from sympy import Expr, S

from ..printing import text
from ..written import plain

TIDY_FORMS: tuple[tuple[str, Callable[[Expr], Expr]], ...] = (
    ("collect numbers and like terms", lambda e: e),
    ("factor", sympy.factor),
    ("over a common denominator", sympy.together),
    ("cancel", sympy.cancel),
    ("take out common factors", sympy.factor_terms),
)


def tidy(expr: Expr) -> tuple[Expr, str]:
    """The model answer's form of ``expr`` and the name of the form chosen (see the module doc). A line
    with nothing left to collect stays as written unless a form that is not just a reordering of it is
    shorter."""
    evaluated = plain(expr)
    if collected(expr):
        best, best_name, best_length = expr, "as written", len(text(expr))
    else:
        best, best_name, best_length = evaluated, TIDY_FORMS[0][0], len(text(evaluated))
    for name, form in TIDY_FORMS[1:]:
        try:
            candidate = form(evaluated)
        except (sympy.PolynomialError, NotImplementedError, ValueError, TypeError):
            continue
        if plain(candidate) == evaluated and best is expr:
            continue  # the written line in another order
        length = len(text(candidate))
        if length < best_length:
            best, best_name, best_length = candidate, name, length
    return best, best_name


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
