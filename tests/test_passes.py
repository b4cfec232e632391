"""Conventions at kinks and fan-out accumulation in the passes."""

from __future__ import annotations

import random

import mpmath
import sympy

from symgrad import solve, stage_expression, symbolic_gradient


def test_max_tie_goes_to_the_first_argument():
    s = solve("max(x, y)", {"x": 1, "y": 1})
    assert (s.grad("x").exact, s.grad("y").exact) == (1, 0)
    s = solve("max(x, y)", {"x": 1, "y": 3})
    assert (s.grad("x").exact, s.grad("y").exact) == (0, 1)
    s = solve("min(x, y)", {"x": 2, "y": 2})
    assert (s.grad("x").exact, s.grad("y").exact) == (1, 0)


def test_relu_derivative_is_zero_at_zero():
    assert solve("relu(x)", {"x": 0}).grad("x").exact == 0
    assert solve("relu(x)", {"x": 2}).grad("x").exact == 1
    assert solve("max(0, x)", {"x": 0}).grad("x").exact == 0  # max(0, x) is staged as relu


def test_fan_out_accumulates():
    # x feeds three stages: d/dx (x*y + sin(x) + x) = y + cos(x) + 1
    s = solve("x*y + sin(x) + x", {"x": 0, "y": 5})
    assert s.grad("x").exact == 7
    edges = [e for e in s.locals if e.arg == "x"]
    assert len(edges) == 3


def _deep_network(widths, seed):
    """A sigmoid network's squared loss written out entry by entry, as bench/bench_nets.py builds it
    (rational weights, inputs and biases), and its weights' symbols and values."""
    rng = random.Random(seed)

    def number():
        return sympy.Rational(rng.randint(-9, 9), rng.randint(4, 9))

    weights = [[[sympy.Symbol(f"w{k}_{i}_{j}") for j in range(widths[k])] for i in range(widths[k + 1])]
               for k in range(len(widths) - 1)]
    point = {w: number() for layer in weights for row in layer for w in row}
    a = [number() for _ in range(widths[0])]
    for layer in weights:
        a = [1 / (1 + sympy.exp(-(sympy.Add(*(w * x for w, x in zip(row, a))) + number()))) for row in layer]
    loss = sympy.Add(*((ak - number()) ** 2 for ak in a)) / 2
    return loss, point


def test_deep_network_staging_matches_sympy_diff_and_finite_differences():
    # three sigmoid layers, staged coarsely (sigmoid and dot products whole) and finely
    loss, point = _deep_network((2, 2, 2, 1), seed=15)
    at = {w.name: v for w, v in point.items()}
    exact_point = dict(point)  # rationals: the difference of two derivatives is then a number to evaluate
    high = {w: sympy.Float(v, 50) for w, v in point.items()}
    h = mpmath.mpf("1e-8")
    with mpmath.workdps(40):
        f = sympy.lambdify(list(point), loss, "mpmath")  # our own test expression, never a user's string
        args = [mpmath.mpf(v.p) / v.q for v in point.values()]
        fd = {}
        for k, w in enumerate(point):
            up, down = list(args), list(args)
            up[k] += h
            down[k] -= h
            fd[w] = (f(*up) - f(*down)) / (2 * h)
    for granularity in ("coarse", "fine"):
        graph = stage_expression(loss, granularity=granularity)
        if granularity == "coarse":
            assert {s.op for s in graph.stages} >= {"sigmoid", "dot"}
        s = solve(loss, at, granularity=granularity)
        symbolic = symbolic_gradient(graph)
        for w in point:
            exact = sympy.diff(loss, w)
            # the staged gradient is sympy.diff's derivative: equal at 50 digits at the point
            assert abs((symbolic[w.name] - exact).xreplace(exact_point).evalf(50)) < 1e-40
            # the backward pass's number is that derivative's value at the point
            assert s.grad(w.name).approx == float(exact.evalf(30, subs=high))
            # and agrees with central finite differences of the loss
            assert abs(s.grad(w.name).approx - float(fd[w])) <= 1e-12 * max(1.0, abs(float(fd[w])))
