"""Numeric checks: central finite differences of the original expression against the backward pass."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass

import sympy
from sympy import Float, Rational

from .errors import EvaluationError
from .graph import Graph
from .passes import PRECISION, Number, run, to_number

TOLERANCE = 1e-7  # relative error accepted between backprop and finite differences
STEP = 1e-8  # relative step of the central difference (30-digit arithmetic keeps rounding negligible)


@dataclass(frozen=True)
class InputCheck:
    """One input at one point: the backward pass's gradient, the finite difference, their relative error."""

    name: str
    backprop: float
    finite_difference: float
    rel_error: float


@dataclass(frozen=True)
class PointCheck:
    point: Mapping[str, float]
    inputs: tuple[InputCheck, ...]


@dataclass(frozen=True)
class Check:
    """Finite differences at the given point (if any) and at random points."""

    points: tuple[PointCheck, ...]
    tolerance: float

    @property
    def max_rel_error(self) -> float:
        return max((c.rel_error for p in self.points for c in p.inputs), default=0.0)

    @property
    def ok(self) -> bool:
        return self.max_rel_error <= self.tolerance


def _evaluate(graph: Graph, point: Mapping[str, Float]) -> Float:
    value = graph.source.xreplace({graph.sym(n): v for n, v in point.items()}).evalf(PRECISION)
    if not value.is_real or value.has(sympy.zoo, sympy.nan):
        raise EvaluationError("the expression is undefined near this point")
    return value


def finite_differences(graph: Graph, point: Mapping[str, Number]) -> dict[str, float]:
    """Central differences (f(x+h) - f(x-h)) / 2h of graph.source for every input, in 30-digit arithmetic."""
    base = {n: Float(to_number(point[n], n), PRECISION) for n in graph.inputs}
    result = {}
    for name in graph.inputs:
        h = Float(STEP, PRECISION) * max(1, abs(base[name]))
        up = dict(base, **{name: base[name] + h})
        down = dict(base, **{name: base[name] - h})
        result[name] = float((_evaluate(graph, up) - _evaluate(graph, down)) / (2 * h))
    return result


def rel_error(a: float, b: float) -> float:
    """|a - b| relative to the larger magnitude, absolute below 1 (so 0 vs 1e-12 counts as agreement)."""
    return abs(a - b) / max(1.0, abs(a), abs(b))


def check_point(graph: Graph, point: Mapping[str, Number]) -> PointCheck:
    grads = run(graph, point).grads
    fd = finite_differences(graph, point)
    inputs = tuple(
        InputCheck(n, grads[n].approx, fd[n], rel_error(grads[n].approx, fd[n])) for n in graph.inputs
    )
    return PointCheck({n: float(to_number(point[n], n)) for n in graph.inputs}, inputs)


def random_points(graph: Graph, count: int, seed: int = 0, low: float = -2, high: float = 2):
    """Points with coordinates drawn from [low, high] (3 decimals) where the graph is defined."""
    rng = random.Random(seed)
    found, tries = [], 0
    while len(found) < count and tries < 50 * count:
        tries += 1
        point = {n: Rational(round(rng.uniform(low, high), 3)).limit_denominator(1000) for n in graph.inputs}
        try:
            run(graph, point)
            _evaluate(graph, {n: Float(v, PRECISION) for n, v in point.items()})
        except EvaluationError:
            continue
        found.append(point)
    return found


def check(
    graph: Graph, point: Mapping[str, Number] | None = None, *, samples: int = 3, seed: int = 0,
    tolerance: float = TOLERANCE,
) -> Check:
    """Backward pass vs finite differences at ``point`` and at ``samples`` random points."""
    points = ([point] if point is not None else []) + random_points(graph, samples, seed)
    return Check(tuple(check_point(graph, p) for p in points), tolerance)
