"""The `symgrad solve` contract: formats, input sources, errors on one line with exit status 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from symgrad.cli import main

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "symgrad", *args], input=stdin, capture_output=True, text=True, cwd=ROOT
    )


def test_json_contract_on_the_seed_example():
    r = run("solve", "(x+y)*z + x", "--at", "x=-2", "--at", "y=5", "--at", "z=-4", "--format", "json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert set(data) == {"expression", "inputs", "stages", "output", "gradient"}
    assert data["expression"] == "x + z*(x + y)"
    assert data["inputs"] == {"x": "-2", "y": "5", "z": "-4"}
    assert [(s["name"], s["op"], s["args"], s["expr"]) for s in data["stages"]] == [
        ("g", "add", ["x", "y"], "x + y"), ("h", "mul", ["g", "z"], "g*z"), ("f", "add", ["h", "x"], "h + x"),
    ]
    for stage in data["stages"]:
        assert {"name", "op", "args", "expr", "value", "exact", "grad", "grad_exact"} <= set(stage)
    assert data["stages"][1]["local"] == {
        "g": {"symbolic": "z", "value": -4.0, "exact": "-4"},
        "z": {"symbolic": "g", "value": 3.0, "exact": "3"},
    }
    assert [(s["value"], s["exact"], s["grad"], s["grad_exact"]) for s in data["stages"]] == [
        (3.0, "3", -4.0, "-4"), (-12.0, "-12", 1.0, "1"), (-14.0, "-14", 1.0, "1"),
    ]
    assert data["output"] == {"name": "f", "value": -14.0, "exact": "-14"}
    assert data["gradient"] == {
        "x": {"value": -3.0, "exact": "-3", "symbolic": "z + 1"},
        "y": {"value": -4.0, "exact": "-4", "symbolic": "z"},
        "z": {"value": 3.0, "exact": "3", "symbolic": "x + y"},
    }


def test_json_without_a_point_has_nulls_and_symbols():
    r = run("solve", "s(w*x + b)", "--format", "json", "--granularity", "coarse", "--names", "descriptive")
    data = json.loads(r.stdout)
    assert data["inputs"] == {"b": None, "w": None, "x": None}
    assert all(s["value"] is None and s["exact"] is None for s in data["stages"])
    assert data["gradient"]["w"]["symbolic"] == "x*(1 - sigmoid(b + w*x))*sigmoid(b + w*x)"
    assert data["gradient"]["w"]["value"] is None


def test_check_in_json_and_text():
    r = run("solve", "(x + s(y))/(s(x) + (x+y)^2)", "--at", "x=3", "--at", "y=-4", "--check", "--format", "json")
    data = json.loads(r.stdout)
    assert data["check"]["ok"] is True and data["check"]["max_rel_error"] < 1e-9
    assert len(data["check"]["points"]) == 4
    assert data["check"]["points"][0]["point"] == {"x": 3.0, "y": -4.0}
    r = run("solve", "(x + s(y))/(s(x) + (x+y)^2)", "--at", "x=3", "--at", "y=-4", "--check")
    assert "max relative error" in r.stdout and "(ok," in r.stdout


def test_check_reports_a_kink_as_a_mismatch():
    # relu'(0) = 0 by convention, the central difference sees 1/2: the check says so, exit 1
    r = run("solve", "relu(x)", "--at", "x=0", "--check")
    assert r.returncode == 1
    assert "MISMATCH" in r.stdout


def test_text_table_shows_forward_and_backward_values():
    r = run("solve", "@examples/staged.txt", "--at", "x=-2", "--at", "y=5", "--at", "z=-4")
    assert r.returncode == 0
    lines = r.stdout.splitlines()
    row = next(line for line in lines if line.startswith("h = g z"))
    assert row.split()[-2:] == ["-12", "1"]
    assert "df/dx = z + 1 = -3" in r.stdout
    assert "∂h/∂g = z = -4" in r.stdout and "∂h/∂z = g = 3" in r.stdout


def test_reads_standard_input_and_files(tmp_path):
    program = "g = x + y\nh = g * z\nf = h + x\n"
    r = run("solve", "-", "--at", "x=-2", "--at", "y=5", "--at", "z=-4", "--format", "json", stdin=program)
    assert json.loads(r.stdout)["output"]["exact"] == "-14"
    path = tmp_path / "p.txt"
    path.write_text(program)
    r = run("solve", f"@{path}", "--at", "x=-2", "--at", "y=5", "--at", "z=-4", "--format", "json")
    assert json.loads(r.stdout)["gradient"]["x"]["exact"] == "-3"


def test_python_format_runs_and_reproduces_the_numbers(tmp_path):
    r = run("solve", "@examples/staged.txt", "--at", "x=-2", "--at", "y=5", "--at", "z=-4", "--format", "python")
    path = tmp_path / "fb.py"
    path.write_text(r.stdout)
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, check=True).stdout
    assert out.split("\n")[:4] == ["f = -14", "df/dx = -3.0", "df/dy = -4.0", "df/dz = 3.0"]
    # without a point the listing reads the inputs from its command line
    r = run("solve", "x*y + exp(x)", "--format", "python")
    path.write_text(r.stdout)
    out = subprocess.run([sys.executable, str(path), "0", "2"], capture_output=True, text=True, check=True).stdout
    assert out.split("\n")[:3] == ["f = 1.0", "df/dx = 3.0", "df/dy = 0.0"]


def test_latex_format_is_a_table_and_gradients():
    r = run("solve", "(x+y)*z + x", "--at", "x=-2", "--at", "y=5", "--at", "z=-4", "--format", "latex")
    assert r"\begin{tabular}" in r.stdout
    assert r"$h = g z$ & $-12$ \\" in r.stdout  # the forward table
    assert r"\frac{\partial f}{\partial g} &= \frac{\partial f}{\partial h} \cdot z = -4" in r.stdout  # backprop
    assert r"\frac{\partial f}{\partial x} &= z + 1 = -3" in r.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["solve", "x + )"], "symgrad: error: column 5: unexpected ')'"),
        (["solve", "x + y", "--at", "x=1"], "no value for input y"),
        (["solve", "x", "--at", "q=1", "--at", "x=1"], "'q' is not an input"),
        (["solve", "x", "--at", "x"], "--at x: write NAME=VALUE"),
        (["solve", "x", "--at", "x=y"], "the value must be a number"),
        (["solve", "x", "--at", "x=1", "--at", "x=2"], "x is given twice"),
        (["solve", "log(x)", "--at", "x=-1"], "is not a real number at this point"),
        (["solve", "1/x", "--at", "x=0"], "undefined at this point"),
        (["solve", "@/nonexistent/file"], "cannot read /nonexistent/file"),
        (["solve", "a = b\nb = x"], "'b' is used before it is defined"),
        (["solve", "x", "--names", "fancy"], "invalid choice: 'fancy'"),
        (["solve", "3"], "has no variables"),
        (["solve", "exp(x)", "--at", "x=1000"], "too large for a floating-point number"),
    ],
)
def test_errors_are_one_line_and_exit_2(args, message):
    r = run(*args)
    assert r.returncode == 2, r.stdout
    assert message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "Traceback" not in r.stderr


def test_main_returns_the_status(capsys):
    assert main(["solve", "x*y", "--at", "x=2", "--at", "y=3"]) == 0
    assert "f = x y" in capsys.readouterr().out
