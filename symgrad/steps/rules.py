"""Derivative-rule steps for one expression, the way a student is taught to take a derivative.

derive() builds a tree: each node applies one rule to one expression, writing its derivative
with pending d/dx[...] of the parts it still needs, and the children take those parts in turn.
Functions (exp, sin, tanh, sigmoid, relu, max, ...) get their derivative from the gate table, the
same row the backward pass uses; Add, Mul and Pow get the sum, product, quotient and power rules.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy
from sympy import Derivative, Expr, S, Symbol

from ..errors import StagingError
from ..gates import BY_CLASS, FUNCTION_GATES, gate
from ..printing import text, tidy_factors
from ..written import below_bar, negated, plus, put, terms_of, times
from .core import Derivation, Step
from .tidy import simplification


@dataclass(frozen=True)
class DiffNode:
    """One rule applied: d/dx[expr] = rewritten, with ``parts`` deriving each pending derivative."""

    rule: str
    expr: Expr
    rewritten: Expr
    parts: tuple[DiffNode, ...]
    result: Expr
    note: str = ""
    outer: str = ""  # for a chain-rule node, the rule of the outer function


def _pending(expr: Expr, x: Symbol) -> Expr:
    return Derivative(expr, x)


def _node(rule: str, expr: Expr, x: Symbol, rewritten: Expr, subexprs: list[Expr], note: str = "",
          outer: str = "") -> DiffNode:
    """One rule's node: ``rewritten`` is built unevaluated in the rule's order, and its pending derivatives
    are put in their places as the parts are derived (see tidy.put)."""
    rewritten = put(rewritten, {_pending(x, x): S.One})  # dx/dx = 1 needs no step of its own
    parts = tuple(derive(e, x) for e in subexprs if e != x)
    result = put(rewritten, {_pending(p.expr, x): p.result for p in parts})
    return DiffNode(rule, expr, rewritten, parts, result, note, outer)


def _split(expr: Expr, x: Symbol) -> tuple[list[Expr], list[Expr], list[Expr]]:
    """A product's constant factors, and its numerator and denominator factors that depend on x, in the
    order it is written (printing.tidy_factors)."""
    const, numerator, denominator = [], [], []
    factors = list(tidy_factors(expr).args)
    if factors[0].is_Mul and factors[0].args[0].is_Number:  # -x/(x + 1): -1 is a constant factor
        factors = [factors[0].args[0], times(*factors[0].args[1:]), *factors[1:]]
    for f in factors:
        if not f.has(x):
            const.append(f)
        elif below_bar(f) is not None:
            denominator.append(below_bar(f))
        else:
            numerator.append(f)
    return const, numerator, denominator


def _mul(expr: Expr, x: Symbol) -> DiffNode:
    const, numerator, denominator = _split(expr, x)
    if const:  # c·f' with c in front
        c = sympy.Mul(*const)
        rest = times(*numerator, *(sympy.Pow(d, -1, evaluate=False) for d in denominator))
        return _node("constant multiple rule", expr, x, times(c, _pending(rest, x)), [rest],
                     f"(c·f)' = c·f' with c = {text(c)}")
    if numerator and denominator:
        f, g = times(*numerator), times(*denominator)
        top = plus(times(g, _pending(f, x)), times(S.NegativeOne, f, _pending(g, x)))
        rewritten = times(top, sympy.Pow(sympy.Pow(g, 2, evaluate=False), -1, evaluate=False))
        return _node("quotient rule", expr, x, rewritten, [f, g], "(f/g)' = (g·f' − f·g')/g²")
    factors = numerator or [sympy.Pow(d, -1, evaluate=False) for d in denominator]
    terms = [times(*(_pending(f, x) if j == i else f for j, f in enumerate(factors))) for i in range(len(factors))]
    return _node("product rule", expr, x, plus(*terms), factors, "(f·g)' = f'·g + f·g'")


def _add(expr: Expr, x: Symbol) -> DiffNode:
    """Term by term, in the order written; a subtracted term's derivative is subtracted."""
    terms = [t for t in terms_of(expr) if t.has(x)]
    pending, parts, minus = [], [], False
    for t in terms:
        if t.could_extract_minus_sign():
            positive = negated(t)
            pending.append(times(S.NegativeOne, _pending(positive, x)))
            parts.append(positive)
            minus = True
        else:
            pending.append(_pending(t, x))
            parts.append(t)
    if len(terms) < len(expr.args):
        note = "constant terms have derivative 0"
    else:
        note = "(f − g)' = f' − g'" if minus else "(f + g)' = f' + g'"
    return _node("sum rule", expr, x, plus(*pending), parts, note)


def _chain(rule: str, expr: Expr, x: Symbol, outer: Expr, inner: Expr, note: str) -> DiffNode:
    """outer is d expr/d inner; if inner is x itself the rule applies directly, else with the chain rule:
    outer'(inner)·inner'."""
    if inner == x:
        return _node(rule, expr, x, outer, [], note)
    return _node("chain rule", expr, x, times(outer, _pending(inner, x)), [inner],
                 f"outer: {rule} with u = {text(inner)}; times du/d{text(x)}", outer=rule)


def _pow(expr: Expr, x: Symbol) -> DiffNode:
    base, exponent = expr.args
    if not exponent.has(x):
        note = f"d/du u^n = n·u^(n−1) with n = {text(exponent)}"
        lower = base if exponent - 1 == 1 else sympy.Pow(base, exponent - 1, evaluate=exponent - 1 == 0)
        outer = times(exponent, lower) if exponent.is_Integer else exponent * base ** (exponent - 1)
        return _chain("power rule", expr, x, outer, base, note)
    if not base.has(x):
        return _chain("exponential rule", expr, x, expr * sympy.log(base), exponent, "d/du a^u = a^u·ln a")
    rewritten = expr * (_pending(exponent, x) * sympy.log(base) + exponent * _pending(base, x) / base)
    return _node("generalized power rule", expr, x, rewritten, [exponent, base],
                 "d(f^g) = f^g·(g'·ln f + g·f'/f), by logarithmic differentiation")


def _function(expr: Expr, x: Symbol) -> DiffNode:
    row = gate(FUNCTION_GATES[type(expr)])
    if type(expr) in (sympy.Max, sympy.Min):
        args = list(expr.args)  # every argument takes part in the tie-break, in the order shown
        locals_ = row.local(args, expr, ())
        rewritten = sympy.Add(*(d * _pending(a, x) for a, d in zip(args, locals_) if a.has(x)))
        note = "subgradient: at a tie the first argument (in the order shown) takes the gradient"
        return _node(row.rule, expr, x, rewritten, [a for a in args if a.has(x)], note)
    if type(expr) is sympy.Heaviside:
        return _node(row.rule, expr, x, S.Zero, [], "0 everywhere except the jump at 0")
    inner, *params = expr.args  # elu(x, a): a is the function's constant
    if any(p.has(x) for p in params):
        raise StagingError(f"{type(expr).__name__}: only its first argument may depend on {x}")
    (outer,) = row.local((inner,), expr, tuple(params))
    u = Symbol("u")
    function_row = BY_CLASS.get(type(expr))
    if function_row is not None and function_row.formula and not params:
        note = function_row.formula  # the rule's formula as the row states it: d/du arctan u = 1/(1 + u^2)
    else:
        (local_u,) = row.local((u,), expr.func(u, *params), tuple(params))
        note = f"d/du {text(expr.func(u, *params))} = {text(local_u)}"
    return _chain(row.rule, expr, x, outer, inner, note)


_HANDLERS = {"is_Add": _add, "is_Mul": _mul, "is_Pow": _pow}  # a written sum or product is one too


def derive(expr: Expr, x: Symbol) -> DiffNode:
    """The rule tree of d expr / dx."""
    if not expr.has(x):
        return DiffNode("constant rule", expr, S.Zero, (), S.Zero)
    if expr == x:
        return DiffNode("power rule", expr, S.One, (), S.One, "d/dx x = 1")
    handler = next((h for kind, h in _HANDLERS.items() if getattr(expr, kind)), None)
    if handler is not None:
        return handler(expr, x)
    if type(expr) in FUNCTION_GATES:
        return _function(expr, x)
    raise StagingError(f"no derivative rule for '{expr.func.__name__}' in {text(expr)}")


# Rules said only when nothing else is used: "power rule" for d/dx 4x^2 = 8x, as a teacher says it.
_UNSAID_BESIDE_OTHERS = ("constant multiple rule", "constant rule")


def _applied(node: DiffNode) -> list[str]:
    """The rules of the tree in the order they are applied: a chain's outer rule before the chain rule."""
    own = [node.outer, node.rule] if node.outer else [node.rule]
    return own + [r for p in node.parts for r in _applied(p)]


def rules_name(node: DiffNode) -> str:
    """The name of a derivative taken in one step, listing the rules used: "sum and power rules"."""
    used = list(dict.fromkeys(_applied(node)))
    said = [r for r in used if r not in _UNSAID_BESIDE_OTHERS] or used[:1]
    if len(said) == 1:
        return said[0]
    stems = [r.partition(" rule")[0] for r in said]  # "max rule (subgradient)" -> "max"
    return f"{', '.join(stems[:-1])} and {stems[-1]} rules"


def _flatten(node: DiffNode, x: Symbol, depth: int = 0) -> list[Step]:
    steps = [Step(node.rule, _pending(node.expr, x), node.rewritten, node.note, depth=depth)]
    for part in node.parts:
        steps += _flatten(part, x, depth + 1)
    return steps


def diff_steps(expr: Expr, x: Symbol, *, simplify: bool = True) -> Derivation:
    """Steps of d expr/dx: each rule, then the parts put together, then a simpler form if there is one."""
    tree = derive(expr, x)
    steps = _flatten(tree, x)
    if tree.parts:
        steps.append(Step("substitution", _pending(expr, x), tree.result,
                          "put the parts' derivatives into the first line"))
    result = tree.result
    if simplify:
        last, result = simplification(result)
        steps += last
    variables = tuple(sorted(expr.free_symbols, key=lambda s: s.name))
    title = f"d/d{x.name} of {text(expr)}"
    return Derivation(title, tuple(steps), result, variables, partial=len(variables) > 1,
                      expression=expr, wrt=(x.name,), claim=_pending(expr, x)).checked()
