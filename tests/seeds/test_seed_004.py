"""Seed 004_194731a6938ad58d.txt, §2 and §4: every worked number, exactly and as the seed rounds."""

from __future__ import annotations

import math
import subprocess
import sys

import sympy
from sympy import Rational

from symgrad import solve
from symgrad.functions import sigmoid

STAGED = """
g = x + y
h = g * z
f = h + x
"""

SEED_4D = """
## forward pass
sigy = 1.0 / (1 + math.exp(-y)) # sigmoid in numerator # (1)
num = x + sigy # numerator # (2)
sigx = 1.0 / (1 + math.exp(-x)) # sigmoid in denominator # (3)
xpy = x + y # (4)
xpysqr = xpy**2 # (5)
den = sigx + xpysqr # denominator # (6)
invden = 1.0 / den # (7)
f = num * invden # done! # (8)
"""

NEURON_POINT = {"w0": 2, "w1": -3, "w2": -3, "x0": -1, "x1": -2}


# -- §2: f(x, y, z) = (x + y)z + x at x = -2, y = 5, z = -4 ---------------------------------
def test_staged_program_forward_values():
    s = solve(STAGED, {"x": -2, "y": 5, "z": -4})
    assert [(st.name, st.op, st.args) for st in s.graph.stages] == [
        ("g", "add", ("x", "y")), ("h", "mul", ("g", "z")), ("f", "add", ("h", "x")),
    ]
    assert {n: s.value(n).exact for n in ("g", "h", "f")} == {"g": 3, "h": -12, "f": -14}


def test_staged_program_backward_values():
    s = solve(STAGED, {"x": -2, "y": 5, "z": -4})
    assert {n: s.grad(n).exact for n in ("x", "y", "z")} == {"x": -3, "y": -4, "z": 3}
    assert {n: s.grad(n).exact for n in ("f", "h", "g")} == {"f": 1, "h": 1, "g": -4}
    # the seed's pseudocode: dfd_x = 1.0 + dfd_g * 1.0 with dfd_g = dfd_h * z = -4
    assert s.grad("x").approx == -3.0


def test_expression_stages_like_the_worksheet():
    s = solve("(x + y)z + x", {"x": -2, "y": 5, "z": -4})
    assert [(st.name, str(st.expr)) for st in s.graph.stages] == [
        ("g", "x + y"), ("h", "g*z"), ("f", "h + x"),
    ]
    assert s.value("f").exact == -14
    x, y, z = sympy.symbols("x y z", real=True)
    assert s.gradient == {"x": z + 1, "y": z, "z": x + y}


# -- §4: the sigmoid neuron f(w, x) = 1 / (1 + e^-(w0 x0 + w1 x1 + w2)) ---------------------
def _neuron_exact():
    s1 = sigmoid(1)
    local = s1 * (1 - s1)
    return {"w0": -local, "w1": -2 * local, "w2": local, "x0": 2 * local, "x1": -3 * local}


def test_neuron_coarse_matches_seed_pseudocode():
    s = solve("sigmoid(w0*x0 + w1*x1 + w2)", NEURON_POINT, granularity="coarse", names="descriptive")
    assert [(st.name, st.op) for st in s.graph.stages] == [("dot", "dot"), ("f", "sigmoid")]
    assert s.value("dot").exact == 1
    assert s.value("f").exact == sigmoid(1)
    assert round(s.value("f").approx, 2) == 0.73
    exact = _neuron_exact()
    for name, value in exact.items():
        assert sympy.simplify(s.grad(name).exact - value) == 0, name
    rounded = {n: round(s.grad(n).approx, 2) for n in exact}
    assert rounded == {"w0": -0.2, "w1": -0.39, "w2": 0.2, "x0": 0.39, "x1": -0.59}


def test_neuron_fine_is_the_circuit_of_4a():
    s = solve("1/(1 + exp(-(w0*x0 + w1*x1 + w2)))", NEURON_POINT, granularity="fine")
    assert [st.label for st in s.graph.stages] == ["*", "*", "+", "+", "*-1", "exp", "+1", "1/x"]
    values = [s.value(st.name).exact for st in s.graph.stages]
    assert values[:5] == [-2, 6, 4, 1, -1]
    assert values[5] == sympy.exp(-1)
    assert [round(s.value(st.name).approx, 2) for st in s.graph.stages] == [
        -2, 6, 4, 1, -1, 0.37, 1.37, 0.73
    ]
    # gradients along the circuit as CS231n's figure shows them: 1/x gate -0.53, exp gate -0.2 ...
    assert [round(s.grad(st.name).approx, 2) for st in s.graph.stages] == [
        0.2, 0.2, 0.2, 0.2, -0.2, -0.53, -0.53, 1.0
    ]
    for name, value in _neuron_exact().items():
        assert sympy.simplify((s.grad(name).exact - value).rewrite(sympy.exp)) == 0, name


def test_neuron_text_and_sigmoid_spelling_agree():
    a = solve("sigmoid(w0*x0 + w1*x1 + w2)", NEURON_POINT)
    b = solve("s(w0 x0 + w1 x1 + w2)", NEURON_POINT)
    c = solve("σ(w0 x0 + w1 x1 + w2)", NEURON_POINT)
    assert [a.grad(n).approx for n in NEURON_POINT] == [b.grad(n).approx for n in NEURON_POINT]
    assert [a.grad(n).approx for n in NEURON_POINT] == [c.grad(n).approx for n in NEURON_POINT]


# -- §4(d): f(x, y) = (x + s(y)) / (s(x) + (x + y)^2) -------------------------------------
def _plain_python_4d(x: float, y: float) -> tuple[float, float, float]:
    """The seed's own forward/backward listing, transcribed, as the independent reference."""
    sigy = 1.0 / (1 + math.exp(-y))
    num = x + sigy
    sigx = 1.0 / (1 + math.exp(-x))
    xpy = x + y
    xpysqr = xpy**2
    den = sigx + xpysqr
    invden = 1.0 / den
    f = num * invden
    dnum = invden
    dinvden = num
    dden = (-1.0 / (den**2)) * dinvden
    dsigx = 1 * dden
    dxpysqr = 1 * dden
    dxpy = (2 * xpy) * dxpysqr
    dx = 1 * dxpy
    dy = 1 * dxpy
    dx += ((1 - sigx) * sigx) * dsigx
    dx += 1 * dnum
    dsigy = 1 * dnum
    dy += ((1 - sigy) * sigy) * dsigy
    return f, dx, dy


def test_seed_4d_program_keeps_the_seed_names_and_gates():
    s = solve(SEED_4D, {"x": 3, "y": -4})
    assert [(st.name, st.op) for st in s.graph.stages] == [
        ("sigy", "sigmoid"), ("num", "add"), ("sigx", "sigmoid"), ("xpy", "add"),
        ("xpysqr", "pow"), ("den", "add"), ("invden", "reciprocal"), ("f", "mul"),
    ]
    f, dx, dy = _plain_python_4d(3.0, -4.0)
    assert math.isclose(s.value("f").approx, f, rel_tol=1e-14)
    assert math.isclose(s.grad("x").approx, dx, rel_tol=1e-14)
    assert math.isclose(s.grad("y").approx, dy, rel_tol=1e-14)
    # exact where the inputs are exact: 1.0 is read as 1, and xpy = -1, xpysqr = 1
    assert s.value("xpy").exact == -1 and s.value("xpysqr").exact == 1
    assert s.value("sigy").exact == sigmoid(-4)


def test_seed_4d_expression_stages_as_the_seed_names_them():
    s = solve("(x + s(y))/(s(x) + (x+y)^2)", {"x": 3, "y": -4}, granularity="coarse", names="descriptive")
    assert sorted(st.name for st in s.graph.stages) == sorted(
        ["sigy", "num", "sigx", "xpy", "xpysqr", "den", "invden", "f"]
    )
    f, dx, dy = _plain_python_4d(3.0, -4.0)
    assert math.isclose(s.grad("x").approx, dx, rel_tol=1e-14)
    assert math.isclose(s.grad("y").approx, dy, rel_tol=1e-14)


def test_seed_4d_generated_code_runs_and_accumulates(tmp_path):
    s = solve(SEED_4D, {"x": 3, "y": -4})
    code = s.python()
    assert "dx += " in code and "dy += " in code
    path = tmp_path / "fb.py"
    path.write_text(code)
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, check=True).stdout
    f, dx, dy = _plain_python_4d(3.0, -4.0)
    printed = dict(line.split(" = ") for line in out.strip().splitlines())
    assert math.isclose(float(printed["f"]), f, rel_tol=1e-12)
    assert math.isclose(float(printed["df/dx"]), dx, rel_tol=1e-12)
    assert math.isclose(float(printed["df/dy"]), dy, rel_tol=1e-12)


def test_rationals_stay_exact():
    s = solve("x*y + x/3", {"x": Rational(1, 2), "y": Rational(2, 3)})
    assert s.value("f").exact == Rational(1, 2)
    assert s.grad("x").exact == 1 and s.grad("y").exact == Rational(1, 2)
