"""Sound answer checking (issue 12, items 4 and 6): exact numbers compared exactly, decimals within
the tolerance and said so, values that are not real, large integer powers, no check that raises,
and the activation left where its derivative belongs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symgrad.check import ACTIVATION_DERIVATIVES, VERDICTS, Context, Tolerance, check
from symgrad.documents.distractors import distractors
from symgrad.documents.keys import Key
from symgrad.errors import SymgradError
from symgrad.parsing import parse

ROOT = Path(__file__).resolve().parent.parent

# (key, answer, verdict, a fragment of the message); the variables are the key's
CASES = [
    # two exact numbers are compared exactly
    ("99999998/99999999", "99999999/10^8", "incorrect", "they differ by 1/9999999900000000"),
    ("99999998/99999999", "99999998/99999999", "correct", "correct"),
    ("sqrt(8)", "2 sqrt(2)", "correct", "correct"),
    ("sigmoid(1)", "1/(1 + e^(-1))", "correct", "correct"),
    ("(1 + sqrt(2))^2", "3 + 2 sqrt(2)", "correct", "equal to the key"),
    ("pi", "355/113", "incorrect", "they differ by 2.67e-7"),
    ("10^300", "10^300 + 1", "incorrect", "they differ by 1"),
    ("exp(1000)", "exp(1000) + sqrt(2)", "incorrect", "they differ by 1.41"),
    ("tan(10^300)", "sin(10^300)/cos(10^300)", "correct", "equal to the key"),  # needs 300 digits
    ("tan(10^300)", "sin(10^300)/cos(10^300) + sqrt(2)/10^30", "incorrect", "they differ by 1.41e-30"),
    ("-14", "14", "incorrect", "the sign is wrong"),
    # a decimal the student types is an approximation: within the tolerance, and said so
    ("1/3", "0.3333333333333333", "correct",
     "correct to 16 significant digits; the exact value is 1/3 (your answer was taken as a decimal)"),
    ("sqrt(2)", "1.4142135623730951", "correct", "the exact value is sqrt(2)"),
    ("1/3", "0.33", "incorrect", "your answer is 0.33 but the key is 0.3333333333"),
    # values that are not real
    ("1", "sqrt(-2)", "incorrect", "your answer is not a real number (it is 1.4142136i), where the key is 1"),
    ("1", "log(-1)", "incorrect", "not a real number (it is 3.1415927i)"),
    ("-2", "(-8)^(1/3)", "incorrect", "not a real number (it is 1 + 1.7320508i)"),
    ("2", "(1 + sqrt(-1))(1 - sqrt(-1))", "correct", "correct"),  # real, though its factors are not
    ("x", "sqrt(-x^2 - 1)", "incorrect", "your answer is not a real number at x = "),
    ("x", "x^x", "incorrect", "your answer is not a real number at x = -0.6"),
    ("x", "(1 + sqrt(-1))(1 - sqrt(-1)) x/2", "correct", "correct"),
    ("sqrt(-2)", "1", "invalid", "the key sqrt(-2) is not a real number (it is 1.4142136i)"),
    ("log(-1)", "1", "invalid", "the key log(-1) is not a real number"),
    ("log(-x^2 - 1)", "0", "invalid", "the key is not a real number at any point tried"),
    ("sqrt(-x^2 - 1)", "1", "invalid", "the key is not a real number at any point tried (at x = "),
    # undefined and too large
    ("1", "1/0", "invalid", "division by zero"),
    ("x", "1/(sign(x)^2 - 1)", "incorrect", "your answer is undefined at x = "),
    ("x + exp(-1)", "x + exp(exp(exp(x^2 + 4)))/exp(exp(exp(x^2 + 4)) + 1)", "undecided",
     "your answer cannot be evaluated at x = "),
    ("1", "cosh(10^300)", "undecided", "cannot be evaluated"),
    # large integer powers are evaluated; what is refused says why
    ("6000 (x - a)^5999", "-6000 (a - x)^5999", "correct", "agrees with the key"),
    ("6000 (x - a)^5999", "6000 (a - x)^5999", "incorrect", "the sign is wrong"),
    ("(x - a)^6000", "(x - a)^6001", "incorrect", "your answer is 1.1171401e+747"),
    ("x", "x^20000", "incorrect", "your answer is"),  # read and evaluated: the exponent is no limit of its own
    ("x", "2^30000", "invalid", "this power makes too large a number"),  # the exact number it would make is
    ("x", "(2x)^100000", "invalid", "this power makes too large a number"),
]


@pytest.mark.parametrize(("key", "answer", "verdict", "fragment"), CASES, ids=[f"{c[0]} | {c[1]}" for c in CASES])
def test_sound_verdicts(key, answer, verdict, fragment):
    v = check(key, answer)
    assert (v.verdict, fragment in v.message) == (verdict, True), v
    v.to_dict()  # the reading prints


def test_a_decimal_key_or_a_stated_tolerance_keeps_the_tolerance():
    assert check("1234.5", "1230", Context(tolerance=Tolerance(sigfigs=3))).verdict == "correct"
    assert check("1/3", "0.333333333333").verdict == "correct"  # 12 digits: within 1e-12
    assert check("1/3", "0.33333333333").verdict == "incorrect"  # 11 digits: not


def test_a_huge_reading_prints():
    v = check("x", "(12345678901234567890x)^300")  # a 19200-bit coefficient: just under the reading's bit limit
    assert v.verdict == "incorrect"
    assert v.parsed.text == "(12345678901234567890x)^300" and v.parsed.latex  # echoed as typed
    assert check("x", "(123456789012345678901234567890x)^1000").message.endswith("this power makes too large a number")


def test_keys_with_branches_and_jumps_are_evaluated():
    x = sympy.Symbol("x", real=True)
    elu = sympy.diff(parse("elu(x)"), x)  # Piecewise((exp(x), x <= 0), (1, True))
    assert check(elu, "heaviside(-x) exp(x) + heaviside(x)").verdict == "correct"
    assert check(elu, "exp(x)").verdict == "incorrect"
    assert check(sympy.diff(x * sympy.sign(x), x), "sign(x)").verdict == "correct"  # 2 x DiracDelta(x) + sign(x)
    leaky = sympy.diff(parse("leaky_relu(x)"), x)  # its jump at 0 is sampled on both sides, as a kink
    assert check(leaky, "heaviside(x) + heaviside(-x)/100").verdict == "correct"
    assert check(leaky, "heaviside(x) + heaviside(-x)/10").verdict == "incorrect"


def test_the_cli_prints_a_verdict_not_a_traceback():
    r = subprocess.run([sys.executable, "-m", "symgrad", "check", "1", "sqrt(-2)"], capture_output=True, text=True,
                       cwd=ROOT)
    assert (r.returncode, r.stderr) == (1, "")
    assert r.stdout.startswith("incorrect: your answer is not a real number")
    lines = "".join(json.dumps({"id": i, "expected": k, "answer": a, "vars": ""}) + "\n"
                    for i, (k, a) in enumerate([("1", "sqrt(-2)"), ("sqrt(-2)", "1"), ("1", "log(-1)")]))
    r = subprocess.run([sys.executable, "-m", "symgrad", "check", "--batch", "-"], input=lines, capture_output=True,
                       text=True, cwd=ROOT)
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert [o["verdict"] for o in out] == ["incorrect", "invalid", "incorrect"]
    assert not any("failed" in o["message"] for o in out)


# -- the activation left where its derivative belongs -----------------------------------------------
SLIPS = [
    ("tanh(w x)", "w tanh(w x)", "activation in place of its derivative",
     "the derivative of tanh(u) is 1 - tanh(u)^2, not tanh(u): the function was left where its derivative belongs"),
    ("tanh(w x)^2", "2 w tanh(w x)^2", "activation in place of its derivative", "not tanh(u)"),
    ("sigmoid(w x + b)", "w sigmoid(w x + b)", "activation in place of its derivative",
     "the derivative of sigma(u) is sigma(u)(1 - sigma(u)), not sigma(u)"),
    ("relu(w x)", "w relu(w x)", "activation in place of its derivative",
     "the derivative of relu(u) is 1(u > 0), not relu(u)"),
    ("v tanh(w x + b)", "v w tanh(w x + b)", "activation in place of its derivative", "at tanh(b + w x)"),
    ("tanh(2 tanh(w x))", "2 w tanh(2 tanh(w x)) tanh(w x)", "activation in place of its derivative",
     "at every activation"),
    # the example: 2 tanh(u) u' where 2 tanh(u) (1 - tanh(u)^2) u' belongs
    ("tanh(w x)^2", "2 w tanh(w x)", "missing activation derivative",
     "the derivative of tanh(u) is 1 - tanh(u)^2, and that factor is missing at tanh(w x)"),
    ("tanh(x)", "tanh(x)", "function instead of derivative", "the function itself"),
    ("sin(x^2)", "cos(x^2)", "missing inner derivative", "inner derivative"),
]


@pytest.mark.parametrize(("function", "answer", "diagnosis", "fragment"), SLIPS,
                         ids=[f"{s[0]} | {s[1]}" for s in SLIPS])
def test_activation_slips_are_named(function, answer, diagnosis, fragment):
    f = parse(function)
    ctx = Context(tuple(sorted(s.name for s in f.free_symbols)), function=f, wrt="x")
    v = check(sympy.diff(f, sympy.Symbol("x", real=True)), answer, ctx)
    assert (v.verdict, v.diagnosis) == ("incorrect", diagnosis), v
    assert fragment in v.message, v.message


def test_each_activation_row_is_its_derivative():
    u = sympy.Symbol("u", real=True)
    for activation, derivative in ACTIVATION_DERIVATIVES.items():
        assert check(sympy.diff(activation(u), u), derivative(u)).verdict == "correct", activation


def test_the_activation_left_in_place_is_a_distractor():
    f = parse("sigmoid(w x + b)")
    x = sympy.Symbol("x", real=True)
    key = Key(sympy.diff(f, x), Context(("b", "w", "x"), function=f, wrt="x"))
    chosen = dict((m, e) for m, e in distractors(key))
    assert "activation left in place of its derivative" in chosen
    w = sympy.Symbol("w", real=True)
    assert check(w * f, chosen["activation left in place of its derivative"]).verdict == "correct"


# -- no check ever raises ----------------------------------------------------------------------------
_LEAVES = st.sampled_from(["x", "y", "0", "1", "2", "-1", "-8", "pi", "e", "0.5", "1e-3", "10^300", "1/3"])
_FUNCTIONS = ["sin", "cos", "tan", "exp", "log", "sqrt", "abs", "tanh", "sigmoid", "relu", "sinh", "cosh",
              "sech", "sign", "heaviside"]


def _extend(children):
    return st.one_of(
        st.tuples(st.sampled_from(_FUNCTIONS), children).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(children, st.sampled_from(["2", "3", "1/2", "1/3", "-1", "-1/2", "x", "6000", "0.5"]))
        .map(lambda t: f"({t[0]})^({t[1]})"),
        st.tuples(st.sampled_from(["max", "min"]), children, children).map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
        st.tuples(children, st.sampled_from(["+", "-", "*", "/"]), children).map(lambda t: f"({t[0]}) {t[1]} ({t[2]})"),
    )


_TEXTS = st.recursive(_LEAVES, _extend, max_leaves=6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=_TEXTS, answer=_TEXTS)
def test_check_never_raises(key, answer):
    try:
        v = check(key, answer, Context(("x", "y")))
    except SymgradError as err:  # only a key that cannot be read is an error, and it says so
        assert str(err).startswith("the key cannot be read")
        return
    assert v.verdict in VERDICTS
    assert "internal error" not in v.message and "failed" not in v.message, v
    v.to_dict()
