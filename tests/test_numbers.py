"""One policy for numbers (printing.format_number): exact when short, else the decimals a problem asks
for, else 4 significant digits; and every output prints a value the same way."""

from __future__ import annotations

import re
from fractions import Fraction

import mpmath
import pytest
import sympy

from symgrad.cli import main
from symgrad.functions import sigmoid
from symgrad.passes import Value
from symgrad.printing import format_exact_and_number, format_number

SIGMA_1 = 0.7310585786300049  # sigmoid(1)
DF_DW0 = -0.19661193324148185  # the neuron's df/dw0 at its point


@pytest.mark.parametrize(("value", "text", "tex"), [
    (-14, "-14", "-14"),
    (sympy.Integer(-14), "-14", "-14"),
    (Fraction(1, 2), "1/2", r"\frac{1}{2}"),
    (sympy.Rational(-1, 2), "-1/2", r"- \frac{1}{2}"),
    (sigmoid(1), "sigma(1)", r"\sigma\left(1\right)"),
    (1 / (sympy.exp(-1) + 1), "sigma(1)", r"\sigma\left(1\right)"),  # the fine-grained neuron's f
    (1 / (1 + sympy.E), "sigma(-1)", r"\sigma\left(-1\right)"),
    (sympy.exp(-1), "e^(-1)", "e^{-1}"),
    (sympy.sqrt(2), "sqrt(2)", r"\sqrt{2}"),
    (sympy.Rational(123456789, 1000000007), "0.1235", "0.1235"),  # a long rational: 4 significant digits
    (sympy.exp(-1) / (sympy.exp(-1) + 1) ** 2, "0.1966", "0.1966"),  # a long exact form: the same
    (Value(None, SIGMA_1), "0.7311", "0.7311"),
    (Value(sympy.Integer(6), 6.0), "6", "6"),
    (SIGMA_1, "0.7311", "0.7311"),
    (1.5461, "1.546", "1.546"),
    (0.00091179, "0.0009118", "0.0009118"),
    (12345.678, "12346", "12346"),
    (9.99996, "10", "10"),
    (0.5, "0.5", "0.5"),
    (sympy.Float(0.5), "0.5", "0.5"),  # a float has no exact form, even one that is a fraction
    (0.0, "0", "0"),
    (1.2345e-5, "1.235e-5", r"1.235 \times 10^{-5}"),
    (-1.234e7, "-1.234e7", r"-1.234 \times 10^{7}"),
    (mpmath.e, "2.718", "2.718"),  # what check.evaluate gives for the answer e
    (None, "", ""),
])
def test_the_policy(value, text, tex):
    assert format_number(value) == text
    assert format_number(value, style="latex") == tex


@pytest.mark.parametrize(("value", "decimals", "text"), [
    (Value(None, SIGMA_1), 2, "0.73"),
    (Value(None, DF_DW0), 2, "-0.20"),  # the seeds keep the zero
    (Value(None, 0.2), 2, "0.20"),
    (Value(None, -0.0001), 2, "0.00"),  # never -0.00
    (Value(None, 0.125), 2, "0.13"),  # half up, as people round
    (Value(None, 1.5461), 2, "1.55"),
    (Value(sympy.Integer(-14), -14.0), 2, "-14"),  # short exact beats the decimals
    (Value(sympy.Rational(1, 2), 0.5), 2, "1/2"),
    (Value(sigmoid(1), SIGMA_1), 2, "sigma(1)"),
])
def test_decimals_when_the_problem_asks(value, decimals, text):
    assert format_number(value, decimals=decimals) == text


def test_more_digits_where_two_numbers_must_be_told_apart():
    assert format_number(SIGMA_1, digits=12) == "0.73105857863"
    with mpmath.workdps(40):
        third = mpmath.mpf(1) / 3
    assert format_number(third, digits=30) == "0." + "3" * 30


@pytest.mark.parametrize(("value", "decimals", "text", "tex"), [
    (Value(sigmoid(1), SIGMA_1), None, "sigma(1) ≈ 0.7311", r"\sigma\left(1\right) \approx 0.7311"),
    (Value(1 / (sympy.exp(-1) + 1), SIGMA_1), None, "sigma(1) ≈ 0.7311", r"\sigma\left(1\right) \approx 0.7311"),
    # beside an exact form the decimal is for reading it: 4 significant digits whatever the problem rounds to
    (Value(sigmoid(1), SIGMA_1), 2, "sigma(1) ≈ 0.7311", r"\sigma\left(1\right) \approx 0.7311"),
    (Value(sympy.exp(-1) + 1, 1.3678794411714423), None, "e^(-1) + 1 ≈ 1.368", r"e^{-1} + 1 \approx 1.368"),
    (Value(sympy.Rational(1, 2), 0.5), None, "1/2", r"\frac{1}{2}"),
    (Value(sympy.Integer(-14), -14.0), 2, "-14", "-14"),
    (Value(None, DF_DW0), None, "-0.1966", "-0.1966"),
    (Value(None, DF_DW0), 2, "-0.20", "-0.20"),
    (None, None, "", ""),
])
def test_exact_and_number(value, decimals, text, tex):
    assert format_exact_and_number(value, decimals=decimals) == text
    assert format_exact_and_number(value, decimals=decimals, style="latex") == tex


def test_refuses_what_is_not_a_number():
    with pytest.raises(TypeError):
        format_number("0.5")
    with pytest.raises(TypeError):
        format_number(True)
    with pytest.raises(ValueError):
        format_number(1, style="html")


# -- sigma(1) through every output -----------------------------------------------------------------

F_TEXT = "sigma(1) ≈ 0.7311"
F_TEX = r"\sigma\left(1\right) \approx 0.7311"
POINT = ["--at", "w0=2", "--at", "w1=-3", "--at", "w2=-3", "--at", "x0=-1", "--at", "x1=-2"]


@pytest.fixture(scope="module")
def neuron():
    from symgrad.documents.bank import load_problem

    problem = load_problem("neuron")
    assert problem.data["granularity"] == "fine"
    return problem


def _cli(capsys, *args: str) -> str:
    assert main(list(args)) in (0, None)
    return capsys.readouterr().out


def _table_cells(table: str, stage: str) -> list[str]:
    row = next(line for line in table.splitlines() if line.startswith(stage + "  "))
    return re.split(r"\s{2,}", row.strip())


def _latex_value(latex: str, stage: str) -> str:
    row = next(line for line in latex.splitlines() if line.startswith(f"${stage}$ & "))
    return row.removeprefix(f"${stage}$ & ").removesuffix(r" \\")


def test_the_neuron_prints_sigma_1_alike_everywhere(neuron, capsys):
    solution = neuron.solution()
    expression = neuron.data["expression"]
    # the CLI's text table: stage, gate, value, gradient (4 significant digits: no rounding asked)
    table = _cli(capsys, "solve", expression, "--granularity", "fine", *POINT)
    assert _table_cells(table, "f = 1/q") == ["f = 1/q", "1/x", F_TEXT, "1"]
    assert _table_cells(table, "w0") == ["w0", "input", "2", "-0.1966"]
    # the CLI's LaTeX, and the notebook's
    latex = _cli(capsys, "solve", expression, "--granularity", "fine", "--format", "latex", *POINT)
    assert _latex_value(latex, r"f = \frac{1}{q}") == f"${F_TEX}$"
    assert _latex_value(solution._repr_latex_(), r"f = \frac{1}{q}") == f"${F_TEX}$"
    # the graph picture's record for f, and the notebook's HTML table
    from symgrad.draw import node_label

    assert node_label(solution, "f").split(" | ") == ["{ f = 1/q", f"data {F_TEXT}", "grad 1 }"]
    html = solution._repr_html_()
    assert re.findall(r"<tr><td>f</td><td>1/q</td><td>(.*?)</td><td>(.*?)</td></tr>", html) == [(F_TEXT, "1")]
    # the documents: the forward table and the answer lines (gradients to the seeds' two decimals)
    from symgrad.documents.views import view

    shown = view(neuron)
    answers = [a for part in shown.parts for a in part.answer]
    assert f"f = {F_TEX}" in answers
    assert r"\frac{\partial f}{\partial w_{0}} = -0.20" in answers
    rows = [row for part in shown.parts for block in part.solution if block.kind == "table"
            for row in block.content["rows"] if row[0] == "f"]
    assert rows and all(row[-1] == F_TEX for row in rows)


def test_the_coarse_neuron_prints_sigma_1_the_same():
    from symgrad.documents.bank import load_problem
    from symgrad.documents.views import view

    problem = load_problem("neuron-code")
    solution = problem.solution()
    assert solution.value(solution.graph.output).exact == sigmoid(1)
    answers = [a for part in view(problem).parts for a in part.answer]
    sigma = problem.symbols.get("sigmoid", r"\sigma")  # the question's own name for it (this one says s)
    assert f"{solution.graph.output} = " + F_TEX.replace(r"\sigma", sigma) in answers
    out = solution.graph.output
    row = next(line for line in solution.table().splitlines() if line.startswith(f"{out} = "))
    assert re.split(r"\s{2,}", row.strip())[2] == F_TEXT


@pytest.mark.parametrize("n, latex_form, text_form", [
    (448, "448", "448"), (5770, "5770", "5770"), (20200, r"20\,200", "20\u2009200"),
    (805371904, r"805\,371\,904", "805\u2009371\u2009904"), (-10000, r"-10\,000", "-10\u2009000"),
])
def test_counts_print_alike_everywhere(n, latex_form, text_form):
    from symgrad.printing import format_count

    assert format_count(n) == latex_form and format_count(n, style="text") == text_form
