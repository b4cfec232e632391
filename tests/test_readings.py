"""Answers as students type them (issue 12, items 3 and 5): each reading rule is a row of a table,
(input, the problem's names, the SymPy it is read as, a fragment of the note echoed with the verdict),
and an unknown function is refused with its name and the functions it may have meant."""

from __future__ import annotations

from importlib.resources import files

import pytest
import sympy
from sympy import E, Heaviside, cos, exp, sin

from symgrad import ParseError, parse
from symgrad.check import Context, check
from symgrad.cli import main
from symgrad.functions import relu, sigmoid
from symgrad.parsing import text as text_module
from symgrad.parsing.limits import Limits
from symgrad.parsing.text import read
from symgrad.printing import text

x, y = sympy.symbols("x y", real=True)
XY = ("x", "y")

READINGS = [
    # the indicator, as the printer writes it (printing.indicator): the inverse of that printing
    ("1(x >= y)", XY, Heaviside(x - y, 1), "1(x >= y) is the indicator: 1 where x >= y"),
    ("1(x > 0)", XY, Heaviside(x, 0), "1(x > 0) is the indicator"),
    ("1(x>=y)", None, Heaviside(x - y, 1), "is the indicator"),
    ("1(x - y > 0)", XY, Heaviside(x - y, 0), "is the indicator"),
    ("1(x < y)", XY, Heaviside(y - x, 0), "1 where x < y"),
    ("1(x <= y)", XY, Heaviside(y - x, 1), "1 where x <= y"),
    ("1(x ≥ y)", XY, Heaviside(x - y, 1), "x >= y"),
    ("(x - y) 1(x >= y)", XY, (x - y) * Heaviside(x - y, 1), "is the indicator"),
    ("2x*1(x > 0)", XY, 2 * x * Heaviside(x, 0), "is the indicator"),
    (r"1(x \geq y)", XY, Heaviside(x - y, 1), "1(x >= y) is the indicator"),
    (r"1\left(x > 0\right) \cdot 2", XY, 2 * Heaviside(x, 0), "is the indicator"),
    # a run of letters: the problem's names, then a known function before its bracket
    ("2xcos(x^2)", XY, 2 * x * cos(x**2), "'xcos' before a bracket is read as x*cos(...)"),
    ("xycos(x)", XY, x * y * cos(x), "read as x*y*cos(...)"),
    ("xsinh(y)^2", XY, x * sympy.sinh(y) ** 2, "read as x*sinh(...)"),
    ("yexp(x)", XY, y * exp(x), "read as y*exp(...)"),
    ("xs(y)", XY, x * sigmoid(y), "read as x*s(...)"),
    ("sin xcos(x)", XY, sin(x * cos(x)), "read as x*cos(...)"),
    ("xy(x + 1)", XY, x * y * (x + 1), "'xy' is not a name here: read as x*y"),
    (r"\frac{1}{2}xcos(x)", XY, x * cos(x) / 2, "read as x*cos(...)"),
    (r"\frac{1}{2}cos(x)", XY, cos(x) / 2, "read as the function cos"),
    # a number after a closing bracket is a factor
    ("cos(x^2) 2x", XY, 2 * x * cos(x**2), "a number after a closing bracket multiplies"),
    ("cos(x^2)2x", XY, 2 * x * cos(x**2), "') 2' is read as ')*2'"),
    ("(x + 1) 2", XY, 2 * (x + 1), "multiplies"),
    ("(x + 1) 0.5x", XY, (x + 1) * x / 2, "') 0.5' is read as ')*0.5'"),
    ("(x + 1) 2^3", XY, 8 * (x + 1), "multiplies"),
    (r"\cos\left(x^2\right) 2x", XY, 2 * x * cos(x**2), "multiplies"),
    # what students write around an answer
    ("f'(x) = 2x", XY, 2 * x, "read the answer after 'f'(x) ='"),
    ("f'(x)= 2x", XY, 2 * x, "read the answer after 'f'(x) ='"),
    ("y' = 2x", XY, 2 * x, "read the answer after 'y' ='"),
    ("sigma'(x) = s(x)(1 - s(x))", XY, sigmoid(x) * (1 - sigmoid(x)), "after 'sigma'(x) ='"),
    ("dy/dx = 2x", XY, 2 * x, "read the answer after 'dy/dx ='"),
    ("df/dx=2x", XY, 2 * x, "read the answer after 'df/dx ='"),
    ("∂f/∂x = 2x", XY, 2 * x, "read the answer after '∂f/∂x ='"),
    ("d/dx f = 2x", XY, 2 * x, "read the answer after 'd/dx f ='"),
    ("d/dx (x^2) = 2x", XY, 2 * x, "read the answer after 'd/dx (x^2) ='"),
    (r"\frac{dy}{dx} = 2x", XY, 2 * x, r"read the answer after '\frac{dy}{dx} ='"),
    (r"\frac{d}{dx} f = 2x", XY, 2 * x, r"read the answer after '\frac{d}{dx} f ='"),
    ("= 2x", XY, 2 * x, "read the answer after '='"),
    ("2x =", XY, 2 * x, "read the answer without the trailing '='"),
    ("2x.", XY, 2 * x, "read the answer without the trailing '.'"),
    ("f'(x) = 2x.", XY, 2 * x, "without the trailing '.'"),
    # the exponent is the number alone, and the notes say so
    ("2e^2x", XY, 2 * E**2 * x, "2e^2x is read as 2e^2*x: the exponent is 2 alone (write 2e^(2x)"),
    ("e^2x", XY, E**2 * x, "write e^(2x) for the power 2x"),
    ("x^2y", XY, x**2 * y, "x^2y is read as x^2*y"),
    ("2e**2x", XY, 2 * E**2 * x, "the exponent is 2 alone"),
    # functions written without parentheses: every one-argument function that is not also a variable
    ("relu x", XY, relu(x), "relu without parentheses applies to what follows it"),
    ("sigmoid 2x", XY, sigmoid(2 * x), "sigmoid without parentheses"),
]


@pytest.mark.parametrize(("typed", "names", "expected", "note"), READINGS, ids=[r[0] for r in READINGS])
def test_each_reading_is_read_and_echoed(typed, names, expected, note):
    latex = "\\" in typed or "{" in typed
    got, notes = read(typed, names=names, variables=names or (), latex=latex)
    assert sympy.simplify(got - expected) == 0, f"{typed!r} read as {got}"
    assert got.free_symbols == expected.free_symbols, typed
    assert any(note in n for n in notes), f"{typed!r}: notes {notes}"


# What is read exactly as before, with no note: a note is for a reading a student may not expect.
UNCHANGED = [
    ("2x cos(x^2)", XY, 2 * x * cos(x**2)),
    ("x(y + 1)", None, x * (y + 1)),
    ("x(y + 1)", XY, x * (y + 1)),
    ("e(x + 1)", XY, E * (x + 1)),
    ("2.", XY, sympy.Integer(2)),
    ("max(0,5)", XY, sympy.Integer(5)),
    ("max(x, y)", XY, sympy.Max(x, y)),
    ("x^2 sin(x)", XY, x**2 * sin(x)),
    ("x^2 (x + 1)", XY, x**2 * (x + 1)),
    ("2e3x", XY, 2000 * x),
    ("sigma'(x)", XY, sigmoid(x) * (1 - sigmoid(x))),
]


@pytest.mark.parametrize(("typed", "names", "expected"), UNCHANGED, ids=[r[0] for r in UNCHANGED])
def test_plain_input_is_read_without_a_note(typed, names, expected):
    got, notes = read(typed, names=names, variables=names or ())
    assert got == expected and notes == [], (typed, got, notes)


REFUSED = [
    ("softplu(x)", None, 1, "unknown function 'softplu' (did you mean softplus?)"),
    ("zzzz(x)", None, 1, "unknown function 'zzzz' (the functions are abs, acos, acosh,"),
    ("mish(x)", XY, 1, "unknown function 'mish'"),
    ("atn(x)", XY, 1, "unknown function 'atn' (did you mean"),
    ("2 + sinn(x)", None, 5, "unknown function 'sinn' (did you mean sin"),
    ("x^foo(x)", None, 3, "unknown function 'foo'"),
    ("-coss(x)^2", XY, 2, "did you mean cos"),
    ("2xcos(x^2)", None, 2, "unknown function 'xcos' (did you mean cos"),  # no names: no split
    ("xy(x + 1)", None, 1, "unknown function 'xy'"),
    ("f(x)", XY, 1, "unknown function 'f'"),
    ("zcos(x)", XY, 1, "unknown function 'zcos'"),
    (r"\operatorname{softplu}(x)", XY, 1, "unknown function 'softplu'"),
    (r"softplu\left(x\right)", XY, 1, "unknown function 'softplu'"),
    ("0,5", XY, 2, "'0,5' has a decimal comma: use a decimal point: 0.5"),
    ("2x + 12,25", XY, 8, "use a decimal point: 12.25"),
    ("(0,5)", XY, 3, "use a decimal point: 0.5"),
    ("x > 0", XY, 3, "a comparison is read only in an indicator such as 1(x > 0)"),
    ("2(x > 0)", XY, 5, "a comparison is read only in an indicator"),
    ("f'(x) =", XY, None, "the expression is empty (read the answer after 'f'(x) =')"),
    ("x = 3", XY, 3, "unexpected character '='"),  # a name is not a label: only derivatives are
    ("x 2", XY, 3, "unexpected number '2'"),  # a number still follows only a closing bracket
]


@pytest.mark.parametrize(("typed", "names", "column", "message"), REFUSED, ids=[r[0] for r in REFUSED])
def test_refused_with_its_reason_and_column(typed, names, column, message):
    latex = "\\" in typed or "{" in typed
    with pytest.raises(ParseError) as info:
        read(typed, names=names, variables=names or (), latex=latex)
    assert message in str(info.value), f"{typed!r}: {info.value}"
    assert info.value.column == column, f"{typed!r}: {info.value}"
    assert "\n" not in str(info.value)


def test_a_declared_variable_before_a_bracket_is_a_product():
    assert parse("ab(x + 1)", variables=["ab"]) == sympy.Symbol("ab", real=True) * (x + 1)
    assert parse("w0(x + 1)") == sympy.Symbol("w0", real=True) * (x + 1)  # indexed names are variables
    assert parse("ab*(x + 1)") == sympy.Symbol("ab", real=True) * (x + 1)  # an explicit product


@pytest.mark.parametrize("typed", ["1(x >= y)", "1(x > 0)", "1(x > y)", "1(-x > 0)", "2·1(x >= y)"])
def test_the_indicator_reads_back_what_the_printer_writes(typed):
    assert text(parse(typed)) == typed
    assert parse(text(parse(typed))) == parse(typed)


def test_the_indicator_is_checked_against_the_key_it_prints_from():
    assert check(Heaviside(x - y, 1), "1(x >= y)", Context(XY)).verdict == "correct"
    assert check(Heaviside(x, 0), "1(x > 0)", Context(("x",))).verdict == "correct"
    assert check("x*1(x >= y)", "1(x<y) x", Context(XY)).verdict == "incorrect"


def test_the_grammars_take_their_function_names_from_the_table():
    for grammar, placeholders in (("expr.lark", ("@CALL@", "@DERIVATIVE@", "@BARE@")),
                                  ("latex.lark", ("@COMMAND@", "@OPERATOR@"))):
        source = files("symgrad.parsing").joinpath(grammar).read_text(encoding="utf-8")
        rules = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("//"))
        assert all(p in rules for p in placeholders), grammar
        for name in ("sinh", "tanh", "sigmoid", "relu", "sech"):
            assert name not in rules, (grammar, name)


@pytest.fixture
def mish_row(monkeypatch):
    """A function added as one row of the parser's table: nothing else in the parser changes."""
    mish = sympy.Function("mish")
    monkeypatch.setitem(text_module.FUNCTIONS, "mish", (mish, 1, 1))
    monkeypatch.setattr(text_module, "RESERVED", text_module.RESERVED | {"mish"})
    text_module._parser.cache_clear()
    text_module._read_cached.cache_clear()
    yield mish
    monkeypatch.undo()
    text_module._parser.cache_clear()
    text_module._read_cached.cache_clear()


def test_a_new_row_is_all_a_function_needs(mish_row):
    assert parse("mish(x)") == mish_row(x)
    assert parse("mish x^2") == mish_row(x**2)  # without parentheses, as sin x^2
    assert parse(r"\operatorname{mish}(x)", latex=True) == mish_row(x)
    assert read("2xmish(x)", names=XY)[0] == 2 * x * mish_row(x)
    with pytest.raises(ParseError, match=r"column 1: unknown function 'mishh' \(did you mean mish or swish\?\)"):
        parse("mishh(x)")


def test_the_commands_refuse_an_unknown_function_on_one_line(capsys):
    assert main(["diff", "softplu(x)"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("symgrad: error: column 1: unknown function 'softplu' (") and err.count("\n") == 1
    assert main(["solve", "arctn(x) + x"]) == 2
    assert "unknown function 'arctn' (did you mean arctan" in capsys.readouterr().err
    assert main(["check", "1/(1 + x^2)", "arctn(x)"]) == 3
    assert capsys.readouterr().out.startswith("invalid: column 1: unknown function 'arctn'")
    assert main(["check", "atan(x^2)", "arctan(x^2)"]) == 0  # a new row: read, evaluated, compared


def test_check_echoes_the_readings(capsys):
    assert main(["check", "2x cos(x^2)", "2xcos(x^2)", "--wrt", "x"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("correct") and "note:    'xcos' before a bracket is read as x*cos(...)" in out
    assert main(["check", "2x cos(x^2)", "f'(x) = cos(x^2) 2x."]) == 0
    out = capsys.readouterr().out
    assert "read the answer after 'f'(x) ='" in out and "closing bracket" in out and "trailing '.'" in out
    assert main(["check", "1/2", "0,5"]) == 3
    assert capsys.readouterr().out == "invalid: column 2: '0,5' has a decimal comma: use a decimal point: 0.5\n"


@pytest.mark.parametrize("text, limit", [("((3x)^1000)^1000", None), ("(7x y)^900", None),
                                         ("(7x y)^9000", Limits(max_power=10**4))])
def test_a_power_whose_coefficient_would_be_a_huge_number_is_refused_at_once(text, limit):
    """SymPy distributes an integer power over a product's coefficient at construction: (3x)^1000 is
    3^1000 x^1000. A coefficient too large to build is refused while reading, before any time is spent."""
    if text == "(7x y)^900":  # 7^900 has 2527 bits: read as it is
        assert parse(text) == (7 * x * sympy.Symbol("y", real=True)) ** 900
        return
    with pytest.raises(ParseError, match="this power makes too large a number"):
        parse(text, limits=limit) if limit else parse(text)
