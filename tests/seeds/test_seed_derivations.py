"""The seeds' hand-written derivations, reproduced as checked steps.

003 (1): composition chain; 003 (2) and 001 (a): multivariate chain rule; 004 §1: simple
gradients with their interpretation; 004 §1(d): tanh through the sigmoid."""

from __future__ import annotations

import sympy
from sympy import Derivative, Heaviside, Integer, cos, exp, sin

from symgrad.functions import sigmoid
from symgrad.parsing import parse, parse_program
from symgrad.steps import IDENTITIES, chain_steps, gradient_steps
from symgrad.written import times

x, y, u, v = sympy.symbols("x y u v", real=True)
f, f1, f2, g, l_ = sympy.symbols("f f1 f2 g l", real=True)


def test_003_1_composition_chain():
    d = chain_steps(parse_program("f2 = 5x^3 - x + 1\nf1 = f2 - 2\nf = 4 f1^2"), "x")
    steps = {(s.before, s.after) for s in d.steps}
    # df/dx = df/df1 · df1/df2 · df2/dx, each factor, the substitution back, the final form
    assert d.steps[0].before == Derivative(f, x)
    assert list(d.steps[0].after.args) == [Derivative(f, f1), Derivative(f1, f2), Derivative(f2, x)]
    assert (Derivative(f, f1), 8 * f1) in steps
    assert (Derivative(f1, f2), Integer(1)) in steps
    assert (Derivative(f2, x), 15 * x**2 - 1) in steps
    assert d.result == sympy.Mul(8, 5 * x**3 - x - 1, 15 * x**2 - 1)  # the factored form, as the seed writes it
    assert [s.rule for s in d.steps][-2:] == ["substitution", "substitution"]


def test_003_1_values_at_a_point():
    d = chain_steps(parse_program("f2 = 5x^3 - x + 1\nf1 = f2 - 2\nf = 4 f1^2"), "x", {"x": Integer(1)})
    values = {s.before: s.value for s in d.steps}
    assert values[Derivative(f, f1)] == 24 and values[Derivative(f2, x)] == 14
    assert d.steps[0].value == 336


def test_003_2_multivariate_chain_every_term_then_the_sum():
    d = chain_steps(parse_program("x = sin(u) + cos(v)\ny = e^(u v)\nf = 2x^3 + y"), "u")
    assert d.steps[0].rule == "multivariate chain rule"
    terms = {s.before: s.after for s in d.steps if s.rule == "product of partials along a path"}
    assert terms == {
        times(Derivative(f, x), Derivative(x, u)): 6 * x**2 * cos(u),
        times(Derivative(f, y), Derivative(y, u)): v * exp(u * v),
    }
    assert sympy.simplify(d.result - (6 * (sin(u) + cos(v)) ** 2 * cos(u) + v * exp(u * v))) == 0
    dv = chain_steps(parse_program("x = sin(u) + cos(v)\ny = e^(u v)\nf = 2x^3 + y"), "v")
    assert sympy.simplify(dv.result - (-6 * (sin(u) + cos(v)) ** 2 * sin(v) + u * exp(u * v))) == 0


def test_001_a_two_paths_give_4x3_plus_2x():
    # l(x) = h(f(x), g(x)) with h(x1, x2) = x1^2 + x2^2, f(x) = x^2, g(x) = x
    d = chain_steps(parse_program("f = x^2\ng = x\nl = f^2 + g^2"), "x")
    assert d.result == 4 * x**3 + 2 * x
    assert {s.before: s.after for s in d.steps if s.rule == "product of partials along a path"} == {
        times(Derivative(l_, f), Derivative(f, x)): 4 * f * x,
        times(Derivative(l_, g), Derivative(g, x)): 2 * g,
    }


def test_004_1a_xy_gradient_and_interpretation():
    d = gradient_steps(parse("x y"), {"x": Integer(1), "y": Integer(-2)})
    assert list(d.result) == [y, x]
    assert d.steps[-1].value == sympy.ImmutableMatrix([[-2, 1]])
    assert "At x = 1, y = -2: increasing x by a small ε changes f by about -2ε" in d.notes[0]


def test_004_1b_sum_gradient():
    d = gradient_steps(parse("x + y"))
    assert list(d.result) == [1, 1]


def test_004_1c_max_subgradient_as_indicators_with_the_tie_convention():
    d = gradient_steps(parse("max(x, y)"), {"x": Integer(12), "y": Integer(3)})
    assert list(d.result) == [Heaviside(x - y, 1), Heaviside(y - x, 0)]
    assert "1(x >= y)" in d.text() and "1(y > x)" in d.text()
    assert any("tie" in n for n in d.notes)
    assert any("not sensitive to y" in n for n in d.notes)
    assert d.steps[-1].value == sympy.ImmutableMatrix([[1, 0]])


def test_004_1d_tanh_through_the_sigmoid():
    d = IDENTITIES["tanh-sigmoid"]()
    s2 = sigmoid(2 * x)
    assert d.result == 4 * s2 * (1 - s2)
    assert any(s.after == 2 * s2 - 1 for s in d.steps)


def test_sigmoid_and_relu_identities():
    assert IDENTITIES["sigmoid"]().result == sigmoid(x) * (1 - sigmoid(x))
    relu = IDENTITIES["relu"]()
    assert relu.result == Heaviside(x, 0)
    assert "relu'(0) := 0" in relu.text()
