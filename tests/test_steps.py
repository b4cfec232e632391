"""Derivative-rule steps, backprop steps, self-checking, the `symgrad diff` contract, and LaTeX that compiles."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from strategies import expressions
from sympy import Derivative, Integer

from symgrad import solve, to_graph
from symgrad.parsing import parse
from symgrad.steps import IDENTITIES, Derivation, DerivationError, Step, backprop_steps, diff_steps, differentiate

x, y = sympy.symbols("x y", real=True)
ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("text", "rules"),
    [
        ("x^2 sin(x)", ["product rule", "power rule", "trigonometric rule", "substitution"]),
        ("sin(x)/(x + 1)", ["quotient rule", "trigonometric rule", "sum rule", "substitution"]),
        ("(x^2 + 1)^3", ["chain rule", "sum rule", "power rule", "substitution", "simplification"]),
        ("exp(3x)", ["chain rule", "constant multiple rule", "substitution", "simplification"]),
        ("log(x)", ["logarithm rule"]),
        ("2^x", ["exponential rule"]),
        ("x^x", ["generalized power rule"]),
        ("sigmoid(x)", ["sigmoid rule"]),
        ("tanh(x)", ["tanh rule"]),
        ("relu(x)", ["ReLU rule"]),
        ("abs(x)", ["absolute value rule"]),
        ("max(x, 0)", ["max rule (subgradient)"]),
    ],
)
def test_rules_are_named(text, rules):
    d = diff_steps(parse(text), x)
    assert [s.rule for s in d.steps] == rules
    reference = sympy.diff(parse(text), x)
    if text.startswith(("relu", "max")):  # indicators agree with SymPy's Heaviside except at the kink
        for point in (sympy.Rational(-3, 2), sympy.Rational(5, 2)):
            assert d.result.subs(x, point) == reference.subs(x, point), text
    else:
        assert sympy.simplify(d.result - reference) == 0, text


def test_steps_state_pending_derivatives():
    d = diff_steps(parse("x^2 sin(x)"), x)
    first = d.steps[0]
    assert first.before == Derivative(x**2 * sympy.sin(x), x)
    assert first.after.atoms(Derivative) == {Derivative(x**2, x), Derivative(sympy.sin(x), x)}
    assert d.result == x**2 * sympy.cos(x) + 2 * x * sympy.sin(x)


def test_a_wrong_step_is_a_bug_that_raises():
    wrong = Derivation("broken", (Step("power rule", Derivative(x**2, x), 3 * x),), 3 * x, (x,))
    with pytest.raises(DerivationError, match="does not hold"):
        wrong.checked()
    right = Derivation("fine", (Step("power rule", Derivative(x**2, x), 2 * x),), 2 * x, (x,))
    assert right.checked() is right


def test_a_wrong_backprop_claim_is_caught():
    graph = to_graph("g = x + y\nh = g * z\nf = h + x")
    good = backprop_steps(graph)
    h, z = sympy.symbols("h z", real=True)
    f = sympy.Symbol("f", real=True)
    bad_step = Step("chain rule: upstream × local", Derivative(f, sympy.Symbol("g", real=True)),
                    sympy.Mul(Derivative(f, h), z + 1, evaluate=False))
    with pytest.raises(DerivationError):
        Derivation("bad", (bad_step,), Integer(1), good.variables, resolve=good.resolve).checked()


def test_a_chain_claim_is_checked_by_finite_differences():
    """The claim df/dx of a program is compared at points with a central difference of the whole
    expression (no symbolic derivative per student): a wrong last step is still caught."""
    from symgrad.functions import DerivativeAt
    from symgrad.parsing import parse_program
    from symgrad.steps import chain_steps

    good = chain_steps(parse_program("f2 = 5x^3 - x + 1\nf1 = f2 - 2\nf = 4 f1^2"), "x")
    claim = good.resolve(good.claim)
    assert isinstance(claim, DerivativeAt)
    assert sympy.expand(claim.doit() - good.result) == 0  # exactly, when asked
    wrong = Derivation("wrong", (Step("tidy", good.claim, good.result + x / 10**9),), good.result + x / 10**9,
                       good.variables, resolve=good.resolve)
    with pytest.raises(DerivationError, match="does not hold"):
        wrong.checked()
    at = good.at({"x": Integer(2)})
    assert at.steps[0].value == 8 * 37 * 59  # 8 f1 (15x^2 - 1) at x = 2: exact, from the claim's doit


def test_derivative_at_a_point_by_central_differences():
    import mpmath

    from symgrad.evaluate import evaluate
    from symgrad.functions import DerivativeAt, sigmoid

    for expr, var in ((sympy.sin(x**2) * sympy.exp(x), x), (sigmoid(3 * x) / (1 + x**2), x)):
        d = DerivativeAt.of(expr, var)
        for point in (Integer(-1) / 3, Integer(5) / 4, Integer(2)):
            with mpmath.workdps(30):
                got = evaluate(d, {var: mpmath.mpf(point.p) / point.q})
            want = sympy.diff(expr, var).xreplace({var: point}).evalf(40)
            assert abs(float(got - want)) < 1e-25 * max(1.0, abs(float(want)))
    assert DerivativeAt.of(x**3 * sympy.Symbol("y"), x).free_symbols == {x, sympy.Symbol("y")}


def test_backprop_steps_for_the_seed_graph():
    graph = to_graph("g = x + y\nh = g * z\nf = h + x")
    d = backprop_steps(graph, {"x": Integer(-2), "y": Integer(5), "z": Integer(-4)})
    f = sympy.Symbol("f", real=True)
    values = {str(s.before.variables[0]): s.value for s in d.steps}
    assert values == {"f": 1, "h": 1, "g": -4, "z": 3, "x": -3, "y": -4}
    fan_out = next(s for s in d.steps if s.rule == "sum over paths (fan-out)")
    assert fan_out.before == Derivative(f, sympy.Symbol("x", real=True))
    assert len(fan_out.after.args) == 2
    assert "backprop through h = g z: ∂h/∂g = z" in d.text()


def test_backprop_steps_match_the_backward_pass():
    s = solve("(x + s(y))/(s(x) + (x+y)^2)", {"x": 3, "y": -4}, granularity="coarse", names="descriptive")
    d = s.backprop()
    for step in d.steps:
        node = step.before.variables[0].name
        assert abs(float(step.value.evalf(30)) - s.grad(node).approx) < 1e-12, node


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions)
def test_rule_steps_verify_themselves_on_random_expressions(expr):
    for var in sorted(expr.free_symbols, key=str):
        d = diff_steps(expr, var)  # raises DerivationError if any step were wrong
        point = {s: sympy.Rational(3, 7) + i for i, s in enumerate(sorted(expr.free_symbols, key=str))}
        got = d.result.xreplace(point).evalf(30)
        want = sympy.diff(expr, var).xreplace(point).evalf(30)
        assert abs(float(got - want)) < 1e-12


def test_differentiate_dispatches():
    assert differentiate("x^3").result == 3 * x**2
    assert list(differentiate("x y").result) == [y, x]
    assert differentiate("x y", wrt="y").result == x
    assert differentiate("g = x^2\nf = 3g", wrt="x").result == 6 * x


def run(*args):
    return subprocess.run([sys.executable, "-m", "symgrad", *args], capture_output=True, text=True, cwd=ROOT)


def test_diff_json_contract():
    r = run("diff", "x^2 sin(x)", "--wrt", "x", "--format", "json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert {"expression", "wrt", "result", "steps"} <= set(data)
    assert data["expression"] == "x**2*sin(x)" and data["wrt"] == "x"
    assert data["result"] == "x**2*cos(x) + 2*x*sin(x)"
    assert data["steps"][0] == {
        "rule": "product rule", "before": "Derivative(x**2*sin(x), x)",
        "after": "x**2*Derivative(sin(x), x) + sin(x)*Derivative(x**2, x)",
        "note": "(f·g)' = f'·g + f·g'",
    }
    assert data["steps"][1] == {"rule": "power rule", "before": "Derivative(x**2, x)", "after": "2*x",
                                "note": "d/du u^n = n·u^(n−1) with n = 2"}
    assert [s["rule"] for s in data["steps"]] == ["product rule", "power rule", "trigonometric rule", "substitution"]
    assert data["steps"][-1]["after"] == "x**2*cos(x) + 2*x*sin(x)"  # machine syntax, SymPy's order


def test_diff_text_with_and_without_steps():
    short = run("diff", "sigmoid(2x)")
    answer = short.stdout.strip().splitlines()[-1]
    assert answer == "  1. d/dx[sigma(2x)] = 2 sigma(2x)(1 - sigma(2x))   (result)"
    long = run("diff", "sigmoid(2x)", "--steps")
    assert "(chain rule)" in long.stdout and "outer: sigmoid rule with u = 2x" in long.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["diff", "x +"], "column 4"),
        (["diff", "a = x y\nf = a", ], "say which input"),
        (["diff", "g = x\nf = g", "--wrt", "q"], "'q' is not an input"),
        (["identity", "cosh"], "invalid choice"),
    ],
)
def test_diff_errors(args, message):
    r = run(*args)
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr


def _fragments() -> list[str]:
    from symgrad.parsing import parse_program
    from symgrad.steps import chain_steps, gradient_steps

    fragments = [
        diff_steps(parse("x^2 sin(x)"), x).latex(),
        diff_steps(parse("max(x, y)"), x).latex(),
        diff_steps(parse("(x + s(y))/(s(x) + (x+y)^2)"), x).latex(),
        chain_steps(parse_program("f2 = 5x^3 - x + 1\nf1 = f2 - 2\nf = 4 f1^2"), "x").latex(),
        chain_steps(parse_program("x = sin(u) + cos(v)\ny = e^(u v)\nf = 2x^3 + y"), "u").latex(),
        gradient_steps(parse("max(x, y)"), {"x": Integer(12), "y": Integer(3)}).latex(),
        solve("(x + s(y))/(s(x) + (x+y)^2)", {"x": 3, "y": -4}, granularity="coarse", names="descriptive").latex(),
        solve("g = x + y\nh = g*z\nf = h + x", {"x": -2, "y": 5, "z": -4}).latex(),
    ]
    fragments += [make().latex() for make in IDENTITIES.values()]
    return fragments


def test_latex_fragments_compile(tmp_path):
    if shutil.which("pdflatex") is None:
        if os.environ.get("CI"):
            pytest.fail("pdflatex is missing in CI: .ci/setup should have installed TeX Live")
        pytest.skip("pdflatex is not installed (bash .ci/setup installs it as root)")
    body = "\n\n".join(_fragments())
    document = (
        "\\documentclass{article}\n\\usepackage{amsmath,amssymb}\n"
        "\\usepackage[margin=1cm,paperwidth=60cm,paperheight=100cm]{geometry}\n"
        f"\\begin{{document}}\n{body}\n\\end{{document}}\n"
    )
    (tmp_path / "steps.tex").write_text(document, encoding="utf-8")
    r = subprocess.run(["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", "steps.tex"],
                       cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-3000:]
    if shutil.which("pdftotext"):
        pdf_text = subprocess.run(["pdftotext", "steps.pdf", "-"], cwd=tmp_path, capture_output=True,
                                  text=True).stdout.replace("\u2212", "-")
        assert "chain rule" in pdf_text and "product rule" in pdf_text
        assert "-14" in pdf_text  # the seed's f(-2, 5, -4), from the solve fragment
