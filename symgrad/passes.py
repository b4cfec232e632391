"""Forward and backward passes over a Graph: exact SymPy values where the inputs are exact, floats always.

The forward pass evaluates each stage's definition at its arguments' values. The backward pass
starts from d out/d out = 1 and, for each stage in reverse order, adds upstream gradient times
local gradient into each argument (the seeds' ``dx +=``). Floats come from a parallel pass at
30 significant digits, so they are right to double precision however deep the graph is.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction

import sympy
from sympy import Expr, Float, S

from .errors import EvaluationError
from .gates import gate
from .graph import Graph
from .printing import text as people_text
from .printing import thirty_digits

PRECISION = 30  # digits for the float pass
EXACT_LIMIT = 200  # above this many tree nodes an exact value is no longer kept (it would not be read)

Number = int | float | Fraction | Expr


@dataclass(frozen=True)
class Value:
    """A quantity at a point: exact SymPy number (None when inputs are inexact or it grew too large) and float."""

    exact: Expr | None
    approx: float


@dataclass(frozen=True)
class Local:
    """One edge of the backward pass: d stage / d arg, symbolic in node names and at the point."""

    stage: str
    arg: str
    symbolic: Expr
    value: Value | None


@dataclass(frozen=True)
class Passes:
    """Everything the forward and backward passes computed at one point."""

    values: Mapping[str, Value]
    grads: Mapping[str, Value]  # d output / d node, for every input and stage
    locals: tuple[Local, ...]


def to_number(value: Number, name: str = "value") -> Expr:
    """A point coordinate as a SymPy number: ints and Fractions stay exact, floats become Floats."""
    if isinstance(value, bool):
        raise EvaluationError(f"{name}: expected a number, got {value!r}")
    if isinstance(value, int):
        return sympy.Integer(value)
    if isinstance(value, Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    if isinstance(value, float):
        return Float(value)
    if isinstance(value, sympy.Basic) and value.is_number and value.is_extended_real is not False:
        return value
    raise EvaluationError(f"{name}: expected a real number, got {value!r}")


def _is_exact(value: Expr) -> bool:
    return not value.has(Float)


def _size(value: Expr, parts: list[int]) -> int:
    """Upper bound on the tree size of a value built from parts (O(1), no walk)."""
    return 1 if (value.is_Rational or value.is_Atom) else 1 + sum(parts)


def local_derivatives(graph: Graph) -> tuple[tuple[str, str, Expr], ...]:
    """(stage, arg, d stage/d arg) for every edge, symbolic in node names; repeated args summed."""
    edges = []
    for s in graph.stages:
        row = gate(s.op)
        args = [graph.sym(a) for a in s.args]
        partials = row.local(args, graph.sym(s.name), s.params)
        summed: dict[str, Expr] = {}
        for a, d in zip(s.args, partials):
            summed[a] = summed.get(a, S.Zero) + d
        edges += [(s.name, a, d) for a, d in summed.items()]
    return tuple(edges)


def _where(where: str | Callable[[], str]) -> str:
    return where if isinstance(where, str) else where()


def _approx(expr: Expr, where: str | Callable[[], str]) -> Float:
    """expr at 30 digits; ``where`` (text, or a function making it) names expr in an error."""
    value = expr if expr.is_Float else thirty_digits(expr)  # fast where it has a value; else evalf's
    if value.is_Float and math.isfinite(float(value)):
        return value  # the usual case, without asking SymPy anything more
    where = _where(where)
    if value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise EvaluationError(f"{where} is undefined at this point (division by zero or an infinite value)")
    if not value.is_real:
        raise EvaluationError(f"{where} is not a real number at this point (it is {people_text(expr)})")
    if not value.is_Float:
        value = Float(value, PRECISION)
    if not math.isfinite(float(value)):
        raise EvaluationError(f"{where} is too large for a floating-point number at this point ({value:.3e})")
    return value


class _Evaluator:
    """Evaluates expressions in node names at the point, exactly and at 30 digits, once each."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self.exact: dict[sympy.Symbol, Expr] = {}
        self.approx: dict[sympy.Symbol, Float] = {}
        self.size: dict[str, int] = {}

    def bind(self, name: str, exact: Expr | None, approx: Float, size: int) -> None:
        sym = self.graph.sym(name)
        if exact is not None and size <= EXACT_LIMIT:
            self.exact[sym] = exact
            self.size[name] = size
        self.approx[sym] = approx

    def evaluate(self, expr: Expr, names: list[str], where: str | Callable[[], str]) -> tuple[Expr | None, Float, int]:
        syms = [self.graph.sym(n) for n in names]
        approx = _approx(expr.xreplace({s: self.approx[s] for s in syms if s in self.approx}), where)
        if all(s in self.exact for s in syms):
            exact = expr.xreplace({s: self.exact[s] for s in syms})
            if exact.has(sympy.zoo, sympy.nan) or exact.is_real is False:
                raise EvaluationError(f"{_where(where)} is undefined at this point")
            return exact, approx, _size(exact, [self.size[n] for n in names])
        return None, approx, EXACT_LIMIT + 1

    def value(self, name: str) -> Value:
        sym = self.graph.sym(name)
        return Value(self.exact.get(sym), float(self.approx[sym]))


def run(graph: Graph, point: Mapping[str, Number]) -> Passes:
    """Forward then backward pass at ``point`` (a value for every input)."""
    missing = [n for n in graph.inputs if n not in point]
    if missing:
        raise EvaluationError(
            f"no value for input{'s' if len(missing) > 1 else ''} {', '.join(missing)}: "
            f"give every input a value ({', '.join(graph.inputs)})"
        )
    unknown = [n for n in point if n not in graph.inputs]
    if unknown:
        raise EvaluationError(
            f"'{unknown[0]}' is not an input of this computation (inputs: {', '.join(graph.inputs)})"
        )
    ev = _Evaluator(graph)
    for name in graph.inputs:
        number = to_number(point[name], name)
        exact = number if _is_exact(number) else None
        ev.bind(name, exact, _approx(number, f"input {name}"), 1)
    for s in graph.stages:
        exact, approx, size = ev.evaluate(s.expr, list(s.args), lambda s=s: f"stage {s.name} = {people_text(s.expr)}")
        ev.bind(s.name, exact, approx, size)
    values = {n: ev.value(n) for n in (*graph.inputs, *(s.name for s in graph.stages))}

    # backward: seed the output, then walk the stages in reverse
    grads_exact: dict[str, Expr | None] = {n: S.Zero for n in values}
    grads_approx: dict[str, Float] = {n: Float(0, PRECISION) for n in values}
    grads_size: dict[str, int] = {n: 1 for n in values}
    grads_exact[graph.output] = S.One
    grads_approx[graph.output] = Float(1, PRECISION)
    edges = local_derivatives(graph)
    by_stage: dict[str, list[tuple[str, Expr]]] = {}
    for stage, arg, d in edges:
        by_stage.setdefault(stage, []).append((arg, d))
    local_values: dict[tuple[str, str], Value] = {}
    name_of = {sym: n for n, sym in graph.symbols.items()}
    for s in reversed(graph.stages):
        upstream_exact, upstream_approx = grads_exact[s.name], grads_approx[s.name]
        uses = Counter((*s.args, s.name))  # a repeated arg counts each time (the size bound adds it twice)
        for arg, d in by_stage.get(s.name, []):
            # the nodes d reads, from its few free symbols: not a scan of all the stage's args per edge,
            # which is quadratic in a wide dot product
            names = [n for sym in d.free_symbols if (n := name_of.get(sym)) in uses for _ in range(uses[n])]
            where = lambda s=s, arg=arg, d=d: f"the local derivative d{s.name}/d{arg} = {people_text(d)}"  # noqa: E731
            exact, approx, size = ev.evaluate(d, names, where)
            local_values[(s.name, arg)] = Value(exact, float(approx))
            grads_approx[arg] = grads_approx[arg] + upstream_approx * approx
            if exact is not None and upstream_exact is not None and grads_exact[arg] is not None:
                total = grads_exact[arg] + upstream_exact * exact
                grads_size[arg] = _size(total, [grads_size[arg], grads_size[s.name], size])
                grads_exact[arg] = total if grads_size[arg] <= EXACT_LIMIT else None
            else:
                grads_exact[arg] = None
    grads = {n: Value(grads_exact[n], float(grads_approx[n])) for n in values}
    local_list = tuple(Local(st, a, d, local_values.get((st, a))) for st, a, d in edges)
    return Passes(values, grads, local_list)


def symbolic_gradient(graph: Graph) -> dict[str, Expr]:
    """d output / d input for every input, in the inputs alone, by reverse accumulation."""
    full: dict[sympy.Symbol, Expr] = {graph.sym(n): graph.sym(n) for n in graph.inputs}
    for s in graph.stages:
        full[graph.sym(s.name)] = s.expr.xreplace(full)
    adjoint: dict[str, Expr] = {n: S.Zero for n in (*graph.inputs, *(s.name for s in graph.stages))}
    adjoint[graph.output] = S.One
    by_stage: dict[str, list[tuple[str, Expr]]] = {}
    for stage, arg, d in local_derivatives(graph):
        by_stage.setdefault(stage, []).append((arg, d))
    for s in reversed(graph.stages):
        upstream = adjoint[s.name]
        if upstream == 0:
            continue
        for arg, d in by_stage.get(s.name, []):
            adjoint[arg] = adjoint[arg] + upstream * d.xreplace(full)
    return {n: adjoint[n] for n in graph.inputs}
