"""Issue 16, item 1: the expression a person typed is echoed as they wrote it (their order of terms and
factors, their names) in every output, while the mathematics runs on SymPy's canonical form."""

from __future__ import annotations

import sympy
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from symgrad import solve
from symgrad.check import Context, check
from symgrad.errors import ParseError
from symgrad.parsing import as_written, parse
from symgrad.printing import latex, sympy_syntax, text
from symgrad.steps import differentiate
from symgrad.written import is_written, plain

TYPED = [  # (typed, echoed as text, echoed as LaTeX)
    ("(x+y)z + x", "(x + y)z + x", r"\left(x + y\right) z + x"),
    ("x/(x^2+1) - 3 sqrt(x)", "x/(x^2 + 1) - 3 sqrt(x)", r"\frac{x}{x^{2} + 1} - 3 \sqrt{x}"),
    ("w x + b", "w x + b", "w x + b"),
    ("8(15x^2 - 1)(5x^3 - x - 1)", "8(15x^2 - 1)(5x^3 - x - 1)",
     r"8 \left(15 x^{2} - 1\right) \left(5 x^{3} - x - 1\right)"),
    ("a - b - c", "a - b - c", "a - b - c"),
    ("-(a + b) + c", "-(a + b) + c", r"- \left(a + b\right) + c"),
    ("(x + s(y))/(s(x) + (x+y)^2)", "(x + sigma(y))/(sigma(x) + (x + y)^2)",
     r"\frac{x + \sigma\left(y\right)}{\sigma\left(x\right) + \left(x + y\right)^{2}}"),
]


def test_each_typed_expression_is_echoed_in_its_order():
    for typed, shown, tex in TYPED:
        written = as_written(typed)
        assert (text(written), latex(written)) == (shown, tex), typed
        assert sympy.simplify(plain(written) - parse(typed)) == 0, typed  # the same mathematics


def test_solve_heads_its_table_with_the_expression_as_typed():
    table = solve("(x+y)z + x", {"x": -2, "y": 5, "z": -4}).table()
    assert table.splitlines()[0] == "f(x, y, z) = (x + y)z + x"
    assert solve("(x+y)z + x").to_dict()["expression"] == "x + z*(x + y)"  # JSON: SymPy's canonical syntax


def test_a_program_line_prints_as_its_author_wrote_it():
    s = solve("num = x + 1\ninvden = 1/(x + 2)\nf = num * invden", {"x": 1})
    rows = s.table().splitlines()
    assert any(r.startswith("f = num invden ") for r in rows)
    assert any(r.startswith("invden = 1/g ") for r in rows)  # two stages (g = x + 2): the staged form
    assert rows[0] == "f(x) = (x + 1)/(x + 2)"
    assert "backprop through f = num invden" in s.backprop().text()


def test_diff_follows_the_terms_in_the_order_typed():
    d = differentiate("x/(x^2+1) - 3 sqrt(x)")
    assert d.title == "d/dx of x/(x^2 + 1) - 3 sqrt(x)"
    first = d.steps[0]
    assert (first.rule, text(first.after)) == ("sum rule", "d/dx[x/(x^2 + 1)] - d/dx[3 sqrt(x)]")
    assert d.to_dict()["expression"] == "-3*sqrt(x) + x/(x**2 + 1)"


def test_check_reads_back_the_answer_in_the_order_typed():
    v = check("w*x + b", "x w + b", Context(("b", "w", "x")))
    assert v.verdict == "correct" and v.parsed.text == "x w + b" and v.parsed.latex == "x w + b"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["x", "y", "2", "3x", "sin(x)", "(x + 1)", "e^y", "x^2", "1/x"]), min_size=2,
                max_size=5), st.lists(st.sampled_from(["+", "-", " ", "*", "/"]), min_size=4, max_size=4))
def test_the_written_reading_is_the_same_expression(pieces, ops):
    typed = pieces[0] + "".join(op + piece for op, piece in zip(ops, pieces[1:]))
    try:
        written = as_written(typed)
    except ParseError:
        assume(False)  # x 1/x: the grammar asks for a '*' before a number on the right
    assert sympy.simplify(plain(written) - parse(typed)) == 0, typed
    assert parse(text(written)) == parse(typed) or sympy.simplify(parse(text(written)) - parse(typed)) == 0, typed
    assert not is_written(plain(written)) and "Written" not in sympy_syntax(written)
