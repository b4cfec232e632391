"""Every row of gates.FUNCTIONS, the one home of a function: each piece of it is used and agrees with an
independent computation (SymPy's evalf and diff, mpmath, Python's math module, a finite difference)."""

from __future__ import annotations

import subprocess
import sys

import mpmath
import pytest
import sympy

from symgrad.evaluate import evaluate
from symgrad.gates import BY_NAME, FUNCTIONS, GATES
from symgrad.parsing import parse
from symgrad.printing import latex, python
from symgrad.steps import differentiate

x = sympy.Symbol("x", real=True)
# a point inside every function's domain (acosh needs x > 1, asin/atanh |x| < 1), away from kinks
POINT = {"acosh": sympy.Rational(13, 10), "elu": sympy.Rational(-3, 10), "leaky_relu": sympy.Rational(-3, 10)}
AT = sympy.Rational(3, 10)
ROWS = [f for f in FUNCTIONS if f.gate]


def value_at(f) -> sympy.Rational:
    return POINT.get(f.name, AT)


@pytest.mark.parametrize("f", FUNCTIONS, ids=lambda f: f.name)
def test_every_alias_parses_to_the_rows_function(f):
    args = "x" if f.arity[0] == 1 else "x, 3"
    expected = f.cls(x) if f.arity[0] == 1 else f.cls(x, 3)
    for alias in f.names:
        assert parse(f"{alias}({args})") == expected, alias


@pytest.mark.parametrize("f", [f for f in ROWS if f.tex_names], ids=lambda f: f.name)
def test_every_latex_name_parses_and_the_printed_latex_reads_back(f):
    for name in f.tex_names:
        assert parse(rf"\{name}\left(x\right)", latex=True) == f.cls(x), name
    assert parse(latex(f.cls(x)), latex=True) == f.cls(x)


@pytest.mark.parametrize("f", ROWS, ids=lambda f: f.name)
def test_the_mpmath_evaluator_agrees_with_evalf(f):
    u = value_at(f)
    with mpmath.workdps(30):
        ours = evaluate(f.cls(x), {x: mpmath.mpf(u.p) / u.q})
        assert abs(ours - mpmath.mpf(str(f.cls(u).evalf(30)))) < mpmath.mpf(10) ** -25, f.name


@pytest.mark.parametrize("f", ROWS, ids=lambda f: f.name)
def test_the_python_spelling_runs_and_agrees(f):
    u = value_at(f)
    code = f"import math\nx = {float(u)!r}\nprint(repr({python(f.cls(x))}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert abs(float(out) - float(f.cls(u).evalf(20))) < 1e-12, f.name


@pytest.mark.parametrize("f", [f for f in ROWS if f.name in GATES], ids=lambda f: f.name)
def test_the_derivative_agrees_with_sympy_diff_and_a_finite_difference(f):
    u = value_at(f)
    ours = GATES[f.name].local((x,), f.cls(x), ())[0]
    assert abs(float((ours - sympy.diff(f.cls(x), x)).subs(x, u).evalf(30))) < 1e-20, f.name
    h = sympy.Float("1e-12", 40)
    fd = (f.cls(sympy.Float(u, 40) + h) - f.cls(sympy.Float(u, 40) - h)).evalf(40) / (2 * h)
    assert abs(float(fd) - float(ours.subs(x, u).evalf(30))) < 1e-9, f.name


@pytest.mark.parametrize("f", [f for f in ROWS if f.name in GATES and f.rule], ids=lambda f: f.name)
def test_the_derivative_is_derived_step_by_step_under_the_rows_rule(f):
    inner = {"asin": "x/2", "acos": "x/2", "atanh": "x/2"}.get(f.name, "x^3 - x + 2")  # no sign SymPy could know
    d = differentiate(f"{f.names[0]}({inner})")
    assert f.rule in [s.rule for s in d.steps] or any(f.rule in s.note for s in d.steps), f.name


def test_activation_derivatives_read_as_students_write_them():
    for name in ("sigmoid", "tanh", "relu", "softplus", "silu", "gelu"):
        row = BY_NAME[name]
        assert sympy.simplify(parse(f"{name}'(x)") - row.prime(x)) == 0, name
    assert parse("softplus'(x)") == BY_NAME["sigmoid"].cls(x)  # softplus' is the sigmoid


@pytest.mark.parametrize("name, rules, result", [
    ("softplus", ["definition of softplus", "logarithm and chain rules", "e^x/(1 + e^x) = σ(x)"],
     BY_NAME["sigmoid"].cls(x)),
    ("silu", ["definition of SiLU", "product rule", "common factor σ(x)"],
     BY_NAME["sigmoid"].cls(x) * (1 + x * (1 - BY_NAME["sigmoid"].cls(x)))),
])
def test_the_activations_derivatives_are_derived_as_identities(name, rules, result):
    from symgrad.steps import IDENTITIES

    d = IDENTITIES[name]()  # .checked(): every step verified at random points
    assert [s.rule for s in d.steps] == rules
    assert sympy.simplify(d.result - result) == 0
    assert sympy.simplify(d.result - sympy.diff(BY_NAME[name].cls(x), x)) == 0


def test_a_row_missing_a_piece_is_an_error_that_names_the_function_and_the_piece():
    from dataclasses import replace

    from symgrad.errors import StagingError
    from symgrad.gates import complete

    with pytest.raises(StagingError, match=r"the function row 'softplus' lacks a rule and the rule's formula"):
        complete(replace(BY_NAME["softplus"], rule="", formula=""))
    with pytest.raises(StagingError, match=r"the function row 'gelu' lacks a Python spelling"):
        complete(replace(BY_NAME["gelu"], python=""))
    assert all(complete(f) is f for f in FUNCTIONS)
