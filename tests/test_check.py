"""Answer checking: reading what students type, sound equivalence, verdicts, diagnoses, the check CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sympy
from sympy import Abs, exp, log, sech, sin, sqrt, tanh

from symgrad.check import Context, Tolerance, check, read_answer
from symgrad.functions import sigmoid
from symgrad.parsing import parse

ROOT = Path(__file__).resolve().parent.parent
x, y, u, v, g = sympy.symbols("x y u v g", real=True)
X = Context(("x",))
XY = Context(("x", "y"))

READINGS = [
    ("sin^2(x)", sin(x) ** 2),
    ("sin^2 x", sin(x) ** 2),
    ("sin x^2", sin(x**2)),
    ("sin 2x", sin(2 * x)),
    ("2 sin x cos x", 2 * sin(x) * sympy.cos(x)),
    ("e^x", exp(x)),
    ("e^(x+1)", exp(x + 1)),
    ("|x|", Abs(x)),
    ("|x - 1| + 2*|x|", Abs(x - 1) + 2 * Abs(x)),
    ("ln x", log(x)),
    ("ln(x)", log(x)),
    ("0.5x", x / 2),
    ("x(1+x)", x * (1 + x)),
    ("σ(x)", sigmoid(x)),
    ("2·x", 2 * x),
    ("2×x", 2 * x),
    ("x − 1", x - 1),
    ("x²", x**2),
    ("√x", sqrt(x)),
    ("√(x+1)", sqrt(x + 1)),
    (r"\frac{1}{2}x", x / 2),
    (r"\frac{x+1}{x-1}", (x + 1) / (x - 1)),
    (r"\sqrt{x}", sqrt(x)),
    (r"\sqrt[3]{x}", sympy.root(x, 3)),
    (r"x^{2}", x**2),
    (r"x^2", x**2),
    (r"2 \cdot x", 2 * x),
    (r"2 \times x", 2 * x),
    (r"2x\cos\left(x^{2}\right)", 2 * x * sympy.cos(x**2)),
    (r"\exp(x)", exp(x)),
    (r"\ln x", log(x)),
    (r"\log(x)", log(x)),
    (r"e^{-x}", exp(-x)),
    (r"e^x", exp(x)),
    (r"\tanh^2 x", tanh(x) ** 2),
    (r"\tanh x", tanh(x)),
    (r"1 - \tanh^{2}(x)", 1 - tanh(x) ** 2),
    (r"\sin x^2", sin(x**2)),
    (r"\sigma(x)(1-\sigma(x))", sigmoid(x) * (1 - sigmoid(x))),
    (r"\operatorname{sech}^2(x)", sech(x) ** 2),
    (r"\max(x, 0)", sympy.Max(x, 0)),
    (r"\left|x\right|", Abs(x)),
    (r"\frac{d}{dx}", None),  # d and dx are not names here: invalid, below
]


GOOD_READINGS = [r for r in READINGS if r[1] is not None]


@pytest.mark.parametrize(("text", "expected"), GOOD_READINGS, ids=[r[0] for r in GOOD_READINGS])
def test_readings(text, expected):
    got, reading = read_answer(text, X)
    assert sympy.simplify(got - expected) == 0, f"{text!r} read as {got}"
    assert reading.text and reading.latex


def test_ambiguous_readings_follow_a_rule_and_are_echoed():
    v = check("2x sin(x^2)", r"\sin x^2", X)
    assert v.parsed.text == "sin(x^2)"
    assert any("without parentheses" in n for n in v.parsed.notes)
    v = check("x exp(x)", "xe^x", X)
    assert v.verdict == "correct"
    assert "'xe' is not a name here: read as x*e" in v.parsed.notes
    v = check("x y", "xy", XY)
    assert v.verdict == "correct" and v.parsed.notes == ("'xy' is not a name here: read as x*y",)


def test_unknown_names_are_invalid_and_list_the_allowed_names():
    v = check("2x", "2q", X)
    assert v.verdict == "invalid" and "unknown name 'q': the names here are x" in v.message
    v = check("1", r"\frac{d}{dx}", X)
    assert v.verdict == "invalid" and "unknown name 'd'" in v.message


def test_e_is_eulers_number_unless_declared():
    assert check("exp(x)", "e^x", X).verdict == "correct"
    ctx = Context(("e", "x"))
    assert check("e*x", "e x", ctx).verdict == "correct"
    assert check("e*x", "exp(1) x", ctx).verdict == "incorrect"


def test_intermediate_names_are_read_through_their_definitions():
    ctx = Context(("x", "y", "z"), {"g": x + y})
    assert check("z", "g*0 + z", ctx).verdict == "correct"
    assert check("(x + y)*z", "g z", ctx).verdict == "correct"
    assert check("(x + y)*z", "g", ctx).verdict == "incorrect"


# -- where the other systems fail ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("expected", "answer", "verdict"),
    [
        ("abs(x)", "sqrt(x^2)", "correct"),  # PrairieLearn's equals() cannot decide
        ("x/2", "0.5x", "correct"),  # decimals are refused elsewhere
        ("x^21", "x^20", "incorrect"),  # a fixed tolerance on [-2, 2] lets this pass on some seeds
        ("x^21", "x^21 + 0.0000000001 x", "incorrect"),  # a small extra term
        ("1/x", "1/x + 1e-15", "incorrect"),
        ("1/(2 sqrt(x))", "0.5 x^(-1/2)", "correct"),  # undefined for x < 0: search for valid points
        ("1/x", "d", "invalid"),
        ("log(x)/x", "ln(x)/x", "correct"),
        ("sin(x)^2", "sin^2(x)", "correct"),
        ("x + x^2", "x(1+x)", "correct"),
        ("2 sin(x) cos(x)", "sin(2x)", "correct"),
        ("max(x, 0)", "relu(x)", "correct"),
        ("max(x, 0)", "abs(x)", "incorrect"),  # equal for x > 0 only: the points beside the kink tell
        ("heaviside(x)", "(x + abs(x))/(2x)", "correct"),
        ("1 - tanh(x)^2", "sech(x)^2", "correct"),
        ("4 sigmoid(2x)(1 - sigmoid(2x))", "1 - tanh(x)^2", "correct"),
    ],
)
def test_equivalence(expected, answer, verdict):
    got = check(expected, answer, X)
    assert got.verdict == verdict, (expected, answer, got)


def test_the_seeds_hard_derivative_is_decided_fast():
    f = parse("(x + s(y))/(s(x) + (x+y)^2)")
    key = sympy.diff(f, x)
    answer = sympy.sstr(sympy.together(key))
    start = time.perf_counter()
    assert check(key, answer, XY).verdict == "correct"
    near = answer.replace("2*x + 2*y", "2*x + 3*y", 1) if "2*x + 2*y" in answer else answer + " + 1e-12"
    assert check(key, near, XY).verdict == "incorrect"
    assert time.perf_counter() - start < 2.0


def test_positive_domain():
    assert check("sqrt(x)", "x^(1/2)", Context(("x",), positive=True)).verdict == "correct"
    assert check("abs(x)", "x", Context(("x",), positive=True)).verdict == "correct"
    assert check("abs(x)", "x", X).verdict == "incorrect"


def test_same_input_same_verdict():
    first = [check("x^3", a, X).to_dict() for a in ("3x^2", "3x^2 + 1e-9", "x^3")]
    assert first == [check("x^3", a, X).to_dict() for a in ("3x^2", "3x^2 + 1e-9", "x^3")]
    code = "from symgrad.check import check; print(check('x^3 + sin(x)', '3x^2 + 1e-9').to_dict())"
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env={**os.environ, "PYTHONHASHSEED": s}).stdout for s in ("0", "7")}
    assert len(outs) == 1


def test_undecided_is_never_incorrect():
    v = check("1/(sign(x)^2 - 1)", "0", X)  # the key is undefined wherever x != 0
    assert v.verdict == "undecided" and "undefined" in v.message
    v = check("log(-x^2 - 1)", "0", X)  # the key is nowhere real: the key is at fault (issue 12)
    assert v.verdict == "invalid" and "not a real number" in v.message
    v = check("sin(x)^2 + cos(x)^2", "1", X, time_limit=1e-4)
    assert v.verdict in ("undecided", "correct")
    if v.verdict == "undecided":
        assert "time limit" in v.message


# -- numeric answers -----------------------------------------------------------------------------
def test_numeric_tolerances():
    two = Context(tolerance=Tolerance(decimals=2))
    assert check("sigmoid(1)", "0.73", two).verdict == "correct"
    assert check("sigmoid(1)", "0.74", two).verdict == "incorrect"
    v = check("sigmoid(1)", "0.73")
    assert v.verdict == "incorrect" and "no rounding is allowed" in v.message
    assert check("sigmoid(1)", "sigmoid(1)").verdict == "correct"
    assert check("sigmoid(1)", "1/(1 + e^(-1))").verdict == "correct"
    assert check("1234.5", "1230", Context(tolerance=Tolerance(sigfigs=3))).verdict == "correct"
    assert check("1234.5", "1240", Context(tolerance=Tolerance(sigfigs=3))).verdict == "incorrect"
    assert check("2", "2.05", Context(tolerance=Tolerance(abs=0.1))).verdict == "correct"
    assert check("-14", "14").diagnosis == "sign error"


# -- feedback that names the mistake -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("function", "wrt", "answer", "diagnosis"),
    [
        ("sin(x^2)", "x", "-2x cos(x^2)", "sign error"),
        ("sin(x^2)", "x", "4x cos(x^2)", "constant factor"),
        ("sin(x^2)", "x", "cos(x^2)", "missing inner derivative"),
        ("exp(sin(3x))", "x", "exp(sin(3x)) cos(3x)", "missing inner derivative"),
        ("x y^2", "x", "2 x y", "wrong variable"),
        ("x^3", "x", "x^4/4", "antiderivative"),
        # an antiderivative however the central difference that screens for one sees it
        ("x e^x", "x", "(x - 1) e^x", "antiderivative"),
        ("sigmoid(x)", "x", "log(1 + e^x)", "antiderivative"),
        ("tanh(2x)", "x", "log(cosh(2x))/2", "antiderivative"),
        ("x^2 y", "x", "x^3 y/3 + y", "antiderivative"),
        ("abs(x)", "x", "x abs(x)/2", "antiderivative"),  # a kink: the symbolic test alone
        ("x^3", "x", "x^4/4 + x/10^12", "differs"),  # a slope 10^-12 off: screened in, then told apart
        ("x^3", "x", "x^3", "function instead of derivative"),
        ("x sin(x)", "x", "x cos(x)", "missing path"),  # x reaches f along two paths (product rule)
        ("(x + y) z + x", "x", "z", "missing path"),  # the seed's dx: the path through f = h + x left out
        ("x^3", "x", "3x^2 + 1", "constant term"),
        ("x^3", "x", "2x^2 + x", "differs"),
    ],
)
def test_diagnoses(function, wrt, answer, diagnosis):
    f = parse(function)
    ctx = Context(tuple(sorted(s.name for s in f.free_symbols)), function=f, wrt=wrt)
    v = check(sympy.diff(f, sympy.Symbol(wrt, real=True)), answer, ctx)
    assert (v.verdict, v.diagnosis) == ("incorrect", diagnosis), v
    if diagnosis == "differs":
        assert "your answer is" in v.message and "but the key is" in v.message


# -- the CLI ---------------------------------------------------------------------------------------
def run(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "symgrad", *args], capture_output=True, text=True, input=stdin,
                          cwd=ROOT)


@pytest.mark.parametrize(
    ("args", "status", "first"),
    [
        (["check", "2x cos(x^2)", r"2x\cos\left(x^{2}\right)"], 0, "correct: correct"),
        (["check", "2x cos(x^2)", "cos(x^2)", "--of", "sin(x^2)", "--wrt", "x"], 1,
         "incorrect: the chain rule's inner derivative is missing"),
        (["check", "x", "x +"], 3, "invalid: column 4: unexpected end of input"),
        (["check", "1/(sign(x)^2 - 1)", "1"], 4, "undecided:"),
        (["check", "log(-x^2-1)", "1"], 3, "invalid: the key is not a real number"),
        (["check", "x"], 2, ""),
        (["check", "sigmoid(1)", "0.73", "--decimals", "2"], 0, "correct: correct to 2 decimals"),
    ],
)
def test_check_exit_status(args, status, first):
    r = run(*args)
    assert r.returncode == status, (r.stdout, r.stderr)
    assert r.stdout.startswith(first)


def test_check_json_shows_the_reading():
    r = run("check", "x^2", "x x", "--format", "json")
    assert json.loads(r.stdout) == {"verdict": "correct", "message": "correct", "diagnosis": None,
                                    "parsed": {"text": "x x", "latex": "x x", "notes": []}}  # as typed
    r = run("check", "2x cos(x^2)", "cos(x^2) (2 x) ", "--format", "json")
    assert json.loads(r.stdout)["parsed"]["text"] == "cos(x^2)·2x"  # the order typed


def test_batch_keeps_order_and_survives_bad_lines(tmp_path):
    lines = [
        {"id": "a", "expected": "2x", "answer": "2*x", "vars": "x"},
        "this is not json",
        {"id": "c", "expected": "x^2", "answer": "x^", "vars": "x"},
        {"id": "d", "expected": "x y", "answer": "xy", "vars": "x,y"},
        {"id": "e", "expected": "x", "vars": "x"},
        {"id": "f", "expected": "x", "answer": "y", "vars": "x"},
        [1, 2],
        {"id": "h", "expected": "2x", "answer": "3x", "vars": "x"},
    ]
    path = tmp_path / "b.jsonl"
    path.write_text("\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n")
    r = run("check", "--batch", str(path))
    assert r.returncode == 0
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert [(o["id"], o["verdict"]) for o in out] == [
        ("a", "correct"), (2, "invalid"), ("c", "invalid"), ("d", "correct"), ("e", "invalid"), ("f", "invalid"),
        (7, "invalid"), ("h", "incorrect"),
    ]
    assert all(set(o) == {"id", "verdict", "message", "diagnosis", "parsed"} for o in out)
    assert out[-1]["diagnosis"] == "constant factor"


def test_a_number_against_a_number_key_draws_no_points(monkeypatch):
    """A numeric answer to a numeric key is compared directly: no points are drawn, exact or not."""
    import importlib

    checking = importlib.import_module("symgrad.check")  # the module (symgrad.check is also the function)

    def no_points(*args, **kwargs):
        raise AssertionError("points were drawn for a number against a number")

    monkeypatch.setattr(checking, "_samples", no_points)
    monkeypatch.setattr(checking, "_Sampler", no_points)
    two = Context(tolerance=Tolerance(decimals=2))
    cases = [("-14", "-14", two, "correct"), ("-14", "-13.996", two, "correct"), ("-14", "-13.99", two, "incorrect"),
             ("sigmoid(1)", "0.73", two, "correct"), ("sigmoid(1)", "1/(1 + e^(-1))", Context(), "correct"),
             ("-14", "14", two, "incorrect"), ("exp(-1)/(exp(-1) + 1)^2", "0.21", two, "incorrect"),
             ("1/3", "1/3", Context(), "correct"), ("1/3", "0.333", Context(), "incorrect"), ("3", "x", two, "invalid")]
    for key, answer, context, verdict in cases:
        assert check(key, answer, context).verdict == verdict, (key, answer)
