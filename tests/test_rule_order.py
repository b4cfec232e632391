"""Expressions as people write them (issue 16): each rule's step printed in the rule's own order, the
substitution and the final form as a teacher writes them, and text that our own grammar reads back.

The tables pin the exact printed lines (text and LaTeX) of ``differentiate``: sum term by term with
subtraction kept, product f'·g + f·g', quotient (g·f' − f·g')/g², chain outer'(inner)·inner',
constant multiple c·f', the power rule; then the tidy policy of steps/tidy.py on a table of
(input, final form). The property tests hold every derivation's answer to ``sympy.diff`` and the
text printer to the grammar.
"""

from __future__ import annotations

import re

import mpmath
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from strategies import expressions

from symgrad.parsing import parse
from symgrad.printing import latex, text
from symgrad.steps import differentiate
from symgrad.written import plain

SEED_PROGRAM = "f2 = 5x^3 - x + 1\nf1 = f2 - 2\nf = 4 f1^2"

# (input, step number, rule, before, after as text, after as LaTeX)
RULE_STEPS = [
    # sum: term by term, in the order typed, a subtracted term's derivative subtracted
    ("x^3 - 2x + 5", 0, "sum rule", "d/dx[x^3 - 2x + 5]", "d/dx[x^3] - d/dx[2x]",
     r"\frac{d}{dx}\left(x^{3}\right) - \frac{d}{dx}\left(2 x\right)"),
    ("x/(x^2+1) - 3 sqrt(x)", 0, "sum rule", "d/dx[x/(x^2 + 1) - 3 sqrt(x)]",
     "d/dx[x/(x^2 + 1)] - d/dx[3 sqrt(x)]",
     r"\frac{d}{dx}\left(\frac{x}{x^{2} + 1}\right) - \frac{d}{dx}\left(3 \sqrt{x}\right)"),
    # product: f'·g + f·g', the pending derivative where the formula puts it
    ("x^2 tanh(x)", 0, "product rule", "d/dx[x^2 tanh(x)]", "d/dx[x^2] · tanh(x) + x^2 · d/dx[tanh(x)]",
     r"\frac{d}{dx}\left(x^{2}\right) \cdot \tanh{\left(x \right)} + x^{2} \cdot "
     r"\frac{d}{dx}\left(\tanh{\left(x \right)}\right)"),
    ("(2x+1)^3 tanh(x)", 0, "product rule", "d/dx[(2x + 1)^3 tanh(x)]",
     "d/dx[(2x + 1)^3] · tanh(x) + (2x + 1)^3 · d/dx[tanh(x)]",
     r"\frac{d}{dx}\left(\left(2 x + 1\right)^{3}\right) \cdot \tanh{\left(x \right)} + "
     r"\left(2 x + 1\right)^{3} \cdot \frac{d}{dx}\left(\tanh{\left(x \right)}\right)"),
    # quotient: (g·f' − f·g')/g², no (-1)· factor, f' = 1 leaves g alone and unbracketed
    ("x^2 sin(x)/(e^x + 1)", 0, "quotient rule", "d/dx[x^2 sin(x)/(e^x + 1)]",
     "((e^x + 1) · d/dx[x^2 sin(x)] - x^2 sin(x) · d/dx[e^x + 1])/(e^x + 1)^2",
     r"\frac{\left(e^{x} + 1\right) \cdot \frac{d}{dx}\left(x^{2} \sin{\left(x \right)}\right) - x^{2} "
     r"\sin{\left(x \right)} \cdot \frac{d}{dx}\left(e^{x} + 1\right)}{\left(e^{x} + 1\right)^{2}}"),
    ("x/(x^2+1)", 0, "quotient rule", "d/dx[x/(x^2 + 1)]", "(x^2 + 1 - x · d/dx[x^2 + 1])/(x^2 + 1)^2",
     r"\frac{x^{2} + 1 - x \cdot \frac{d}{dx}\left(x^{2} + 1\right)}{\left(x^{2} + 1\right)^{2}}"),
    ("ln(x)/x^2", 0, "quotient rule", "d/dx[log(x)/x^2]", "(x^2 · d/dx[log(x)] - log(x) · d/dx[x^2])/(x^2)^2",
     r"\frac{x^{2} \cdot \frac{d}{dx}\left(\log{\left(x \right)}\right) - \log{\left(x \right)} \cdot "
     r"\frac{d}{dx}\left(x^{2}\right)}{\left(x^{2}\right)^{2}}"),
    # chain: outer'(inner)·inner'; a negative outer derivative leads with its minus sign
    ("sin(x^2)", 0, "chain rule", "d/dx[sin(x^2)]", "cos(x^2) · d/dx[x^2]",
     r"\cos{\left(x^{2} \right)} \cdot \frac{d}{dx}\left(x^{2}\right)"),
    ("(2x+1)^3 tanh(x)", 1, "chain rule", "d/dx[(2x + 1)^3]", "3(2x + 1)^2 · d/dx[2x + 1]",
     r"3 \left(2 x + 1\right)^{2} \cdot \frac{d}{dx}\left(2 x + 1\right)"),
    ("cos(cos(x))", 0, "chain rule", "d/dx[cos(cos(x))]", "-sin(cos(x)) · d/dx[cos(x)]",
     r"-\sin{\left(\cos{\left(x \right)} \right)} \cdot \frac{d}{dx}\left(\cos{\left(x \right)}\right)"),
    # constant multiple: c·f' with c in front, -1 as a minus sign
    ("5 sin(x)", 0, "constant multiple rule", "d/dx[5 sin(x)]", "5 · d/dx[sin(x)]",
     r"5 \cdot \frac{d}{dx}\left(\sin{\left(x \right)}\right)"),
    ("-3 cos(x)", 0, "constant multiple rule", "d/dx[-3 cos(x)]", "-3 · d/dx[cos(x)]",
     r"-3 \cdot \frac{d}{dx}\left(\cos{\left(x \right)}\right)"),
    ("-x/(x+1)", 0, "constant multiple rule", "d/dx[-x/(x + 1)]", "-d/dx[x/(x + 1)]",
     r"-\frac{d}{dx}\left(\frac{x}{x + 1}\right)"),
    # power rule
    ("x^4", 0, "power rule", "d/dx[x^4]", "4x^3", r"4 x^{3}"),
    ("sqrt(x)", 0, "power rule", "d/dx[sqrt(x)]", "1/(2 sqrt(x))", r"\frac{1}{2 \sqrt{x}}"),
    ("1/x", 0, "power rule", "d/dx[1/x]", "-1/x^2", r"- \frac{1}{x^{2}}"),
]


@pytest.mark.parametrize(("source", "number", "rule", "before", "after", "after_tex"), RULE_STEPS)
def test_each_rule_step_is_printed_in_the_rules_order(source, number, rule, before, after, after_tex):
    step = differentiate(source).steps[number]
    assert (step.rule, text(step.before), text(step.after)) == (rule, before, after)
    assert latex(step.after) == after_tex


# (input, substitution line, final line or None when the substitution is the answer), as text
LAST_LINES = [
    ("x^3 - 2x + 5", "3x^2 - 2", None),
    ("x^2 tanh(x)", "2x tanh(x) + x^2 (1 - tanh(x)^2)", None),
    ("x^2 sin(x)/(e^x + 1)", "((e^x + 1)(2x sin(x) + x^2 cos(x)) - x^2 sin(x) e^x)/(e^x + 1)^2",
     "x ((x cos(x) + 2 sin(x))(e^x + 1) - x e^x sin(x))/(e^x + 1)^2"),
    ("x/(x^2+1) - 3 sqrt(x)", "(x^2 + 1 - x·2x)/(x^2 + 1)^2 - 3/(2 sqrt(x))",
     "(1 - x^2)/(x^2 + 1)^2 - 3/(2 sqrt(x))"),
    ("sin(x^2)", "cos(x^2)·2x", "2x cos(x^2)"),
    ("5 sin(x)", "5 cos(x)", None),
    ("-3 cos(x)", "3 sin(x)", None),  # -3·(-sin(x)): the two minus signs cancel as it is put in
    ("x/cos(x)", "(cos(x) + x sin(x))/cos(x)^2", None),  # never cos(x) - x(-sin(x))
    ("-x/(x+1)", "-(x + 1 - x)/(x + 1)^2", "-1/(x + 1)^2"),
    ("(x+1)/(x-1)", "(x - 1 - (x + 1))/(x - 1)^2", "-2/(x - 1)^2"),
    ("tanh(cos(max(1, x)))", "-(1 - tanh(cos(max(1, x)))^2) sin(max(1, x))·1(x > 1)", None),
]


@pytest.mark.parametrize(("source", "substituted", "final"), LAST_LINES)
def test_substitution_and_final_lines(source, substituted, final):
    steps = differentiate(source).steps
    substitution = [s for s in steps if s.rule == "substitution"][-1]
    assert text(substitution.after) == substituted
    if final is None:
        assert steps[-1] is substitution
    else:
        assert (steps[-1].rule, text(steps[-1].before), text(steps[-1].after)) == \
            ("simplification", substituted, final)


def test_the_quotient_example_of_the_issue_in_latex():
    steps = differentiate("x^2 sin(x)/(e^x + 1)").steps
    assert latex(steps[-2].after) == (
        r"\frac{\left(e^{x} + 1\right) \left(2 x \sin{\left(x \right)} + x^{2} \cos{\left(x \right)}\right) - "
        r"x^{2} \sin{\left(x \right)} e^{x}}{\left(e^{x} + 1\right)^{2}}")
    assert latex(steps[-1].after) == (
        r"\frac{x \left(\left(x \cos{\left(x \right)} + 2 \sin{\left(x \right)}\right) \left(e^{x} + 1\right) - "
        r"x e^{x} \sin{\left(x \right)}\right)}{\left(e^{x} + 1\right)^{2}}")


def test_the_seeds_chain_program_step_by_step():
    d = differentiate(SEED_PROGRAM)
    assert [(s.rule, text(s.before), text(s.after)) for s in d.steps] == [
        ("chain rule", "df/dx", "df/df1 · df1/df2 · df2/dx"),
        ("power rule", "df/df1", "8 f1"),
        ("sum rule", "df1/df2", "1"),
        ("sum and power rules", "df2/dx", "15x^2 - 1"),
        ("substitution", "df/dx", "8 f1 (15x^2 - 1)"),
        ("substitution", "8 f1 (15x^2 - 1)", "8(5x^3 - x - 1)(15x^2 - 1)"),
    ]
    assert latex(d.steps[-1].after) == r"8 \left(5 x^{3} - x - 1\right) \left(15 x^{2} - 1\right)"


# -- no (-1)· and no 1· or ·1 in a derivative-rule derivation ---------------------------------------
# (backprop's "upstream × local" keeps its · 1 and is not a diff derivation; 1(x > 1) is an indicator)

_MINUS_ONE = re.compile(r"\(-1\)|\\left\(- ?1\\right\)")
_ONE_TIMES = re.compile(r"(?<![\w.{])1 ?(·|\\cdot)")
_TIMES_ONE = re.compile(r"(·|\\cdot) ?1(?![\d.(])")

CLEAN_SOURCES = [source for source, *_ in RULE_STEPS] + [source for source, *_ in LAST_LINES] + [
    SEED_PROGRAM, "x e^(-x)", "x sin(x) cos(x)", "cos(x)^2", "e^(-x^2)", "sigmoid(2x)", "x/(x-1) - x/(x+1)",
    "1/(1 - x)", "-1/(x^2 + 1)", "tanh(max(-1, x))", "x^x", "2^x",
]


def _mistakes(shown: str) -> list[str]:
    return [p.pattern for p in (_MINUS_ONE, _ONE_TIMES, _TIMES_ONE) if p.search(shown)]


@pytest.mark.parametrize("source", sorted(set(CLEAN_SOURCES)))
def test_no_minus_one_or_one_factor_in_any_step(source):
    for step in differentiate(source).steps:
        for side in (step.before, step.after):
            for shown in (text(side), latex(side)):
                assert not _mistakes(shown), (step.rule, shown)


def test_the_checks_for_stray_ones_find_them():
    """The patterns above catch what they are for, and pass the indicator and numbers such as 15."""
    assert _mistakes("3·1/(2 sqrt(x))") and _mistakes("1·x") and _mistakes(r"x \cdot 1") and _mistakes("x(-1)")
    assert not _mistakes("8 f1 (15x^2 - 1)") and not _mistakes("x·15") and not _mistakes("sin(x)·1(x > 1)")
    assert not _mistakes("df/df1 · df1/dx") and not _mistakes(r"\frac{df}{df_{1}} \cdot \frac{df_{1}}{dx}")


# -- the tidy policy (steps/tidy.py): (input, the final form as text, the form chosen) ---------------

TIDY = [
    (SEED_PROGRAM, "8(5x^3 - x - 1)(15x^2 - 1)", "write the intermediates in the inputs: f1 = 5x^3 - x - 1"),
    # over one common denominator, never a fraction within a fraction
    ("x^2 sin(x)/(e^x + 1)", "x ((x cos(x) + 2 sin(x))(e^x + 1) - x e^x sin(x))/(e^x + 1)^2",
     "over a common denominator"),
    ("x/(x-1) - x/(x+1)", "-2(x^2 + 1)/(x^2 - 1)^2", "factor without splitting"),
    ("(x^2+1)/(x^2-1)", "-4x/(x^2 - 1)^2", "over a common denominator"),
    ("ln(x)/x^2", "(1 - 2 log(x))/x^3", "over a common denominator"),
    # a polynomial factored when that is shorter, expanded when that is
    ("(x+1)^3 (x-1)^2", "(x - 1)(x + 1)^2 (5x - 1)", "factor"),
    ("x^3/3 - x^2 + x", "(x - 1)^2", "factor"),
    ("(x^2 - 1)^2", "4x^3 - 4x", "cancel"),
    ("(3x - 2)^4", "12(3x - 2)^3", "collect numbers and like terms"),
    ("x e^(-x)", "e^(-x)(1 - x)", "take out common factors"),  # together() with no denominator is not named for one
    # no double negatives, and a sum starts with a term without a minus when it has one
    ("-3 cos(x)", "3 sin(x)", "put the parts' derivatives into the first line"),
    ("x/cos(x)", "(cos(x) + x sin(x))/cos(x)^2", "put the parts' derivatives into the first line"),
    ("sin(x) cos(x)", "cos(x)^2 - sin(x)^2", "collect numbers and like terms"),
    ("x sin(x) cos(x)", "x cos(x)^2 - x sin(x)^2 + sin(x) cos(x)", "collect numbers and like terms"),
    # the written line stays when nothing is left to collect and no form is shorter
    ("x^2 tanh(x)", "2x tanh(x) + x^2 (1 - tanh(x)^2)", "put the parts' derivatives into the first line"),
    ("sin(x^2)", "2x cos(x^2)", "collect numbers and like terms"),
    ("sigmoid(2x)", "2 sigma(2x)(1 - sigma(2x))", "collect numbers and like terms"),
    ("x/(x^2+1) - 3 sqrt(x)", "(1 - x^2)/(x^2 + 1)^2 - 3/(2 sqrt(x))", "collect numbers and like terms"),
]


@pytest.mark.parametrize(("source", "final", "how"), TIDY)
def test_tidy_final_form(source, final, how):
    d = differentiate(source)
    assert (text(d.shown), d.steps[-1].note) == (final, how)
    assert text(d.steps[-1].after) == final


# -- properties: the answer is sympy.diff's, and text reads back ----------------------------------

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
POINTS = [{"x": "0.37", "y": "1.13", "z": "-0.71"}, {"x": "-1.29", "y": "0.53", "z": "2.17"},
          {"x": "2.41", "y": "-0.83", "z": "0.29"}]


def _at(expr: sympy.Expr, point: dict[str, str]) -> complex | None:
    """expr at point in 30 digits (None where it is not a finite number); ties of max never occur at these
    points, so a subgradient's value is the derivative's."""
    subs = {s: sympy.Float(point[s.name], 30) for s in expr.free_symbols}
    value = complex(sympy.N(expr.xreplace(subs), 30))
    return value if mpmath.isfinite(value.real) and mpmath.isfinite(value.imag) else None


@SETTINGS
@given(expressions)
def test_final_form_is_sympys_derivative(expr):
    wrt = min(expr.free_symbols, key=lambda s: s.name)
    d = differentiate(text(expr), wrt=wrt.name)
    want = sympy.diff(expr, wrt)
    for point in POINTS:
        expected = _at(want, point)
        if expected is not None:
            for got in (d.result, d.shown):
                assert abs(_at(got, point) - expected) <= 1e-20 * max(1, abs(expected)), (point, text(got))


@SETTINGS
@given(expressions)
def test_text_reads_back(expr):
    assert parse(text(expr)) == expr


@SETTINGS
@given(expressions)
def test_every_step_without_a_pending_derivative_reads_back(expr):
    wrt = min(expr.free_symbols, key=lambda s: s.name)
    for step in differentiate(text(expr), wrt=wrt.name).steps:
        for side in (step.before, step.after):
            shown = text(side)
            if not side.has(sympy.Derivative):
                assert sympy.simplify(parse(shown) - plain(side)) == 0, shown


def test_an_indicator_holding_a_power_of_a_call_reads_back():
    """The grammar's indicator looks through three levels of brackets (e^(sin(x)) inside 1(...))."""
    x = parse("x")
    assert parse("1(x - e^(sin(x)) >= 0)") == sympy.Heaviside(x - sympy.exp(sympy.sin(x)), 1)


def test_the_chain_notes_name_the_variable_differentiated():
    step = differentiate("sigmoid(x y)", wrt="y").steps[0]
    assert (step.rule, text(step.after, True), step.note) == (
        "chain rule", "sigma(x y)(1 - sigma(x y)) · ∂/∂y[x y]", "outer: sigmoid rule with u = x y; times du/dy")


def test_json_keeps_sympys_syntax_for_e_to_the_x():
    """e^x as typed is SymPy's exp(x) for programs (not E**x, which SymPy does not equal to exp(x))."""
    d = differentiate("x^2 sin(x)/(e^x + 1)").to_dict()
    assert (d["expression"], d["steps"][5]["after"]) == ("x**2*sin(x)/(exp(x) + 1)", "exp(x)")
