"""Every row of the gate table: its local derivatives against sympy.diff and finite differences."""

from __future__ import annotations

import pytest
import sympy
from sympy import Integer, Rational

from symgrad.gates import FUNCTION_GATES, GATES

A = sympy.symbols("a0:6", real=True)
# (number of args, params, a point where the gate is smooth)
CASES = {
    "add": (3, (Integer(2),)),
    "sub": (2, ()),
    "mul": (3, (Integer(3),)),
    "neg": (1, ()),
    "dot": (5, (Integer(2), Integer(1))),
    "reciprocal": (1, ()),
    "pow": (1, (Integer(3),)),
    "sqrt": (1, ()),
    "powv": (2, ()),
    "cpow": (1, (Integer(2),)),
    "exp": (1, ()),
    "log": (1, ()),
    "sin": (1, ()),
    "cos": (1, ()),
    "tan": (1, ()),
    "sinh": (1, ()),
    "cosh": (1, ()),
    "tanh": (1, ()),
    "sech": (1, ()),
    "sigmoid": (1, ()),
    "relu": (1, ()),
    "heaviside": (1, ()),
    "abs": (1, ()),
    "max": (3, ()),
    "min": (2, ()),
    "id": (1, ()),
    "const": (0, (Integer(5),)),
    "sec": (1, ()), "csc": (1, ()), "cot": (1, ()),
    "asin": (1, ()), "acos": (1, ()), "atan": (1, ()),
    "asinh": (1, ()), "acosh": (1, (), [Rational(13, 10)]), "atanh": (1, ()),
    "erf": (1, ()), "sign": (1, ()), "softplus": (1, ()), "gelu": (1, ()), "silu": (1, ()),
    "elu": (1, (Integer(2),), [Rational(-1, 5)]), "leaky_relu": (1, (Rational(1, 5),), [Rational(-1, 5)]),
}
POINT = [Rational(7, 10), Rational(13, 10), Rational(-1, 5), Rational(9, 10), Rational(2, 5), Rational(1, 2)]


def test_every_gate_has_a_case():
    assert set(CASES) == set(GATES)
    assert set(FUNCTION_GATES.values()) <= set(GATES)


@pytest.mark.parametrize("name", sorted(GATES))
def test_local_derivative_is_the_derivative(name):
    n, params, *point = CASES[name]
    row = GATES[name]
    args = A[:n]
    out = sympy.Symbol("out", real=True)
    built = row.build(args, params)
    partials = row.local(args, out, params)
    assert len(partials) == n
    at = dict(zip(args, point[0] if point else POINT))
    for a, local in zip(args, partials):
        claimed = local.subs(out, built)
        reference = sympy.diff(built, a)
        # symbolically equal at the point, exactly
        difference = (claimed - reference).subs(at)
        assert sympy.simplify(difference.rewrite(sympy.exp)) == 0, (name, a, claimed, reference)
        # and against a central finite difference
        h = sympy.Float("1e-10", 30)

        def f(shift, a=a):
            return built.xreplace({b: sympy.Float(p, 30) + (shift if b == a else 0) for b, p in at.items()})

        fd = (f(h) - f(-h)).evalf(30) / (2 * h)
        assert abs(float(fd) - float(claimed.subs(at).evalf(20))) < 1e-8, (name, a)


def test_labels_are_those_of_the_circuit_diagrams():
    assert GATES["neg"].label(()) == "*-1"
    assert GATES["add"].label((Integer(1),)) == "+1"
    assert GATES["add"].label((Integer(0),)) == "+"
    assert GATES["reciprocal"].label(()) == "1/x"
    assert GATES["exp"].label(()) == "exp"
    assert GATES["mul"].label((Integer(-2),)) == "*-2"
    assert GATES["pow"].label((Integer(2),)) == "^2"
    assert GATES["sigmoid"].label(()) == "σ"


def test_local_derivatives_use_the_output_as_the_seeds_write_them():
    a, out = sympy.symbols("a out")
    assert GATES["exp"].local((a,), out, ()) == (out,)
    assert GATES["sigmoid"].local((a,), out, ()) == (out * (1 - out),)
    assert GATES["tanh"].local((a,), out, ()) == (1 - out**2,)
    assert GATES["reciprocal"].local((a,), out, ()) == (-1 / a**2,)
