"""Staged programs: seed-style lines, and each mistake a person makes with them."""

from __future__ import annotations

import pytest
import sympy

from symgrad import ParseError, ProgramError, parse_program, solve


def test_reads_seed_style_with_comments_and_math_prefix():
    p = parse_program("## forward\nsigy = 1.0 / (1 + math.exp(-y)) # (1)\n\nf = x * sigy # done! # (2)\n")
    assert [a.name for a in p.assignments] == ["sigy", "f"]
    assert [a.line for a in p.assignments] == [2, 4]
    assert p.inputs == ("x", "y")
    assert p.output == "f"


def test_inputs_in_natural_order():
    p = parse_program("a = x10 + x2 + x1\nf = a * w")
    assert p.inputs == ("w", "x1", "x2", "x10")


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        ("a = b + 1\nb = 2\nf = a", ProgramError, "line 1: 'b' is used before it is defined on line 2"),
        ("a = x\na = y", ProgramError, "line 2: 'a' is already defined on line 1"),
        ("a = x + )", ParseError, "line 1, column 9: unexpected ')'"),
        ("f = x\ng += 1", ParseError, "line 2, column 1: augmented assignment"),
        ("lambda = x", ParseError, "'lambda' is a reserved word"),
        ("exp = x", ParseError, "'exp' is a reserved word"),
        ("f = x\nhello", ParseError, "line 2, column 1: expected 'name = expression'"),
        ("2a = x", ParseError, "'2a' is not a valid name"),
    ],
)
def test_program_mistakes(text, error, message):
    with pytest.raises(error) as info:
        parse_program(text)
    assert message in str(info.value)


def test_the_given_names_are_kept_and_the_last_line_is_the_output():
    s = solve("num = x + y\nden = x - y\nratio = num / den", {"x": 3, "y": 1})
    names = [st.name for st in s.graph.stages]
    assert names[:2] == ["num", "den"] and names[-1] == "ratio"
    assert s.graph.output == "ratio"
    assert s.value("ratio").exact == 2
    # d(num/den)/dx = (den - num)/den^2 = (2 - 4)/4
    assert s.grad("x").exact == sympy.Rational(-1, 2)


def test_alias_and_constant_lines():
    s = solve("c = 3\na = x\nf = a * c", {"x": 2})
    ops = {st.name: st.op for st in s.graph.stages}
    assert ops["c"] == "const" and ops["a"] == "id"
    assert s.value("f").exact == 6 and s.grad("x").exact == 3
