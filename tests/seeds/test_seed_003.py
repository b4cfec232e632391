"""Seed 003_dd12d1ca06081b8c.txt (1) and (2): chain rule through staged programs."""

from __future__ import annotations

import sympy
from sympy import cos, exp, sin

from symgrad import solve

X, U, V = sympy.symbols("x u v", real=True)


def test_composition_chain_1():
    # f = 4 f1^2, f1 = f2 - 2, f2 = 5x^3 - x + 1  =>  df/dx = 8(5x^3 - x - 1)(15x^2 - 1)
    s = solve("f2 = 5x^3 - x + 1\nf1 = f2 - 2\nf = 4 f1^2")
    assert s.graph.inputs == ("x",)
    expected = 8 * (5 * X**3 - X - 1) * (15 * X**2 - 1)
    assert sympy.expand(s.gradient["x"] - expected) == 0
    # and at a point, exactly: x = 1 gives 8 * 3 * 14 = 336
    at_one = solve("f2 = 5x^3 - x + 1\nf1 = f2 - 2\nf = 4 f1^2", {"x": 1})
    assert at_one.grad("x").exact == 336
    assert at_one.grad("f1").exact == 24  # df/df1 = 8 f1 = 8 * 3
    assert at_one.grad("f2").exact == 24  # df1/df2 = 1


def test_multivariate_chain_2():
    # f = 2x^3 + y, x = sin u + cos v, y = e^(uv)
    s = solve("x = sin(u) + cos(v)\ny = e^(u v)\nf = 2x^3 + y")
    assert s.graph.inputs == ("u", "v")
    xs = sin(U) + cos(V)
    df_du = 6 * xs**2 * cos(U) + V * exp(U * V)
    df_dv = -6 * xs**2 * sin(V) + U * exp(U * V)
    assert sympy.simplify(s.gradient["u"] - df_du) == 0
    assert sympy.simplify(s.gradient["v"] - df_dv) == 0


def test_multivariate_chain_2_at_a_point_is_exact():
    s = solve("x = sin(u) + cos(v)\ny = e^(u v)\nf = 2x^3 + y", {"u": 0, "v": 0})
    # x = 1, y = 1: df/du = 6 * 1 * cos 0 + 0 = 6, df/dv = -6 sin 0 + 0 = 0
    assert s.value("x").exact == 1 and s.value("y").exact == 1
    assert s.grad("u").exact == 6 and s.grad("v").exact == 0
