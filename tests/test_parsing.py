"""The text grammar: (input, expected SymPy) pairs, and every kind of bad input with its column."""

from __future__ import annotations

import pytest
import sympy
from sympy import Abs, E, Heaviside, Max, Min, Rational, cos, exp, log, pi, sech, sin, sqrt, tan, tanh

from symgrad import LimitError, ParseError, parse
from symgrad.functions import relu, sigmoid

x, y, z, xpy, s, t, w0 = sympy.symbols("x y z xpy s t w0", real=True)

GOOD = [
    ("x + y", x + y),
    ("x - y", x - y),
    ("x*y", x * y),
    ("x/y", x / y),
    ("x^2", x**2),
    ("x**2", x**2),
    ("-x^2", -(x**2)),
    ("x^-2", x**-2),
    ("2^3^2", sympy.Integer(2**9)),  # right associative
    ("-x", -x),
    ("--x", x),
    ("+x", x),
    ("2x", 2 * x),
    ("2 x", 2 * x),
    ("x y", x * y),
    ("2(x+1)", 2 * (x + 1)),
    ("(x+1)(x-1)", (x + 1) * (x - 1)),
    ("x(y+1)", x * (y + 1)),
    ("2sin(x)cos(x)", 2 * sin(x) * cos(x)),
    ("1/2x", x / 2),  # left to right, as Python: (1/2)*x
    ("xpy", xpy),  # identifiers are whole words
    ("w0", w0),
    ("0.5", Rational(1, 2)),
    ("1.0", sympy.Integer(1)),
    (".25", Rational(1, 4)),
    ("1e-3", Rational(1, 1000)),
    ("0.5x", x / 2),
    ("3/4", Rational(3, 4)),
    ("exp(x)", exp(x)),
    ("e^x", exp(x)),
    ("e", E),
    ("pi", pi),
    ("log(x)", log(x)),
    ("ln(x)", log(x)),
    ("sqrt(x)", sqrt(x)),
    ("sin(x)", sin(x)),
    ("cos(x)", cos(x)),
    ("tan(x)", tan(x)),
    ("sinh(x)", sympy.sinh(x)),
    ("cosh(x)", sympy.cosh(x)),
    ("tanh(x)", tanh(x)),
    ("sech(x)", sech(x)),
    ("abs(x)", Abs(x)),
    ("max(x, y)", Max(x, y)),
    ("min(x, y, z)", Min(x, y, z)),
    ("sigmoid(x)", sigmoid(x)),
    ("s(x)", sigmoid(x)),
    ("sigma(x)", sigmoid(x)),
    ("σ(x)", sigmoid(x)),
    ("relu(x)", relu(x)),
    ("heaviside(x)", Heaviside(x)),
    ("math.exp(-y)", exp(-y)),
    ("s*t", s * t),  # s is sigmoid only when called
    ("x · y", x * y),
    ("x × y", x * y),
    ("x − y", x - y),
    ("1.0 / (1 + math.exp(-y))", 1 / (1 + exp(-y))),
]


@pytest.mark.parametrize(("text", "expected"), GOOD, ids=[g[0] for g in GOOD])
def test_reads(text, expected):
    got = parse(text)
    assert sympy.simplify(got - expected) == 0, f"{text!r} read as {got}"
    assert got.free_symbols == expected.free_symbols, text


def test_keeps_the_shape_the_user_wrote():
    # 2(x+1) is not distributed, -(a+b) stays a negation: staging follows what was written
    assert parse("2(x+1)").is_Mul and set(parse("2(x+1)").args) == {sympy.Integer(2), x + 1}
    assert parse("-(x+y)").could_extract_minus_sign()
    assert len(parse("-(x+y)").args) == 2


def test_variables_shadow_constants():
    e = sympy.Symbol("e", real=True)
    assert parse("e*x", variables=["e"]) == e * x
    assert parse("e*x") == E * x


BAD = [
    ("x +", 4, "unexpected end of input"),
    ("x + )", 5, "unexpected ')'"),
    ("(x", 3, "unexpected end of input"),
    ("x 2", 3, "unexpected number '2'"),
    ("3 $", 3, "unexpected character '$'"),
    ("exp", 1, "'exp' needs an argument: write exp(x) or exp x"),
    ("2 + sin", 5, "'sin' needs an argument"),
    ("max(x)", 1, "max() takes at least 2 arguments"),
    ("sin(x, y)", 1, "sin() takes 1 argument"),
    ("2^100000", 2, "exponent 100000 is too large"),
    ("x * * y", 5, "unexpected '*'"),
    ("foo(x", 6, "unexpected end of input"),
    ("x = 3", 3, "unexpected character '='"),
]


@pytest.mark.parametrize(("text", "column", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_names_column_and_problem(text, column, message):
    with pytest.raises(ParseError) as info:
        parse(text)
    assert info.value.column == column, f"{text!r}: {info.value}"
    assert message in str(info.value), f"{text!r}: {info.value}"
    assert str(info.value).startswith(f"column {column}: ")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("1/0", "division by zero"),
        ("x" * 2001, "longer than 2000 characters"),
        ("(" * 61 + "x" + ")" * 61, "parentheses nested more than 60 deep"),
        ("-" * 100 + "x", "nested more than 60 levels"),
        ("12345678901234567890123456789012", "more than 30 digits"),
        ("(2^999)^999", "too large a number"),
        ("1e5000", "exponent of 1e5000 is too large"),
    ],
)
def test_limits_and_undefined_input(text, message):
    with pytest.raises(ParseError) as info:
        parse(text)
    assert message in str(info.value)


def test_limit_errors_are_parse_errors_with_their_own_type():
    with pytest.raises(LimitError):
        parse("x^5000")


def test_long_but_flat_input_is_fine():
    expr = parse(" + ".join(f"x{i}" for i in range(300)))
    assert len(expr.args) == 300


def test_non_text_is_refused():
    with pytest.raises(ParseError, match="expected text"):
        parse(3)  # type: ignore[arg-type]


@pytest.mark.parametrize("text, tex", [
    ("tanh x", r"\tanh\left(x\right)"),
    ("sin x^2", r"\sin\left(x^{2}\right)"),
    ("sin^2 x", r"\sin^{2}\left(x\right)"),
    ("sin^2(x)", r"\sin^{2}\left(x\right)"),
    ("|x - y|", r"\left|x - y\right|"),
    ("sigma'(z)", r"\sigma'\left(z\right)"),
    ("a ⊙ b", r"a \odot b"),
])
def test_the_authors_order_printer_reads_every_form_the_grammar_reads(text, tex):
    from symgrad.parsing.tex import text_to_latex

    assert text_to_latex(text) == tex, text


@pytest.mark.parametrize("text", ["3", "-3", " - 3.50 ", "0.393", ".5", "3.", "-0", "007", "1" * 30, "-.25\t",
                                  "-14.00012"])
@pytest.mark.parametrize("keep_shape", [True, False])
def test_a_plain_number_is_read_as_the_grammar_reads_it(text, keep_shape):
    """A plain decimal skips the grammar: the same exact rational, of the same SymPy type, and no note
    (in brackets the same number goes through the grammar)."""
    from symgrad.parsing.text import read

    fast, notes = read(text, keep_shape=keep_shape)
    grammar, grammar_notes = read(f"({text})", keep_shape=keep_shape)
    assert fast == grammar and type(fast) is type(grammar) and notes == grammar_notes == []


def test_a_plain_number_with_too_many_digits_is_still_refused():
    with pytest.raises(LimitError, match="more than 30 digits"):
        parse("1" * 31)
